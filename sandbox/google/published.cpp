#include "sandbox/google/published.h"

namespace pinsync_sandbox {

namespace {

Response text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

Response PublishedCsv::handle(const Request& request) {
  // /spreadsheets/d/e/{key}/{pub|served}
  std::string_view rest = std::string_view(request.path).substr(prefix().size());
  if (!rest.starts_with('/')) return text(404, "Not Found");
  rest.remove_prefix(1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return text(404, "Not Found");
  const std::string key(rest.substr(0, slash));
  const std::string_view what = rest.substr(slash + 1);
  if (request.method != "GET") return text(405, "Method Not Allowed");
  const std::string host = request.header("host").value_or("127.0.0.1");
  if (what == "pub") {
    Response r = text(307, "Temporary Redirect");
    const std::string next = key == "loop" ? "pub" : "served";
    r.headers.emplace_back("Location", "http://" + host + std::string(prefix()) + "/" + key + "/" + next + "?output=csv");
    return r;
  }
  if (what != "served") return text(404, "Not Found");
  std::lock_guard lock(m_mutex);
  const auto it = m_csv.find(key);
  if (it == m_csv.end()) return text(404, "Not Found");
  Response r = text(200, it->second);
  r.content_type = "text/csv";
  return r;
}

void PublishedCsv::set(const std::string& key, std::string csv) {
  std::lock_guard lock(m_mutex);
  m_csv[key] = std::move(csv);
}

Response PublishedCsvControl::handle(const Request& request) {
  const std::string_view rest = std::string_view(request.path).substr(prefix().size());
  if (request.method != "PUT" || !rest.starts_with('/') || rest.size() < 2 || rest.find('/', 1) != std::string_view::npos) {
    return text(404, "use PUT /_sandbox/published/{key} with the CSV text as the body");
  }
  if (request.body_too_large) return text(413, std::string(k_control_body_too_large));
  m_published.set(std::string(rest.substr(1)), request.body);
  return text(200, "ok");
}

}  // namespace pinsync_sandbox

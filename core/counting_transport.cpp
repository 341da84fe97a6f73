#include "core/counting_transport.h"

#include <algorithm>
#include <cctype>

namespace pinsync::http {

namespace {

// The path of a URL without scheme, host and query: "https://h/a/b?x=1" → "/a/b".
std::string_view path_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  const auto slash = url.find('/');
  if (slash == std::string_view::npos) return "/";
  url.remove_prefix(slash);
  const auto query = url.find_first_of("?#");
  return query == std::string_view::npos ? url : url.substr(0, query);
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = std::min(path.find('/'), path.size());
    out.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "/events/123" → "/events/{id}": only the words of the API stay.
std::string pinned_route(const std::vector<std::string_view>& rest) {
  std::string route;
  for (const auto s : rest) route += "/" + (all_digits(s) ? std::string("{id}") : std::string(s));
  return route.empty() ? "/" : route;
}

// "/v4/spreadsheets/ID[/values/RANGE | /values:batchGet | …]".
std::string sheets_route(const std::vector<std::string_view>& seg) {
  std::string route = "/v4/spreadsheets/{id}";
  if (seg.size() < 4) return route;
  const auto next = seg[3];
  if (next == "values") return route + "/values/{range}";
  const auto colon = next.find(':');
  return route + "/" + (colon == std::string_view::npos ? std::string("{other}") : std::string(next));
}

// "/v0/BASE/TABLE[/RECORD]" or "/v0/meta/bases/BASE/tables".
std::string airtable_route(const std::vector<std::string_view>& seg) {
  if (seg.size() >= 2 && seg[1] == "meta") return "/v0/meta/bases/{base}/tables";
  if (seg.size() >= 4) return "/v0/{base}/{table}/{record}";
  return "/v0/{base}/{table}";
}

}  // namespace

RouteLabel route_label(const Request& request) {
  const std::string_view path = path_of(request.url);
  const auto seg = segments(path);
  const std::string method = request.method + " ";
  if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "public" && seg[2] == "v1") {
    return {"pinned", method + pinned_route({seg.begin() + 3, seg.end()})};
  }
  if (seg.size() >= 3 && seg[0] == "v4" && seg[1] == "spreadsheets") return {"sheets", method + sheets_route(seg)};
  if (seg.size() >= 2 && seg[0] == "v0") return {"airtable", method + airtable_route(seg)};
  if (!seg.empty() && seg.back() == "token" && request.method == "POST") return {"google_oauth", method + "/token"};
  if (path.ends_with(".csv") || request.url.find("output=csv") != std::string::npos ||
      request.url.find("format=csv") != std::string::npos) {
    return {"csv", method + "(csv)"};
  }
  return {"other", method + "(other)"};
}

void RequestCounter::add(const RouteLabel& label, std::string_view status) {
  std::lock_guard lock(m_mutex);
  ++m_counts[{label.api, label.route, std::string(status)}];
}

std::vector<RequestCount> RequestCounter::snapshot() const {
  std::lock_guard lock(m_mutex);
  std::vector<RequestCount> out;
  out.reserve(m_counts.size());
  for (const auto& [k, n] : m_counts) out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
  return out;
}

std::expected<Response, TransportError> CountingTransport::send(const Request& request) {
  auto result = m_inner->send(request);
  m_counter.add(route_label(request), result ? std::to_string(result->status) : "error");
  return result;
}

}  // namespace pinsync::http

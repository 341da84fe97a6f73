// A transport for the fuzz targets: answers requests in order from a list of responses
// (one of them usually fuzzed), then with a plain 404 so that paging loops end.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/http.h"

namespace pinsync::fuzz {

// Returns a response with this status, content type ("" for none) and body.
inline http::Response answer(long status, const std::string& content_type, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
  return r;
}

class FuzzTransport final : public http::Transport {
 public:
  explicit FuzzTransport(std::vector<http::Response> answers) : m_answers(std::move(answers)) {}

  std::expected<http::Response, http::TransportError> send(const http::Request& request) override {
    urls.push_back(request.url);
    if (m_next < m_answers.size()) return m_answers[m_next++];
    return answer(404, "application/json", R"({"error":{"code":"not_found","message":"no more"}})");
  }

  std::vector<std::string> urls;  // every request's URL, in order

 private:
  std::vector<http::Response> m_answers;
  std::size_t m_next = 0;
};

// A status a server might send: mostly the ones the clients treat specially.
inline long pick_status(unsigned char selector) {
  constexpr long k_statuses[] = {200, 201, 200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503, 302, 418};
  return k_statuses[selector % (sizeof k_statuses / sizeof k_statuses[0])];
}

inline std::string pick_content_type(unsigned char selector) {
  constexpr const char* k_types[] = {"application/json", "", "text/html; charset=utf-8", "text/plain",
                                     "application/json; charset=UTF-8"};
  return k_types[selector % (sizeof k_types / sizeof k_types[0])];
}

}  // namespace pinsync::fuzz

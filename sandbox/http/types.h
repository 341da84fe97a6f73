// The sandbox's own view of one HTTP exchange, independent of Poco, and the interface every
// emulated API implements. The router in server.cpp picks a Service by path prefix, so a new
// emulated API is one new Service (in a folder of its own) and one line in sandbox/main.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinsync_sandbox {

struct Request {
  std::string method;
  std::string path;                           // without the query string, percent-decoded
  std::map<std::string, std::string> query;   // decoded; a repeated name keeps the last value
  std::vector<std::pair<std::string, std::string>> query_list;  // decoded, every one, in order
  std::map<std::string, std::string> headers; // lower-case names; repeated headers joined by ", "
  std::string body;                           // at most k_max_body_bytes
  bool body_too_large = false;                // more than k_max_body_bytes (k_max_control_body_bytes for /_sandbox/)
  std::string request_id;                     // also sent back as x-request-id

  // Returns the header value, or nullopt when absent. `lower_name` must be lower-case.
  std::optional<std::string> header(std::string_view lower_name) const {
    auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

// How the server hands a Response back to the client.
enum class Delivery {
  send,             // write status, headers and body
  drop_connection,  // write nothing and close the connection (the "committed, then lost" fault)
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // x-request-id is added by the server
  std::string body;
  std::string content_type = "application/json";
  Delivery delivery = Delivery::send;
};

inline constexpr std::size_t k_max_body_bytes = 1024 * 1024;
// Control requests (/_sandbox/…) may be larger: benchmarks load 100,000-row sheets and
// 20,000-record tables in one PUT.
inline constexpr std::size_t k_max_control_body_bytes = 64 * 1024 * 1024;
inline constexpr std::string_view k_control_body_too_large = "The request body exceeds 64 MiB";

// One emulated API mounted under a path prefix. handle() is called from many threads at once
// and must never throw.
class Service {
 public:
  virtual ~Service() = default;
  // Returns the prefix this service owns, e.g. "/api/public/v1"; it matches the prefix itself
  // and every path below it.
  virtual std::string_view prefix() const = 0;
  // Returns the response to send (or to drop); never throws.
  virtual Response handle(const Request& request) = 0;
};

}  // namespace pinsync_sandbox

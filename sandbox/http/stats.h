// Request statistics for /_sandbox/stats: how many API requests each (method, route template,
// status) got, and how many connections clients opened. Dropped responses count with status
// 0. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace pinsync_sandbox {

class RequestStats {
 public:
  // Counts one request.
  void record(std::string_view method, std::string_view route_template, int status);
  // Counts one accepted connection.
  void connection_opened();
  // Returns {"requests":[{"method","route","status","count"},…],"connections":N}, requests
  // sorted by route, method, status.
  std::string to_json() const;
  // Forgets all counts.
  void reset();

 private:
  mutable std::mutex m_mutex;
  std::int64_t m_connections = 0;
  std::map<std::tuple<std::string, std::string, int>, std::int64_t> m_counts;  // route, method, status
};

}  // namespace pinsync_sandbox

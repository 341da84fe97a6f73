// Request statistics for /_sandbox/stats: how many API requests each (method, route template,
// status) got, how many connections clients opened and how many API requests are being handled
// right now (a test waits for 0 before it counts: a request whose client was killed still ends
// and counts). Dropped responses count with status 0. Thread-safe.
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
  // Marks one API request as being handled until the returned guard is destroyed (after its
  // record()).
  class Handling {
   public:
    explicit Handling(RequestStats& stats);
    ~Handling();
    Handling(const Handling&) = delete;
    Handling& operator=(const Handling&) = delete;

   private:
    RequestStats& m_stats;
  };
  [[nodiscard]] Handling handling() { return Handling(*this); }
  // Counts one accepted connection.
  void connection_opened();
  // Returns {"requests":[{"method","route","status","count"},…],"connections":N,"in_flight":N}, requests
  // sorted by route, method, status.
  std::string to_json() const;
  // Forgets all counts.
  void reset();

 private:
  mutable std::mutex m_mutex;
  std::int64_t m_connections = 0;
  std::int64_t m_in_flight = 0;  // not reset: requests being handled are still being handled
  std::map<std::tuple<std::string, std::string, int>, std::int64_t> m_counts;  // route, method, status
};

}  // namespace pinsync_sandbox

#include "sandbox/http/stats.h"

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

void RequestStats::record(std::string_view method, std::string_view route_template, int status) {
  std::lock_guard lock(m_mutex);
  ++m_counts[{std::string(route_template), std::string(method), status}];
}

RequestStats::Handling::Handling(RequestStats& stats) : m_stats(stats) {
  std::lock_guard lock(m_stats.m_mutex);
  ++m_stats.m_in_flight;
}

RequestStats::Handling::~Handling() {
  std::lock_guard lock(m_stats.m_mutex);
  --m_stats.m_in_flight;
}

void RequestStats::connection_opened() {
  std::lock_guard lock(m_mutex);
  ++m_connections;
}

std::string RequestStats::to_json() const {
  JsonOut out;
  out.begin_object().key("requests").begin_array();
  std::int64_t connections = 0;
  std::int64_t in_flight = 0;
  {
    std::lock_guard lock(m_mutex);
    connections = m_connections;
    in_flight = m_in_flight;
    for (const auto& [k, count] : m_counts) {
      out.begin_object()
          .key("method").value(std::get<1>(k))
          .key("route").value(std::get<0>(k))
          .key("status").value(std::get<2>(k))
          .key("count").value(count)
          .end_object();
    }
  }
  out.end_array().key("connections").value(connections).key("in_flight").value(in_flight).end_object();
  return out.take();
}

void RequestStats::reset() {
  std::lock_guard lock(m_mutex);
  m_counts.clear();
  m_connections = 0;
}

}  // namespace pinsync_sandbox

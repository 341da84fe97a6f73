#include "sandbox/http/stats.h"

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

void RequestStats::record(std::string_view method, std::string_view route_template, int status) {
  std::lock_guard lock(m_mutex);
  ++m_counts[{std::string(route_template), std::string(method), status}];
}

std::string RequestStats::to_json() const {
  JsonOut out;
  out.begin_object().key("requests").begin_array();
  {
    std::lock_guard lock(m_mutex);
    for (const auto& [k, count] : m_counts) {
      out.begin_object()
          .key("method").value(std::get<1>(k))
          .key("route").value(std::get<0>(k))
          .key("status").value(std::get<2>(k))
          .key("count").value(count)
          .end_object();
    }
  }
  out.end_array().end_object();
  return out.take();
}

void RequestStats::reset() {
  std::lock_guard lock(m_mutex);
  m_counts.clear();
}

}  // namespace pinsync_sandbox

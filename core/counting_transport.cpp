#include "core/counting_transport.h"

namespace pinsync::http {

RouteLabel route_label(const Request& request) {
  return {request.api.empty() ? "other" : request.api,
          request.method + " " + (request.route.empty() ? "(other)" : request.route)};
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

#include "sandbox/control.h"

#include <charconv>
#include <cstdint>
#include <string>

#include "sandbox/http/control_util.h"
#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

Response ControlApi::handle(const Request& req) {
  const std::string& path = req.path;
  if (path == "/_sandbox/events") {
    if (req.method != "GET") return wrong_method(req, "GET");
    return Response{200, {}, m_pinned.events_json()};
  }
  if (path.starts_with("/_sandbox/events/")) {
    if (req.method != "DELETE") return wrong_method(req, "DELETE");
    return delete_event(req, std::string_view(path).substr(std::string_view("/_sandbox/events/").size()));
  }
  if (path == "/_sandbox/stats") {
    if (req.method != "GET") return wrong_method(req, "GET");
    return Response{200, {}, m_stats.to_json()};
  }
  if (path == "/_sandbox/faults") {
    if (req.method == "GET") return Response{200, {}, to_json(m_faults.settings())};
    if (req.method != "POST") return wrong_method(req, "GET, POST");
    return set_faults(req);
  }
  if (path == "/_sandbox/reset") {
    if (req.method != "POST") return wrong_method(req, "POST");
    m_pinned.reset();
    m_stats.reset();
    m_faults.reset();
    return Response{200, {}, R"({"reset":true})"};
  }
  return api_error(req, 404, "not_found",
                   "No such control route; known: /_sandbox/events, /_sandbox/events/{id}, /_sandbox/stats, "
                   "/_sandbox/faults, /_sandbox/reset");
}

Response ControlApi::delete_event(const Request& req, std::string_view id_text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (id_text.empty() || ec != std::errc{} || end != id_text.data() + id_text.size() || id <= 0) {
    return api_error(req, 400, "invalid_request", "Event id must be a positive integer", "id", "not a positive integer");
  }
  if (!m_pinned.delete_event(id)) return api_error(req, 404, "not_found", "No event with id " + std::to_string(id));
  return Response{200, {}, R"({"deleted":)" + std::to_string(id) + "}"};
}

Response ControlApi::set_faults(const Request& req) {
  if (req.body_too_large) return api_error(req, 413, "payload_too_large", k_control_body_too_large);
  auto body = parse_json_object(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body) return api_error(req, 400, "invalid_request", "Invalid faults body: " + body.error(), "body", body.error());
  auto next = m_faults.apply(**body);
  if (!next) {
    return api_error(req, 400, "invalid_request", "Invalid fault setting " + next.error().field + ": " + next.error().issue,
                     next.error().field, next.error().issue);
  }
  return Response{200, {}, to_json(*next)};
}

}  // namespace pinsync_sandbox

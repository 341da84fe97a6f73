#include "sandbox/http/control_util.h"

#include <string>

#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

Response wrong_method(const Request& req, std::string_view allowed) {
  Response r = api_error(req, 405, "method_not_allowed",
                         req.method + " is not allowed on " + req.path + "; allowed: " + std::string(allowed));
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

std::expected<Poco::JSON::Object::Ptr, Response> control_body(const Request& req) {
  if (req.body_too_large) return std::unexpected(api_error(req, 413, "payload_too_large", k_control_body_too_large));
  auto body = parse_json_object(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body) return std::unexpected(api_error(req, 400, "invalid_request", "Invalid body: " + body.error()));
  return *body;
}

}  // namespace pinsync_sandbox

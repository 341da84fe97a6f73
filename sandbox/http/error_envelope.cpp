#include "sandbox/http/error_envelope.h"

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

Response api_error(const Request& req, int status, std::string_view code, std::string_view message,
                   std::string_view field, std::string_view issue) {
  JsonOut out;
  out.begin_object().key("error").begin_object();
  out.key("code").value(code).key("message").value(message).key("requestId").value(req.request_id);
  if (!field.empty()) {
    out.key("details").begin_object().key("field").value(field).key("issue").value(issue).end_object();
  }
  out.end_object().end_object();
  Response r;
  r.status = status;
  r.body = out.take();
  return r;
}

}  // namespace pinsync_sandbox

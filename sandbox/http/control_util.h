// Helpers shared by the /_sandbox/ control services: the 405 answer and reading a JSON
// object body, both answering with the error envelope of error_envelope.h.
#pragma once

#include <Poco/JSON/Object.h>

#include <expected>
#include <string_view>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// Returns 405 method_not_allowed naming `allowed`, with an Allow header.
Response wrong_method(const Request& req, std::string_view allowed);

// Returns the request body as a JSON object (an empty body counts as {}), or the 413/400
// response to send instead.
std::expected<Poco::JSON::Object::Ptr, Response> control_body(const Request& req);

}  // namespace pinsync_sandbox

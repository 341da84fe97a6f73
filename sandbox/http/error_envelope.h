// The sandbox's JSON error envelope {"error":{"code","message","requestId","details"}}: the
// shape the Pinned Events API documents, also used by every /_sandbox/ control route and by
// the router's 404 for a path no service owns.
#pragma once

#include <string_view>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// Returns a response with `status` and the error envelope; "requestId" is the request's id;
// "details" {"field","issue"} is present only when `field` is non-empty.
Response api_error(const Request& req, int status, std::string_view code, std::string_view message,
                   std::string_view field = {}, std::string_view issue = {});

}  // namespace pinsync_sandbox

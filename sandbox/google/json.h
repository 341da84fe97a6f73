// Response helpers shared by the emulated Google APIs: Google's pretty-printed JSON
// (prettyPrint=true is the default there), the nested Sheets error envelope
// {"error":{"code","message","status","details"}} and the flat OAuth token-endpoint error.
#pragma once

#include <string>
#include <string_view>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

inline constexpr std::string_view k_google_content_type = "application/json; charset=UTF-8";

// Returns compact JSON text re-indented the way Google prints it: two spaces per level,
// `"key": value`, one array element per line, empty containers as [] and {}.
std::string google_pretty(std::string_view compact);

// Returns a 200 (or `status`) response with `compact` JSON, pretty-printed unless the request
// says prettyPrint=false.
Response google_json(const Request& req, std::string compact, int status = 200);

// Returns the Sheets error envelope. `status_name` is the canonical code (PERMISSION_DENIED…);
// `details_json`, when not empty, is the already-serialised JSON array for "details".
Response google_error(const Request& req, int code, std::string_view status_name, std::string_view message,
                      std::string_view details_json = {});

// Returns 400 INVALID_ARGUMENT "Invalid value at '<field>' (<type>), <value>" with the
// google.rpc.BadRequest field violation Google adds, e.g. for majorDimension=SIDEWAYS.
Response google_invalid_value(const Request& req, std::string_view field, std::string_view type,
                              std::string_view value_json);

// Returns the 400 Google gives for a `fields` mask it cannot expand: the generic "Request contains
// an invalid argument." with a BadRequest field violation naming the mask as sent (`mask`) and the
// first path it cannot find (`path`).
Response google_field_mask_error(const Request& req, std::string_view mask, std::string_view path);

// Returns the token endpoint's flat error {"error": code, "error_description": text}.
Response oauth_error(const Request& req, int status, std::string_view error, std::string_view description);

}  // namespace pinsync_sandbox

// Reading a spreadsheets.batchUpdate body into the structural changes the sandbox emulates
// (insertDimension, deleteDimension, appendDimension, updateSheetProperties with title/hidden),
// with the errors Google gives for a body it cannot read. Shared by the API route and the
// control route that arms a partner's edit (POST /_sandbox/sheets/{id}/before-next-write).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "sandbox/google/sheets_store.h"

namespace pinsync_sandbox {

struct BatchRequestError {
  std::string message;  // Google's message, e.g. "Must specify at least one request."
  std::string field;    // non-empty: the BadRequest field violation's field ("requests[0]")
};

// Returns the changes in request order, or the first problem: an unknown top-level key, no
// requests, a request kind Google does not have or the sandbox does not emulate, an unknown key
// inside a request, a value of the wrong JSON type, an enum value that does not exist.
std::expected<std::vector<StructuralChange>, BatchRequestError> parse_structural_requests(const Poco::JSON::Object& body);

}  // namespace pinsync_sandbox

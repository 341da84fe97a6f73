// Drift between a row's payload and its event as Pinned Events holds it now, for
// `pinsync resync --force`: someone may have edited the event by hand.
#pragma once

#include <string_view>

#include "core/error.h"

namespace pinsync::agent {

// Compares `payload_json` (what pinsync sends for the row) with `event_json` (the answer
// of GET /events/{id}, the event itself or wrapped in "doc"/"data"). Returns true when
// some field of the payload is missing from the event or has another value, false when
// every payload field matches (fields only the event has are ignored; startAt and endAt
// compare as instants, whatever offset each is written with), or
// Error{invalid} when either text is not a JSON object.
Result<bool> event_differs(std::string_view payload_json, std::string_view event_json);

}  // namespace pinsync::agent

// Drift between a row's payload and its event as Pinned Events holds it now, for
// `pinsync resync --force`: someone may have edited the event by hand; and what an update
// changes, field by field, for `pinsync plan`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pinsync::agent {

// Compares `payload_json` (what pinsync sends for the row) with `event_json` (the answer
// of GET /events/{id}, the event itself or wrapped in "doc"/"data"). Returns true when
// some field of the payload is missing from the event or has another value, false when
// every payload field matches (fields only the event has are ignored; startAt and endAt
// compare as instants, whatever offset each is written with), or
// Error{invalid} when either text is not a JSON object.
Result<bool> event_differs(std::string_view payload_json, std::string_view event_json);

// The channel of an event as GET /events/{id} answers it (the event itself or wrapped in
// "doc"/"data"), or nullopt when the answer names none.
std::optional<std::int64_t> event_channel(std::string_view event_json);

// One top-level field an update changes: its old and new values as JSON text ("" when the
// field was absent before, or is gone after).
struct FieldChange {
  std::string field;
  std::string before;
  std::string after;
};

// The fields in which `after_json` differs from `before_json` (two payloads: what the event
// holds as pinsync last wrote it, and what the row says now), by name, then the removed ones
// by name; compared as event_differs compares (numbers by value, startAt/endAt as
// instants). Error{invalid} when either text is not a JSON object.
Result<std::vector<FieldChange>> payload_changes(std::string_view before_json, std::string_view after_json);

}  // namespace pinsync::agent

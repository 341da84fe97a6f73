// Validation of Pinned Events create/update bodies, written independently of pinsync's own
// mapper so that a misunderstanding cannot hide on both sides. Also the public classification
// list and the ISO-8601 date-time rules the API enforces.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/JSON/Object.h>

namespace pinsync_sandbox {

struct Classification {
  std::string slug;
  std::string name;
};

// Returns the fixed list of public classifications, in display order.
const std::vector<Classification>& classifications();

struct City {
  std::string place_id;
  std::optional<std::string> name;
  std::optional<std::string> country_code;
};

struct Offer {
  std::string url;
  std::optional<std::string> name;
  std::optional<std::string> availability;
};

// Every field the sandbox stores for an event, as the client sent it (dates are not rewritten).
struct EventFields {
  std::int64_t channel_id = 0;
  std::string title;
  std::string start_at;
  std::optional<std::string> end_at;
  std::string timezone;
  std::vector<std::string> classifications;
  City city;
  std::string status = "draft";
  std::optional<std::string> location_name;
  std::optional<std::string> description;
  std::optional<std::vector<Offer>> offers;
  std::optional<std::int64_t> cover_image;
};

struct FieldIssue {
  std::string field;  // with its path, e.g. "approxLocation.city.placeId", "classifications[1]"
  std::string issue;
};

// Validates a whole event body (a create, or an update merged onto the stored event).
// Returns the fields to store, or the first problem found, checking fields in document order.
// Unknown fields are ignored.
std::expected<EventFields, FieldIssue> validate_event(const Poco::JSON::Object& body);

// Parses "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z" or "±HH:MM". Returns the instant
// in milliseconds since 1970-01-01T00:00:00Z, or a sentence saying what is wrong.
std::expected<std::int64_t, std::string> parse_offset_date_time(std::string_view text);

// Returns the fields as a JSON object (same field names as the API), the base a PATCH is
// merged onto.
Poco::JSON::Object::Ptr to_json_object(const EventFields& fields);

// Merges `patch` into `target` as JSON Merge Patch (RFC 7396): objects merge recursively,
// null removes a field, everything else replaces.
void merge_patch(Poco::JSON::Object& target, const Poco::JSON::Object& patch);

class JsonOut;
// Writes the fields as keys of an object already begun on `out`.
void write_fields(JsonOut& out, const EventFields& fields);

}  // namespace pinsync_sandbox

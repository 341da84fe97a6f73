// What the mapper makes of one row: the canonical create payload, or the errors that say
// which cell is wrong and why; and the classification slugs it checks against.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pinsync::agent {

// The fixes a RowError's reason names when the config, not the cell, has to change (a
// cell naming a city or label the mapping does not know). Alerts tell "fix the config"
// from "fix the cells" by them (agent/alerts).
inline constexpr std::string_view k_fix_add_city = "add it under mapping.city.places";
inline constexpr std::string_view k_fix_map_classification = "map it under mapping.classifications.map";

struct RowError {
  std::string field;   // the mapped column ("Date"), or the payload field when no column
  std::string value;   // the offending cell as written (bounded to 200 bytes), may be ""
  std::string reason;  // plain words: "\"June 32\" is not a date"
};

struct MappedRow {
  std::string source_id;  // from id_column, or the row's native_id; "" when missing
  std::string row_ref;
  bool approved = false;
  // For approved rows without errors: the canonical create body (keys sorted, no
  // whitespace) and the lower-case hex SHA-256 of it.
  std::string payload;
  std::string payload_hash;
  std::vector<RowError> errors;  // non-empty: the row is invalid and is never sent
  // For approved rows: the source's write-back event-ID cell as read (trimmed; "" when
  // empty or the source writes no event IDs back). A re-added row may carry the event of
  // the row it replaces there (agent/sync/planner.h).
  std::string written_event_id;
};

// The classification slugs Pinned Events knows; nullopt means "not checked".
using KnownSlugs = std::optional<std::set<std::string>>;

}  // namespace pinsync::agent

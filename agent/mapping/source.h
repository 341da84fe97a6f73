// What the mapper works out once per table: which header column feeds which payload
// field, the lookup tables of the mapping (labels, cities, approval values) and a cache
// of time zones. Built by prepare_source(); read by the row mapper.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/config/config.h"
#include "agent/mapping/mapped_row.h"
#include "connectors/connector.h"
#include "core/datetime.h"
#include "core/error.h"

namespace pinsync::agent {

// The mapped columns, in the order their cells are checked.
enum class Slot : std::size_t {
  id, title, start_date, start_time, start, end_date, end_time, end, timezone,
  classifications, city, location, description, ticket_url, status, approved, count
};
constexpr std::size_t k_slot_count = static_cast<std::size_t>(Slot::count);

struct MappedColumn {
  std::string name;                  // as configured; "" when the slot is not mapped
  std::optional<std::size_t> index;  // header position once resolved
};

struct CityEntry {
  const std::string* name;  // the city as spelled in the config
  const Place* place;
};

struct SourcePlan {
  const SourceConfig* source = nullptr;
  std::array<MappedColumn, k_slot_count> columns;
  std::vector<std::string> approved_values;                        // lower-cased
  std::unordered_map<std::string, std::string> label_to_slug;      // lower-cased label -> slug
  std::unordered_map<std::string, CityEntry> cities;               // lower-cased name -> entry
  std::optional<CityEntry> only_city;                              // when no city column is mapped
  std::string known_city_names;                                    // for messages
  std::string separator;
  std::string default_zone;                   // the source's timezone, else the table's own
  std::vector<std::size_t> fingerprint;       // header positions identifying a row without an ID column
  std::optional<std::size_t> written_event_id;  // the write-back event-ID column, when in the header
  const KnownSlugs* known_slugs = nullptr;
  // Zone lookups are slow enough to matter at 100k rows; rows mostly share one zone.
  mutable std::map<std::string, Result<ZoneClock>, std::less<>> zones;

  const MappedColumn& column(Slot slot) const { return columns[static_cast<std::size_t>(slot)]; }
  // Returns the zone for `name` from the cache, looking it up on first use; the error
  // says the zone is unknown.
  Result<ZoneClock>& zone(std::string_view name) const;
};

// Resolves the mapping of `source` against the header of `table`. Returns the plan, or
// Error{config} "source: ..." when a mapped column is missing from the header (one
// message listing every missing column and the header), when a required field (title,
// start, classifications, city) is not mapped, or when the default zone is unusable.
Result<SourcePlan> prepare_source(const SourceConfig& source, const connectors::Table& table,
                                  const KnownSlugs& known_slugs);

// Returns the payload field an error is reported against when the slot has no column.
std::string_view payload_field(Slot slot);

// Returns the config key of a slot ("mapping.start_date"), for messages.
std::string_view config_key(Slot slot);

}  // namespace pinsync::agent

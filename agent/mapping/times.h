// The mapper's start and end: reads the date/time cells of one row, applies the
// late-show rule (an end time at or before the start time, with no end date, ends the
// next day) and formats startAt/endAt with the row zone's offset.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/mapping/mapped_row.h"
#include "agent/mapping/source.h"

namespace pinsync::agent {

// The trimmed cells of one row by slot, and which of them were already reported as
// unusable (spreadsheet error, invalid UTF-8, too long) so no second error piles on.
struct RowCells {
  std::array<std::string_view, k_slot_count> text{};
  std::array<bool, k_slot_count> unusable{};

  std::string_view operator[](Slot slot) const { return text[static_cast<std::size_t>(slot)]; }
  bool bad(Slot slot) const { return unusable[static_cast<std::size_t>(slot)]; }
};

// Adds a RowError against the slot's column (or its payload field when unmapped).
void add_error(const SourcePlan& plan, std::vector<RowError>& errors, Slot slot, std::string_view value,
               std::string reason);

struct EventTimes {
  std::string start_at;
  std::optional<std::string> end_at;
};

// Returns startAt (and endAt when the row has an end) in `zone`, or nullopt after adding
// every problem found to `errors`. `zone` is null when the row's zone was unusable:
// the cells are still read so their own errors are reported.
std::optional<EventTimes> map_times(const SourcePlan& plan, const RowCells& cells, ZoneClock* zone,
                                    std::vector<RowError>& errors);

}  // namespace pinsync::agent

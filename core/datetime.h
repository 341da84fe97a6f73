// Dates, times and IANA zones as people type them in spreadsheets, turned into
// ISO-8601 date-times with the correct UTC offset for that date in that zone.
// Pure functions: no clock, no I/O beyond the read-only system time-zone database.
#pragma once

#include <cstdint>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>
#include <date/tz.h>

#include "core/error.h"

namespace pinsync {

// How to read a slash date like 6/12/2026. ISO dates (2026-06-12) always work.
enum class DateOrder { unspecified, MDY, DMY, YMD };

// One date-time cell as written: a wall-clock time, and the UTC offset when the text
// names one (then the instant is fixed, whatever the row's zone says).
struct DateTimeText {
  date::local_seconds local;                       // the date at 00:00 when has_time is false
  bool has_time = false;                           // false: the text held only a date
  std::optional<std::chrono::seconds> utc_offset;  // "+02:00" -> 7200 s, "Z" -> 0
};

// Reads a calendar date: ISO 2026-06-12 (and 2026/6/12) always; 6/12/2026, 6-12-2026,
// 6.12.2026 per `order`; spreadsheet serials (46185 or 46185.0, days since 1899-12-30;
// a fraction is ignored); written forms such as "June 12, 2026", "12 June 2026",
// "Jun 12 2026", "Fri, June 12, 2026" (a weekday, when given, must match the date).
// Returns the date, or Error{invalid} whose message is a plain reason such as
// "\"June 32\" is not a date" or "\"6/12/2026\" could be June 12 or December 6: set
// date_order". Two-digit years and ambiguous day/month without an order are errors.
Result<date::year_month_day> parse_date(std::string_view text, DateOrder order);

// Reads a time of day: 20:00, 20:00:00, 8:00 PM, 8 PM, 8pm, 8:30p.m., 20h30, noon,
// midnight, or a spreadsheet time fraction such as 0.833333 (rounded to the minute;
// seconds of a written time are dropped). Returns the minutes after midnight (0..1439),
// or Error{invalid} with a reason such as "\"24:00\" is not a time".
Result<std::chrono::minutes> parse_time(std::string_view text);

// Reads one cell holding a date and maybe a time: 2026-06-12T20:00, 2026-06-12 20:00,
// 2026-06-12T20:00:00-04:00 / ...Z (fixed offset), "6/12/2026 8:00 PM", "June 12, 2026
// 8pm", a serial with a fraction (46185.8333). A date alone is accepted with has_time
// false (a whole serial such as 46185 counts as a date alone). Returns the value, or
// Error{invalid} with the reason from the date or time part that did not read.
Result<DateTimeText> parse_date_time(std::string_view text, DateOrder order);

// Returns the zone from the system database, or Error{invalid} "unknown time zone
// \"X\": use an IANA name such as America/New_York". Never throws.
Result<const date::time_zone*> find_zone(std::string_view name);

// Returns true when `name` is a zone of the system database.
bool is_valid_zone(std::string_view name);

// Formats a wall-clock time in `zone` as 2026-06-12T20:00:00-04:00 with the offset in
// force at that moment there (+00:00 for UTC, never Z). An ambiguous time (clocks fall
// back) takes the earlier instant. Returns the text, or Error{invalid} when the zone is
// unknown or the time does not exist there: "2026-03-08 02:30 does not exist in
// America/New_York (clocks spring forward)".
Result<std::string> to_iso_with_offset(date::local_seconds local, std::string_view zone);
Result<std::string> to_iso_with_offset(date::local_seconds local, const date::time_zone& zone);

// Returns the instant a wall-clock time names in `zone` (the earlier one when clocks
// fall back), or Error{invalid} as above when it does not exist there.
Result<date::sys_seconds> to_instant(date::local_seconds local, const date::time_zone& zone);

// Formats an instant as it reads on the wall in `zone`: 2026-06-12T16:00:00-04:00.
// Always succeeds.
std::string format_in_zone(date::sys_seconds instant, const date::time_zone& zone);

// Returns a Unix time in ISO 8601 UTC, "2026-11-27T08:03:15Z": how messages, reports and
// status show instants.
std::string format_utc(std::int64_t unix_seconds);

// Which rules of the system time-zone database this process converts with: the tzdata
// release named in /usr/share/zoneinfo/tzdata.zi ("2025b"), else that file's size and
// modification time, else a value of this process alone ("unknown, process started …").
// Read once and kept, as the database's zones are once
// loaded: a tzdata upgrade under a running agent takes effect, for both, at its restart.
std::string_view time_zone_rules_version();

// Converts between wall times and instants in one zone, remembering the offset period it
// used last: the rows of a sheet mostly fall in one season, and the database search per
// value is otherwise the slowest step of mapping many rows. Results are identical to
// to_instant / format_in_zone. Not thread-safe: one per mapping pass or thread.
class ZoneClock {
 public:
  explicit ZoneClock(const date::time_zone& zone) : m_zone(&zone) {}

  const date::time_zone& zone() const { return *m_zone; }
  // As to_instant(local, zone()).
  Result<date::sys_seconds> to_instant(date::local_seconds local);
  // As format_in_zone(instant, zone()).
  std::string format(date::sys_seconds instant);
  // Returns the wall-clock time of `instant` in zone(). Always succeeds.
  date::local_seconds to_local(date::sys_seconds instant);

 private:
  const date::sys_info& info_for(date::sys_seconds instant);

  const date::time_zone* m_zone;
  std::optional<date::sys_info> m_info;
};

}  // namespace pinsync

#include "agent/mapping/times.h"

#include "agent/mapping/cells.h"

namespace pinsync::agent {

namespace {

std::string joined(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!a.empty() && !b.empty()) out += ' ';
  out.append(b);
  return out;
}

// A date-time as the row wrote it, with the column to blame when it turns out wrong.
// The cell text is kept as views into the row (joined only for an error): building it
// for every row was a measurable share of mapping a large sheet.
struct WallTime {
  date::local_seconds local;
  std::optional<std::chrono::seconds> offset;
  Slot slot = Slot::start;
  std::string_view text;   // the cell, or the date cell of a date + time pair
  std::string_view extra;  // the time cell of that pair, else ""

  std::string value() const { return joined(text, extra); }
};

enum class EndKind { none, explicit_end, time_only, failed };

struct EndRead {
  EndKind kind = EndKind::none;
  WallTime wall;                   // explicit_end
  std::chrono::minutes time_of_day{0};  // time_only
};

bool mapped(const SourcePlan& plan, Slot slot) { return plan.column(slot).index.has_value(); }

std::optional<WallTime> read_start(const SourcePlan& plan, const RowCells& cells, std::vector<RowError>& errors) {
  const DateOrder order = plan.source->date_order;
  if (mapped(plan, Slot::start)) {
    const std::string_view text = cells[Slot::start];
    if (cells.bad(Slot::start)) return std::nullopt;
    if (text.empty()) {
      add_error(plan, errors, Slot::start, text, "no start date and time: the cell is empty");
      return std::nullopt;
    }
    auto dt = parse_date_time(text, order);
    if (!dt) {
      add_error(plan, errors, Slot::start, text, dt.error().message);
      return std::nullopt;
    }
    if (!dt->has_time) {
      add_error(plan, errors, Slot::start, text, "no start time: " + in_quotes(text) + " is only a date");
      return std::nullopt;
    }
    return WallTime{dt->local, dt->utc_offset, Slot::start, text, {}};
  }

  const std::string_view date_text = cells[Slot::start_date];
  const std::string_view time_text = cells[Slot::start_time];
  if (cells.bad(Slot::start_date) || cells.bad(Slot::start_time)) return std::nullopt;
  bool ok = true;
  std::optional<DateTimeText> dt;
  if (date_text.empty()) {
    add_error(plan, errors, Slot::start_date, date_text, "no start date: the cell is empty");
    ok = false;
  } else if (auto parsed = parse_date_time(date_text, order); !parsed) {
    add_error(plan, errors, Slot::start_date, date_text, parsed.error().message);
    ok = false;
  } else {
    dt = *parsed;
  }
  std::optional<std::chrono::minutes> time;
  if (!time_text.empty()) {
    if (auto parsed = parse_time(time_text); !parsed) {
      add_error(plan, errors, Slot::start_time, time_text, parsed.error().message);
      ok = false;
    } else {
      time = *parsed;
    }
  }
  if (!ok) return std::nullopt;
  if (time) {
    // The time column wins over a time hidden in the date cell (a serial with a fraction).
    return WallTime{date::floor<date::days>(dt->local) + *time, std::nullopt, Slot::start_time, date_text, time_text};
  }
  if (dt->has_time) return WallTime{dt->local, dt->utc_offset, Slot::start_date, date_text, {}};
  const Slot blame = mapped(plan, Slot::start_time) ? Slot::start_time : Slot::start_date;
  add_error(plan, errors, blame, blame == Slot::start_time ? time_text : date_text,
            "no start time: the event needs a time of day");
  return std::nullopt;
}

EndRead read_end(const SourcePlan& plan, const RowCells& cells, std::vector<RowError>& errors) {
  const DateOrder order = plan.source->date_order;
  const auto failed = [&](Slot slot, std::string_view value, std::string reason) {
    add_error(plan, errors, slot, value, std::move(reason));
    return EndRead{EndKind::failed, {}, {}};
  };
  if (cells.bad(Slot::end) || cells.bad(Slot::end_date) || cells.bad(Slot::end_time)) return {EndKind::failed, {}, {}};
  if (const std::string_view text = cells[Slot::end]; !text.empty()) {
    auto dt = parse_date_time(text, order);
    if (!dt) return failed(Slot::end, text, dt.error().message);
    if (!dt->has_time) return failed(Slot::end, text, "no end time: " + in_quotes(text) + " is only a date");
    return {EndKind::explicit_end, WallTime{dt->local, dt->utc_offset, Slot::end, text, {}}, {}};
  }
  const std::string_view date_text = cells[Slot::end_date];
  const std::string_view time_text = cells[Slot::end_time];
  if (date_text.empty() && time_text.empty()) return {};

  std::optional<DateTimeText> dt;
  if (!date_text.empty()) {
    auto parsed = parse_date_time(date_text, order);
    if (!parsed) {
      EndRead out = failed(Slot::end_date, date_text, parsed.error().message);
      if (auto time = time_text.empty() ? Result<std::chrono::minutes>{} : parse_time(time_text); !time)
        add_error(plan, errors, Slot::end_time, time_text, time.error().message);
      return out;
    }
    dt = *parsed;
  }
  if (time_text.empty()) {
    if (dt->has_time) return {EndKind::explicit_end, WallTime{dt->local, dt->utc_offset, Slot::end_date, date_text, {}}, {}};
    const Slot blame = mapped(plan, Slot::end_time) ? Slot::end_time : Slot::end_date;
    return failed(blame, blame == Slot::end_time ? time_text : date_text,
                  "no end time: fill the end time or clear the end date");
  }
  auto time = parse_time(time_text);
  if (!time) return failed(Slot::end_time, time_text, time.error().message);
  if (!dt) return {EndKind::time_only, {}, *time};
  return {EndKind::explicit_end,
          WallTime{date::floor<date::days>(dt->local) + *time, std::nullopt, Slot::end_time, date_text, time_text},
          {}};
}

// The instant a wall time names: fixed by its own offset, else by the zone's rules.
std::optional<date::sys_seconds> instant_of(const SourcePlan& plan, const WallTime& wall, ZoneClock& zone,
                                            std::vector<RowError>& errors) {
  if (wall.offset) return date::sys_seconds{wall.local.time_since_epoch() - *wall.offset};
  auto instant = zone.to_instant(wall.local);
  if (!instant) {
    add_error(plan, errors, wall.slot, wall.value(), instant.error().message);
    return std::nullopt;
  }
  return *instant;
}

}  // namespace

void add_error(const SourcePlan& plan, std::vector<RowError>& errors, Slot slot, std::string_view value,
               std::string reason) {
  const MappedColumn& column = plan.column(slot);
  errors.push_back(RowError{column.index ? column.name : std::string(payload_field(slot)), bounded_value(value),
                            std::move(reason)});
}

std::optional<EventTimes> map_times(const SourcePlan& plan, const RowCells& cells, ZoneClock* zone,
                                    std::vector<RowError>& errors) {
  const std::optional<WallTime> start = read_start(plan, cells, errors);
  const EndRead end = read_end(plan, cells, errors);
  if (!start || end.kind == EndKind::failed || zone == nullptr) return std::nullopt;

  const auto start_instant = instant_of(plan, *start, *zone, errors);
  if (!start_instant) return std::nullopt;
  EventTimes times{zone->format(*start_instant), std::nullopt};
  if (end.kind == EndKind::none) return times;

  std::optional<date::sys_seconds> end_instant;
  if (end.kind == EndKind::time_only) {
    // Late shows: "20:00 to 02:00" with no end date ends on the next day.
    const date::local_seconds start_wall = zone->to_local(*start_instant);
    date::local_seconds end_wall = date::floor<date::days>(start_wall) + end.time_of_day;
    if (end_wall <= start_wall) end_wall += date::days{1};
    end_instant = instant_of(plan, WallTime{end_wall, std::nullopt, Slot::end_time, cells[Slot::end_time], {}},
                             *zone, errors);
    if (!end_instant) return std::nullopt;
  } else {
    end_instant = instant_of(plan, end.wall, *zone, errors);
    if (!end_instant) return std::nullopt;
    if (*end_instant <= *start_instant) {
      add_error(plan, errors, end.wall.slot, end.wall.value(),
                "the end (" + zone->format(*end_instant) + ") is not after the start (" + times.start_at +
                    "): fix the end date or time");
      return std::nullopt;
    }
  }
  times.end_at = zone->format(*end_instant);
  return times;
}

}  // namespace pinsync::agent

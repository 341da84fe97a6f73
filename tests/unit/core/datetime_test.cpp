#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "core/datetime.h"

#include <fstream>
#include <string>

using pinsync::DateOrder;
using pinsync::parse_date;
using pinsync::parse_date_time;
using pinsync::parse_time;
using pinsync::to_iso_with_offset;

namespace {

date::year_month_day ymd(int y, unsigned m, unsigned d) {
  return date::year_month_day{date::year{y}, date::month{m}, date::day{d}};
}

date::local_seconds wall(int y, unsigned m, unsigned d, int h, int min) {
  return date::local_days{ymd(y, m, d)} + std::chrono::hours{h} + std::chrono::minutes{min};
}

std::string iso(date::local_seconds local, std::string_view zone) {
  auto r = to_iso_with_offset(local, zone);
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  return *r;
}

std::string date_error(std::string_view text, DateOrder order = DateOrder::unspecified) {
  auto r = parse_date(text, order);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

}  // namespace

TEST_CASE("parse_date: ISO dates read the same whatever the order") {
  for (auto order : {DateOrder::unspecified, DateOrder::MDY, DateOrder::DMY, DateOrder::YMD}) {
    CHECK(parse_date("2026-06-12", order).value() == ymd(2026, 6, 12));
    CHECK(parse_date("  2026/6/12 ", order).value() == ymd(2026, 6, 12));
  }
}

TEST_CASE("parse_date: slash, dash and dot dates follow the configured order") {
  CHECK(parse_date("6/12/2026", DateOrder::MDY).value() == ymd(2026, 6, 12));
  CHECK(parse_date("06/12/2026", DateOrder::MDY).value() == ymd(2026, 6, 12));
  CHECK(parse_date("6-12-2026", DateOrder::MDY).value() == ymd(2026, 6, 12));
  CHECK(parse_date("6/12/2026", DateOrder::DMY).value() == ymd(2026, 12, 6));
  CHECK(parse_date("12.6.2026", DateOrder::DMY).value() == ymd(2026, 6, 12));
}

TEST_CASE("parse_date: without an order, only unambiguous slash dates are read") {
  const std::string msg = date_error("6/12/2026");
  CHECK(msg == "\"6/12/2026\" could be June 12 or December 6: set date_order");
  CHECK(parse_date("13/6/2026", DateOrder::unspecified).value() == ymd(2026, 6, 13));
  CHECK(parse_date("6/13/2026", DateOrder::unspecified).value() == ymd(2026, 6, 13));
  CHECK(parse_date("6/6/2026", DateOrder::unspecified).value() == ymd(2026, 6, 6));
}

TEST_CASE("parse_date: two-digit years and impossible dates are errors with a reason") {
  CHECK_CONTAINS(date_error("6/12/26", DateOrder::MDY), "two-digit year");
  CHECK(date_error("2026-02-30") == "\"2026-02-30\" is not a date (February 2026 has 28 days)");
  CHECK_CONTAINS(date_error("2026-13-01"), "there is no month 13");
  CHECK(date_error("June 32") == "\"June 32\" is not a date");
  CHECK_CONTAINS(date_error("6/31/2026", DateOrder::MDY), "June 2026 has 30 days");
  CHECK(date_error("next friday") == "\"next friday\" is not a date");
  CHECK_CONTAINS(date_error("June 12"), "has no year");
  CHECK(parse_date("2028-02-29", DateOrder::unspecified).has_value());
}

TEST_CASE("parse_date: spreadsheet serials count days from 1899-12-30") {
  CHECK(parse_date("46185", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("46185.0", DateOrder::MDY).value() == ymd(2026, 6, 12));
  CHECK(parse_date("43831", DateOrder::unspecified).value() == ymd(2020, 1, 1));  // recorded sample
  CHECK(parse_date("1", DateOrder::unspecified).value() == ymd(1899, 12, 31));
  CHECK_FALSE(parse_date("0", DateOrder::unspecified).has_value());
  CHECK_FALSE(parse_date("2958466", DateOrder::unspecified).has_value());
}

TEST_CASE("parse_date: written English forms, any case, weekday checked") {
  CHECK(parse_date("June 12, 2026", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("12 June 2026", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("Jun 12 2026", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("Fri, June 12, 2026", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("fri, JUNE 12th, 2026", DateOrder::unspecified).value() == ymd(2026, 6, 12));
  CHECK(parse_date("12-Sep-2026", DateOrder::unspecified).value() == ymd(2026, 9, 12));
  CHECK_CONTAINS(date_error("Sat, June 12, 2026"), "is a Friday");
}

TEST_CASE("parse_time: 24 h, 12 h and spreadsheet fractions") {
  using std::chrono::minutes;
  CHECK(parse_time("20:00").value() == minutes{20 * 60});
  CHECK(parse_time("20:00:00").value() == minutes{20 * 60});
  CHECK(parse_time("8:00 PM").value() == minutes{20 * 60});
  CHECK(parse_time("8 PM").value() == minutes{20 * 60});
  CHECK(parse_time("8pm").value() == minutes{20 * 60});
  CHECK(parse_time("8:30pm").value() == minutes{20 * 60 + 30});
  CHECK(parse_time("12:00 AM").value() == minutes{0});
  CHECK(parse_time("12 PM").value() == minutes{12 * 60});
  CHECK(parse_time("12:30 am").value() == minutes{30});
  CHECK(parse_time("0.833333").value() == minutes{20 * 60});
  CHECK(parse_time("0.5").value() == minutes{12 * 60});
  CHECK(parse_time("20h30").value() == minutes{20 * 60 + 30});
  for (const char* bad : {"24:00", "13 PM", "0 AM", "8", "20:60", "8:5", "soon", "1.5"}) {
    INFO(bad);
    auto r = parse_time(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message == "\"" + std::string(bad) + "\" is not a time");
  }
}

TEST_CASE("parse_date_time: one-column forms") {
  const auto at = [](std::string_view text, DateOrder order = DateOrder::unspecified) {
    auto r = parse_date_time(text, order);
    REQUIRE_MESSAGE(r.has_value(), r.error().message);
    return *r;
  };
  CHECK(at("2026-06-12T20:00").local == wall(2026, 6, 12, 20, 0));
  CHECK(at("2026-06-12 20:00").local == wall(2026, 6, 12, 20, 0));
  CHECK(at("2026-06-12 8:00 PM").local == wall(2026, 6, 12, 20, 0));
  CHECK(at("6/12/2026 8:00 PM", DateOrder::MDY).local == wall(2026, 6, 12, 20, 0));
  CHECK(at("June 12, 2026 at 8pm").local == wall(2026, 6, 12, 20, 0));
  CHECK(at("46185.8333").local == wall(2026, 6, 12, 20, 0));
  CHECK(at("2026-06-12T20:00").has_time);
  CHECK_FALSE(at("2026-06-12").has_time);
  CHECK_FALSE(at("46185").has_time);
  CHECK_FALSE(at("2026-06-12T20:00").utc_offset.has_value());

  const auto fixed = at("2026-06-12T20:00:00-04:00");
  CHECK(fixed.utc_offset == std::chrono::seconds{-4 * 3600});
  CHECK(at("2026-06-12T20:00:00Z").utc_offset == std::chrono::seconds{0});
  CHECK(at("2026-06-12T20:00:00.000+0530").utc_offset == std::chrono::seconds{5 * 3600 + 30 * 60});

  auto ambiguous = parse_date_time("6/12/2026 8:00 PM", DateOrder::unspecified);
  REQUIRE_FALSE(ambiguous.has_value());
  CHECK_CONTAINS(ambiguous.error().message, "set date_order");
  CHECK_FALSE(parse_date_time("2026-06-12T25:00", DateOrder::unspecified).has_value());
  CHECK_FALSE(parse_date_time("2026-06-12T20:00+99:00", DateOrder::unspecified).has_value());
}

TEST_CASE("to_iso_with_offset: the offset follows daylight saving time") {
  CHECK(iso(wall(2026, 1, 15, 20, 0), "America/New_York") == "2026-01-15T20:00:00-05:00");
  CHECK(iso(wall(2026, 6, 12, 20, 0), "America/New_York") == "2026-06-12T20:00:00-04:00");
  CHECK(iso(wall(2026, 6, 12, 20, 0), "Europe/Madrid") == "2026-06-12T20:00:00+02:00");
  CHECK(iso(wall(2026, 1, 12, 20, 0), "Europe/Madrid") == "2026-01-12T20:00:00+01:00");
  CHECK(iso(wall(2026, 6, 12, 20, 0), "Asia/Kolkata") == "2026-06-12T20:00:00+05:30");
  CHECK(iso(wall(2026, 6, 12, 20, 0), "Asia/Kathmandu") == "2026-06-12T20:00:00+05:45");
  CHECK(iso(wall(2026, 6, 12, 20, 0), "UTC") == "2026-06-12T20:00:00+00:00");
}

TEST_CASE("to_iso_with_offset: spring-forward gap is an error, fall-back takes the earlier instant") {
  auto gap = to_iso_with_offset(wall(2026, 3, 8, 2, 30), "America/New_York");
  REQUIRE_FALSE(gap.has_value());
  CHECK(gap.error().kind == pinsync::ErrorKind::invalid);
  CHECK(gap.error().message == "2026-03-08 02:30 does not exist in America/New_York (clocks spring forward)");
  CHECK(iso(wall(2026, 11, 1, 1, 30), "America/New_York") == "2026-11-01T01:30:00-04:00");
}

TEST_CASE("zones: unknown names are errors, never exceptions") {
  CHECK(pinsync::is_valid_zone("America/New_York"));
  CHECK_FALSE(pinsync::is_valid_zone("America/Atlantis"));
  CHECK_FALSE(pinsync::is_valid_zone(""));
  auto r = to_iso_with_offset(wall(2026, 6, 12, 20, 0), "Mars/Olympus");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("unknown time zone \"Mars/Olympus\"") == 0);
}

TEST_CASE("format_in_zone: a fixed instant is shown with the zone's offset") {
  auto zone = pinsync::find_zone("America/New_York");
  REQUIRE(zone.has_value());
  const date::sys_seconds instant = date::sys_days{ymd(2026, 6, 13)};  // 00:00 UTC
  CHECK(pinsync::format_in_zone(instant, **zone) == "2026-06-12T20:00:00-04:00");
}

TEST_CASE("ZoneClock: the cached offset period gives the same answers as the database") {
  // Guards the fast path of ZoneClock against transitions, half-hour DST and a 24 h jump.
  for (const char* name : {"America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kathmandu", "UTC"}) {
    INFO(name);
    auto zone = pinsync::find_zone(name);
    REQUIRE(zone.has_value());
    pinsync::ZoneClock clock(**zone);
    int checked = 0;
    for (int year : {2011, 2026}) {
      for (int step = 0; step < 365 * 24 * 2; step += 7) {  // every 3.5 hours over the year
        const date::local_seconds local =
            date::local_days{ymd(year, 1, 1)} + std::chrono::minutes{30} * step;
        auto expected = pinsync::to_instant(local, **zone);
        auto got = clock.to_instant(local);
        REQUIRE(expected.has_value() == got.has_value());
        if (!expected) continue;
        REQUIRE(*got == *expected);
        REQUIRE(clock.format(*got) == pinsync::format_in_zone(*expected, **zone));
        REQUIRE(clock.to_local(*got) == local);
        ++checked;
      }
    }
    CHECK(checked > 1000);
  }
}

TEST_CASE("parse_date: a year-last date under date_order YMD is read only when unambiguous") {
  CHECK(parse_date("13/6/2026", DateOrder::YMD).value() == ymd(2026, 6, 13));
  CHECK_CONTAINS(date_error("6/12/2026", DateOrder::YMD), "does not follow date_order YMD");
}

TEST_CASE("time_zone_rules_version: the tzdata release, read once") {
  const std::string_view version = pinsync::time_zone_rules_version();
  CHECK_FALSE(version.empty());
  CHECK(pinsync::time_zone_rules_version().data() == version.data());  // kept, not read again
  std::ifstream zi("/usr/share/zoneinfo/tzdata.zi");
  std::string first;
  if (zi && std::getline(zi, first) && first.starts_with("# version ")) CHECK(version == first.substr(10));
}

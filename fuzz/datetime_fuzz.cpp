// Fuzz target: core/datetime — parse_date / parse_time / parse_date_time under every
// DateOrder, and the wall-time ↔ instant conversions in a handful of zones.
// Invariants: errors say something; a parsed date is a real date and its ISO form reads back
// as the same date under every order; a parsed time is within the day and reads back; a
// date alone is midnight; an ISO text with offset reads back as the same wall time and
// offset, names the same instant as to_instant and is what format_in_zone prints for it;
// ZoneClock gives exactly the free functions' answers.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/datetime.h"
#include "fuzz/fuzz_check.h"

namespace {

constexpr std::array<pinsync::DateOrder, 4> k_orders = {pinsync::DateOrder::unspecified, pinsync::DateOrder::MDY,
                                                        pinsync::DateOrder::DMY, pinsync::DateOrder::YMD};
// Zones with and without DST, north and south, odd offsets, and UTC.
constexpr std::array<const char*, 7> k_zones = {"America/New_York", "Europe/Madrid",     "Australia/Lord_Howe",
                                                "Asia/Kathmandu",   "America/Sao_Paulo", "Pacific/Apia",
                                                "UTC"};

std::string iso_date(const date::year_month_day& ymd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

bool plausible_year(const date::year_month_day& ymd) {
  const int y = static_cast<int>(ymd.year());
  return y >= 1800 && y <= 2300;
}

// Since 1973 every zone's offset is whole minutes, which ISO ±HH:MM can say exactly; before
// that, local mean times such as Kathmandu's +05:41:16 cannot round-trip (and no event
// pinsync syncs lies there).
bool whole_minute_era(const date::year_month_day& ymd) {
  const int y = static_cast<int>(ymd.year());
  return y >= 1973 && y <= 2300;
}

void check_date(std::string_view text, pinsync::DateOrder order) {
  auto d = pinsync::parse_date(text, order);
  if (!d) {
    PINSYNC_FUZZ_CHECK(!d.error().message.empty());
    return;
  }
  PINSYNC_FUZZ_CHECK(d->ok());
  if (!plausible_year(*d)) return;
  for (auto other : k_orders) {
    auto again = pinsync::parse_date(iso_date(*d), other);
    PINSYNC_FUZZ_CHECK(again.has_value() && *again == *d);
  }
}

void check_time(std::string_view text) {
  auto t = pinsync::parse_time(text);
  if (!t) {
    PINSYNC_FUZZ_CHECK(!t.error().message.empty());
    return;
  }
  PINSYNC_FUZZ_CHECK(t->count() >= 0 && t->count() < 24 * 60);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(t->count() / 60), static_cast<int>(t->count() % 60));
  auto again = pinsync::parse_time(buf);
  PINSYNC_FUZZ_CHECK(again.has_value() && *again == *t);
}

void check_zone(date::local_seconds local, const date::time_zone& zone, pinsync::ZoneClock& clock) {
  const date::year_month_day ymd{date::floor<date::days>(local)};
  if (!whole_minute_era(ymd)) return;
  auto iso = pinsync::to_iso_with_offset(local, zone);
  auto instant = pinsync::to_instant(local, zone);
  auto cached = clock.to_instant(local);
  PINSYNC_FUZZ_CHECK(iso.has_value() == instant.has_value());
  PINSYNC_FUZZ_CHECK(cached.has_value() == instant.has_value());
  if (!iso) {
    PINSYNC_FUZZ_CHECK(!iso.error().message.empty());
    return;
  }
  PINSYNC_FUZZ_CHECK(*cached == *instant);
  auto back = pinsync::parse_date_time(*iso, pinsync::DateOrder::YMD);
  PINSYNC_FUZZ_CHECK(back.has_value() && back->has_time && back->utc_offset.has_value());
  PINSYNC_FUZZ_CHECK(back->local == local);
  PINSYNC_FUZZ_CHECK(date::sys_seconds{local.time_since_epoch() - *back->utc_offset} == *instant);
  PINSYNC_FUZZ_CHECK(pinsync::format_in_zone(*instant, zone) == *iso);
  PINSYNC_FUZZ_CHECK(clock.format(*instant) == *iso);
  PINSYNC_FUZZ_CHECK(clock.to_local(*instant) == local);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto order = k_orders[in.ConsumeIntegralInRange<std::size_t>(0, k_orders.size() - 1)];
  const char* zone_name = k_zones[in.ConsumeIntegralInRange<std::size_t>(0, k_zones.size() - 1)];
  const auto shift = std::chrono::minutes(in.ConsumeIntegralInRange<int>(-48 * 60, 48 * 60));
  const std::string text = in.ConsumeRemainingBytesAsString();

  check_date(text, order);
  check_time(text);

  auto zone = pinsync::find_zone(zone_name);
  PINSYNC_FUZZ_CHECK(zone.has_value());
  auto parsed = pinsync::parse_date_time(text, order);
  if (!parsed) {
    PINSYNC_FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  if (!parsed->has_time) {
    PINSYNC_FUZZ_CHECK(parsed->local == date::floor<date::days>(parsed->local));
  }
  pinsync::ZoneClock clock(**zone);
  check_zone(parsed->local, **zone, clock);
  // A second conversion in the same ZoneClock exercises its remembered offset period.
  check_zone(parsed->local + shift, **zone, clock);
  return 0;
}

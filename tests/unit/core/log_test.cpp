#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "core/clock.h"
#include "core/log.h"
#include "tests/support/fake_clock.h"

#include <optional>

using namespace pinsync;

TEST_CASE("redact removes registered secrets, bearer tokens and secret query parameters") {
  const std::vector<std::string> secrets = {"s3cr3t-key"};
  CHECK(redact("key is s3cr3t-key!", secrets) == "key is ***!");
  CHECK(redact("Authorization: Bearer abc.def-ghi", {}) == "Authorization: Bearer ***");
  CHECK(redact("GET /v4/x?key=AIzaXYZ&range=A1", {}) == "GET /v4/x?key=***&range=A1");
  CHECK(redact("grant_type=refresh&refresh_token=1//tok&client_secret=cs", {}) ==
        "grant_type=refresh&refresh_token=***&client_secret=***");
  CHECK(redact("nothing secret here", secrets) == "nothing secret here");
}

TEST_CASE("logger: text lines carry fields and never the registered secret") {
  SystemClock clock;
  std::ostringstream out;
  Logger log(out, LogLevel::info, LogFormat::text, clock);
  log.add_secret("tok-123");
  log.debug("hidden");
  log.info("sent", {{"source", "acme"}, {"detail", "with tok-123 inside"}});
  const auto text = out.str();
  CHECK_NOT_CONTAINS(text, "hidden");
  CHECK_CONTAINS(text, "sent source=acme detail=\"with *** inside\"");
  CHECK_NOT_CONTAINS(text, "tok-123");
}

TEST_CASE("logger: a level set later applies to the lines after it (a reloaded config)") {
  SystemClock clock;
  std::ostringstream out;
  Logger log(out, LogLevel::warn, LogFormat::text, clock);
  log.info("before");
  log.set_level(LogLevel::debug);
  CHECK(log.level() == LogLevel::debug);
  log.debug("after");
  CHECK_NOT_CONTAINS(out.str(), "before");
  CHECK_CONTAINS(out.str(), "after");
  CHECK(level_name(LogLevel::warn) == "warn");
}

TEST_CASE("logger: json lines are one object per line") {
  SystemClock clock;
  std::ostringstream out;
  Logger log(out, LogLevel::debug, LogFormat::json, clock);
  log.warn("slow", {{"ms", "1200"}});
  const auto text = out.str();
  CHECK(text.front() == '{');
  CHECK_CONTAINS(text, R"("level":"warn","msg":"slow","ms":"1200"})");
  CHECK(text.back() == '\n');
}

TEST_CASE("logger: whole numbers are JSON numbers, an absent one null, text stays a string") {
  pinsync::testing::FakeClock clock;
  clock.set_unix_seconds(1796192752);  // 2026-12-02T06:25:52Z
  std::ostringstream out;
  Logger log(out, LogLevel::debug, LogFormat::json, clock);
  const std::optional<std::int64_t> no_event;
  log.warn("Pinned Events answered 503", {{"source", "acme"}, {"row", "partner.csv:14"}, {"status", 503L},
                                           {"duration_ms", std::int64_t{1200}}, {"event_id", no_event},
                                           {"attempt", 2}, {"request_id", "42"}});
  CHECK(out.str() == R"({"time":"2026-12-02T06:25:52.000Z","level":"warn","msg":"Pinned Events answered 503",)"
                     R"("source":"acme","row":"partner.csv:14","status":503,"duration_ms":1200,"event_id":null,)"
                     R"("attempt":2,"request_id":"42"})"
                     "\n");
}

TEST_CASE("logger: numbers in text lines are written bare") {
  pinsync::testing::FakeClock clock;
  clock.set_unix_seconds(1796192752);
  std::ostringstream out;
  Logger log(out, LogLevel::info, LogFormat::text, clock);
  log.info("pass finished", {{"source", "acme"}, {"created", 3}, {"requests", std::size_t{4}}});
  CHECK(out.str() == "2026-12-02T06:25:52.000Z info  pass finished source=acme created=3 requests=4\n");
}

// What core/http.h decides once for every API: how long a Retry-After asks to wait, and
// which ErrorKind a status is.
#include <doctest/doctest.h>

#include "core/http.h"

using namespace pinsync;
using namespace std::chrono_literals;

namespace {

// 2023-11-14 22:13:20 UTC, a Tuesday.
const std::chrono::system_clock::time_point k_now{std::chrono::seconds{1'700'000'000}};

std::optional<std::chrono::seconds> retry_after(std::string value) {
  http::Response r;
  r.status = 429;
  r.headers.emplace_back("retry-after", std::move(value));
  return r.retry_after(k_now);
}

}  // namespace

TEST_CASE("retry-after: delta-seconds, digits only, capped at an hour") {
  CHECK(retry_after("7") == 7s);
  CHECK(retry_after("0") == 0s);
  CHECK(retry_after(" 120 ") == 120s);
  CHECK(retry_after("007") == 7s);
  CHECK(retry_after("3600") == 3600s);
  CHECK(retry_after("3601") == http::k_max_retry_after);
  CHECK(retry_after("86400") == http::k_max_retry_after);
  // More digits than any integer holds: still the cap, not an overflow.
  CHECK(retry_after("99999999999999999999999") == http::k_max_retry_after);
  CHECK(retry_after("00000000000000000005") == 5s);
}

TEST_CASE("retry-after: what is neither form is no Retry-After") {
  for (const char* bad : {"", " ", "-1", "+5", "1.5", "7s", "7 seconds", "abc", "0x10",
                          "Tue, 14 Nov 2023 22:13:20 UTC", "Tuesday, 14-Nov-23 22:13:20 GMT",
                          "Tue Nov 14 22:13:20 2023", "Tue, 31 Nov 2023 22:13:20 GMT",
                          "Tue, 14 Nov 2023 24:00:00 GMT", "Xyz, 14 Nov 2023 22:13:20 GMT",
                          "Tue, 14 Nox 2023 22:13:20 GMT", "Tue,  14 Nov 2023 22:13:20 GMT"}) {
    CAPTURE(bad);
    CHECK_FALSE(retry_after(bad).has_value());
  }
  http::Response none;
  none.status = 429;
  CHECK_FALSE(none.retry_after(k_now).has_value());
}

TEST_CASE("retry-after: an IMF-fixdate is the wait from now, rounded up, capped, never negative") {
  CHECK(retry_after("Tue, 14 Nov 2023 22:13:50 GMT") == 30s);
  CHECK(retry_after("Tue, 14 Nov 2023 22:13:20 GMT") == 0s);
  CHECK(retry_after("Tue, 14 Nov 2023 22:00:00 GMT") == 0s);  // already past
  CHECK(retry_after(" Tue, 14 Nov 2023 22:13:25 GMT ") == 5s);
  CHECK(retry_after("Wed, 15 Nov 2023 22:13:20 GMT") == http::k_max_retry_after);
  // Sub-second `now`: the date is still never reached early.
  http::Response r;
  r.headers.emplace_back("retry-after", "Tue, 14 Nov 2023 22:13:21 GMT");
  CHECK(r.retry_after(k_now + 300ms) == 1s);
  // The day name is checked for form only, as the RFC asks nothing more of a reader.
  CHECK(retry_after("Sun, 14 Nov 2023 22:14:20 GMT") == 60s);
}

TEST_CASE("error kinds: one rule for every status") {
  using http::Refusal;
  CHECK(http::error_kind_for(401) == ErrorKind::auth);
  CHECK(http::error_kind_for(403) == ErrorKind::auth);
  CHECK(http::error_kind_for(404) == ErrorKind::not_found);
  CHECK(http::error_kind_for(408) == ErrorKind::timeout);
  CHECK(http::error_kind_for(409) == ErrorKind::conflict);
  CHECK(http::error_kind_for(429) == ErrorKind::rate_limited);
  for (long s : {500L, 502L, 503L, 504L, 599L}) CHECK(http::error_kind_for(s) == ErrorKind::transient);
  // A refusal that names no cause blames the data or the settings, as the caller says.
  for (long s : {400L, 405L, 410L, 422L, 302L}) {
    CAPTURE(s);
    CHECK(http::error_kind_for(s) == ErrorKind::invalid);
    CHECK(http::error_kind_for(s, Refusal::bad_settings) == ErrorKind::config);
  }
  // The named causes do not depend on whom the caller would blame.
  CHECK(http::error_kind_for(403, Refusal::bad_settings) == ErrorKind::auth);
  CHECK(http::error_kind_for(503, Refusal::bad_settings) == ErrorKind::transient);
  CHECK(http::error_kind_for(200) == ErrorKind::internal);
  CHECK(http::error_kind_for(204) == ErrorKind::internal);
}

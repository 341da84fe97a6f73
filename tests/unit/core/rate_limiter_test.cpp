// The shared token bucket: its pace, pauses, and how it adapts to 429s (halve, then climb
// back), all on a fake clock.
#include <doctest/doctest.h>

#include "core/rate_limiter.h"
#include "tests/support/fake_clock.h"

using namespace pinsync;
using namespace std::chrono_literals;
using pinsync::testing::FakeClock;

namespace {

// How long `n` acquires take on the fake clock.
std::chrono::milliseconds time_for(FakeClock& clock, RateLimiter& limiter, int n) {
  const auto start = clock.monotonic();
  for (int i = 0; i < n; ++i) REQUIRE(limiter.acquire());
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.monotonic() - start);
}

}  // namespace

TEST_CASE("rate limiter: keeps the configured pace after the burst") {
  FakeClock clock;
  RateLimiter limiter(clock, 100, 10);
  CHECK(time_for(clock, limiter, 10) == 0ms);  // the burst
  const auto t = time_for(clock, limiter, 100);
  CHECK(t >= 990ms);
  CHECK(t <= 1100ms);
}

TEST_CASE("rate limiter: a 429 halves the rate once per second, down to a floor; successes win it back") {
  FakeClock clock;
  RateLimiter limiter(clock, 160, 1);
  limiter.throttled();
  CHECK(limiter.current_rate() == doctest::Approx(80));
  limiter.throttled();  // the same burst of 429s
  CHECK(limiter.current_rate() == doctest::Approx(80));
  for (int i = 0; i < 10; ++i) {
    clock.advance(1100ms);
    limiter.throttled();
  }
  CHECK(limiter.current_rate() == doctest::Approx(40));  // a quarter of 160
  int successes = 0;
  while (limiter.current_rate() < 160 && successes < 100000) {
    limiter.succeeded();
    ++successes;
  }
  CHECK(limiter.current_rate() == doctest::Approx(160));
  CHECK(successes > 50);  // additive: a climb, not a jump
}

TEST_CASE("rate limiter: an unlimited bucket starts from the rate it achieved, and returns to unlimited") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  CHECK(limiter.current_rate() == 0);
  for (int i = 0; i < 400; ++i) {
    REQUIRE(limiter.acquire());
    clock.advance(5ms);  // 200 requests per second
  }
  limiter.throttled();
  CHECK(limiter.current_rate() == doctest::Approx(100).epsilon(0.05));
  while (limiter.current_rate() != 0) limiter.succeeded();
  CHECK(time_for(clock, limiter, 1000) == 0ms);
}

TEST_CASE("rate limiter: pause_for holds every caller, limited or not") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  limiter.pause_for(2s);
  CHECK(time_for(clock, limiter, 1) >= 2000ms);
}

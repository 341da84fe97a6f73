// The shared token bucket: its pace, pauses, and how it adapts to 429s (the window halved,
// the rate cut by 30 %, then both climb back), all on a fake clock.
#include <doctest/doctest.h>

#include "core/rate_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

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

TEST_CASE("rate limiter: a 429 lowers the rate once per second, down to a quarter; successes win it back") {
  FakeClock clock;
  RateLimiter limiter(clock, 160, 1);
  limiter.throttled();
  CHECK(limiter.current_rate() == doctest::Approx(112));
  limiter.throttled();  // the same burst of 429s
  CHECK(limiter.current_rate() == doctest::Approx(112));
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
  CHECK(successes > 10);  // additive: a climb, not a jump
}

TEST_CASE("rate limiter: the window of requests in flight halves on a 429 and grows back one by one") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  CHECK(limiter.window() == 64);
  for (int i = 0; i < 8; ++i) REQUIRE(limiter.enter());
  limiter.throttled();  // 8 in flight when the 429 came
  CHECK(limiter.window() == 4);
  for (int i = 0; i < 8; ++i) limiter.leave();
  clock.advance(1100ms);
  for (int i = 0; i < 4; ++i) REQUIRE(limiter.enter());
  limiter.throttled();
  CHECK(limiter.window() == 2);
  for (int i = 0; i < 4; ++i) limiter.leave();
  limiter.succeeded();
  limiter.succeeded();
  CHECK(limiter.window() == doctest::Approx(2.9).epsilon(0.01));  // +1/2, then +1/2.5
  int successes = 0;
  while (limiter.window() < 64 && successes < 100000) {
    limiter.succeeded();
    ++successes;
  }
  CHECK(successes > 1000);  // one more per window's worth: additive
  CHECK(limiter.current_rate() == 0);  // no rate configured: only the window adapts
}

TEST_CASE("rate limiter: enter waits for a free place in the window, woken by leave() without polling") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  REQUIRE(limiter.enter());
  limiter.throttled();  // window 1, and it is taken
  std::atomic<bool> left{false};
  std::atomic<bool> entered_before_leave{false};
  std::thread waiter([&] {
    REQUIRE(limiter.enter());  // blocks on the limiter's condition variable
    entered_before_leave = !left.load();
    limiter.leave();
  });
  while (clock.blocked() == 0) std::this_thread::yield();  // the waiter is blocked, not polling
  left = true;
  limiter.leave();
  waiter.join();
  CHECK_FALSE(entered_before_leave.load());
  CHECK(clock.slept() == 0ms);  // a polling wait would have slept through the clock
}

TEST_CASE("rate limiter: max_in_flight bounds the window for every caller; successes never grow it past") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1, 3);
  CHECK(limiter.window() == 3);
  for (int i = 0; i < 3; ++i) REQUIRE(limiter.enter());
  for (int i = 0; i < 100; ++i) limiter.succeeded();
  CHECK(limiter.window() == 3);
  std::atomic<int> entered{0};
  std::thread fourth([&] {
    if (limiter.enter()) ++entered;
  });
  while (clock.blocked() == 0) std::this_thread::yield();
  CHECK(entered.load() == 0);
  CHECK(limiter.in_flight() == 3);
  limiter.leave();
  fourth.join();
  CHECK(entered.load() == 1);
  CHECK(limiter.in_flight() == 3);
  // The same limiter asked for again with another bound (a reloaded config) takes it.
  RateLimiters limiters(clock);
  auto a = limiters.get("pinned x", 0, 1, 2);
  CHECK(a->max_in_flight() == 2);
  auto b = limiters.get("pinned x", 0, 1, 8);
  CHECK(a == b);
  CHECK(a->max_in_flight() == 8);
  CHECK(a->window() == 8);
}

TEST_CASE("rate limiter: stopping the clock ends a blocked enter() with false") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1, 1);
  REQUIRE(limiter.enter());
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = limiter.enter() ? 1 : 0; });
  while (clock.blocked() == 0) std::this_thread::yield();
  clock.stop();
  waiter.join();
  CHECK(result.load() == 0);
  CHECK(limiter.in_flight() == 1);  // the stopped waiter holds no place
  RateLimiter paced(clock, 1, 1);
  CHECK(paced.acquire());        // the burst
  CHECK_FALSE(paced.acquire());  // would wait a second for the next token: stopped instead
}

TEST_CASE("rate limiter: pause_for holds every caller, limited or not") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  limiter.pause_for(2s);
  CHECK(time_for(clock, limiter, 1) >= 2000ms);
}

TEST_CASE("rate limiter: acquire_all waits for every limiter and counts the request in each at the same moment") {
  FakeClock clock;
  RateLimiter slow(clock, 2, 1);   // one every 500 ms
  RateLimiter fast(clock, 10, 1);  // one every 100 ms
  RateLimiter* const both[] = {&slow, &fast};
  std::vector<std::chrono::steady_clock::time_point> at;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(RateLimiter::acquire_all(both));
    at.push_back(clock.monotonic());
  }
  // The slower quota sets the pace...
  for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] == 500ms);
  // ...and the faster one was charged when the request went, not when its token was free:
  // its next token is 100 ms after the send. (Taking its token first and then waiting
  // 500 ms for the slow one would have let it refill meanwhile, and another user of it
  // could have sent right next to this request.)
  CHECK(time_for(clock, fast, 1) == 100ms);
  CHECK(time_for(clock, slow, 1) == 400ms);

  // A pause of either holds the request.
  fast.pause_for(3s);
  const auto before = clock.monotonic();
  REQUIRE(RateLimiter::acquire_all(both));
  CHECK(clock.monotonic() - before >= 3s);

  // Null entries and repeats are ignored; a stopped clock gives false.
  RateLimiter* const repeated[] = {&slow, nullptr, &slow};
  REQUIRE(RateLimiter::acquire_all(repeated));
  clock.stop();
  CHECK_FALSE(RateLimiter::acquire_all(both));
}

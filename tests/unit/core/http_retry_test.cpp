// The one retry loop (core/http_retry.h) on a FakeTransport and a FakeClock: what is
// retried and how long it waits, when a write may have happened, how the limiter is
// used in each pacing, and stopping.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/http_retry.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace pinsync;
using namespace std::chrono_literals;
using pinsync::testing::FakeClock;
using pinsync::testing::FakeTransport;

namespace {

http::Request get() {
  http::Request r;
  r.url = "http://127.0.0.1:9/thing";
  return r;
}

Backoff backoff(int attempts, std::chrono::milliseconds base = 100ms, Jitter jitter = Jitter::full) {
  return Backoff(RetryPolicy{attempts, base, 10s, jitter}, 7);
}

}  // namespace

TEST_CASE("retry loop: a final answer ends the call at once, whatever its status") {
  for (long status : {200L, 201L, 400L, 401L, 404L, 409L}) {
    CAPTURE(status);
    FakeTransport t;
    FakeClock clock;
    t.reply(status, "body");
    auto b = backoff(4);
    const auto ex = http::send_with_retries(t, get(), b, clock);
    REQUIRE(ex.response.has_value());
    CHECK(ex.response->status == status);
    CHECK(ex.response->body == "body");
    CHECK_FALSE(ex.failure.has_value());
    CHECK(ex.attempts == 1);
    CHECK_FALSE(ex.maybe_acted);
    CHECK_FALSE(ex.stopped);
    CHECK(clock.slept() == 0ms);
  }
}

TEST_CASE("retry loop: 429 and 5xx are retried, the same request each time, never before Retry-After") {
  FakeTransport t;
  FakeClock clock;
  t.reply(429, "", {{"retry-after", "7"}});
  t.reply(503, "");
  t.reply(200, "ok");
  auto b = backoff(4);
  std::vector<std::pair<int, std::chrono::milliseconds>> retries;
  int attempted = 0;
  http::RetryHooks hooks;
  hooks.attempted = [&](const auto& answer, std::chrono::milliseconds) {
    ++attempted;
    CHECK(answer.has_value());
  };
  hooks.retrying = [&](int next, std::chrono::milliseconds wait) { retries.emplace_back(next, wait); };
  auto request = get();
  request.method = "POST";
  request.body = R"({"x":1})";
  const auto ex = http::send_with_retries(t, request, b, clock, {}, hooks);
  REQUIRE(ex.response.has_value());
  CHECK(ex.response->body == "ok");
  CHECK(ex.attempts == 3);
  CHECK(attempted == 3);
  CHECK(ex.maybe_acted);  // the 503 may have acted before it failed
  REQUIRE(t.requests.size() == 3);
  for (const auto& r : t.requests) {
    CHECK(r.method == "POST");
    CHECK(r.body == R"({"x":1})");
  }
  REQUIRE(retries.size() == 2);
  CHECK(retries[0].first == 2);
  CHECK(retries[0].second >= 7s);
  CHECK(retries[1].first == 3);
  CHECK(retries[1].second <= 200ms);  // full jitter under base * 2
  CHECK(clock.slept() == retries[0].second + retries[1].second);
}

TEST_CASE("retry loop: the attempts run out on the last answer, and a 429 alone does not make a write doubtful") {
  FakeTransport t;
  FakeClock clock;
  for (int i = 0; i < 3; ++i) t.reply(429, "busy");
  auto b = backoff(3);
  const auto ex = http::send_with_retries(t, get(), b, clock);
  REQUIRE(ex.response.has_value());
  CHECK(ex.response->status == 429);
  CHECK(ex.attempts == 3);
  CHECK_FALSE(ex.maybe_acted);
  CHECK(t.requests.size() == 3);
}

TEST_CASE("retry loop: transport failures — retried when transient or a timeout, doubtful once maybe sent") {
  SUBCASE("refused before sending: retried, nothing may have happened") {
    FakeTransport t;
    FakeClock clock;
    t.fail(ErrorKind::transient, http::SendStage::not_sent);
    t.fail(ErrorKind::transient, http::SendStage::not_sent);
    auto b = backoff(2);
    const auto ex = http::send_with_retries(t, get(), b, clock);
    CHECK_FALSE(ex.response.has_value());
    REQUIRE(ex.failure.has_value());
    CHECK(ex.failure->error.kind == ErrorKind::transient);
    CHECK(ex.attempts == 2);
    CHECK_FALSE(ex.maybe_acted);
  }
  SUBCASE("a timeout after sending, then an answer: the answer, but the write may have happened") {
    FakeTransport t;
    FakeClock clock;
    t.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
    t.reply(201, "made");
    auto b = backoff(4);
    const auto ex = http::send_with_retries(t, get(), b, clock);
    REQUIRE(ex.response.has_value());
    CHECK(ex.response->status == 201);
    CHECK_FALSE(ex.failure.has_value());
    CHECK(ex.maybe_acted);
  }
  SUBCASE("another kind of failure does not heal by waiting: no retry") {
    FakeTransport t;
    FakeClock clock;
    t.fail(ErrorKind::internal, http::SendStage::not_sent);
    auto b = backoff(4);
    const auto ex = http::send_with_retries(t, get(), b, clock);
    REQUIRE(ex.failure.has_value());
    CHECK(ex.failure->error.kind == ErrorKind::internal);
    CHECK(ex.attempts == 1);
    CHECK(clock.slept() == 0ms);
  }
}

TEST_CASE("retry loop: Jitter::none waits the ceilings exactly") {
  FakeTransport t;
  FakeClock clock;
  for (int i = 0; i < 4; ++i) t.reply(500, "");
  auto b = backoff(4, 1s, Jitter::none);
  std::vector<std::chrono::milliseconds> waits;
  http::RetryHooks hooks;
  hooks.retrying = [&](int, std::chrono::milliseconds wait) { waits.push_back(wait); };
  const auto ex = http::send_with_retries(t, get(), b, clock, {}, hooks);
  CHECK(ex.attempts == 4);
  CHECK(waits == std::vector<std::chrono::milliseconds>{1s, 2s, 4s});
  CHECK(clock.slept() == 7s);
}

TEST_CASE("retry loop: a 429 penalty holds the whole quota, and its one retry is outside the attempts") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);  // unlimited, so only the pause shows
  const http::RetryRules rules{&limiter, http::Pacing::tokens, 30s};

  FakeTransport t;
  t.reply(429, "", {{"retry-after", "2"}});  // the penalty wins over what the answer says
  t.reply(200, "ok");
  auto b = backoff(1);
  auto ex = http::send_with_retries(t, get(), b, clock, rules);
  REQUIRE(ex.response.has_value());
  CHECK(ex.response->status == 200);
  CHECK(ex.attempts == 2);
  CHECK(clock.slept() == 30s);

  // A second 429 ends the call: the quota is held again for everyone, no third request.
  t.reply(429, "");
  t.reply(429, "");
  ex = http::send_with_retries(t, get(), b, clock, rules);
  REQUIRE(ex.response.has_value());
  CHECK(ex.response->status == 429);
  CHECK(ex.attempts == 2);
  CHECK(t.requests.size() == 4);
  const auto before = clock.monotonic();
  REQUIRE(limiter.acquire());
  CHECK(clock.monotonic() - before == 30s);
}

TEST_CASE("retry loop: with tokens pacing a 429's Retry-After pauses every user of the quota") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  FakeTransport t;
  t.reply(429, "", {{"retry-after", "5"}});
  auto b = backoff(1);
  const auto ex = http::send_with_retries(t, get(), b, clock, {&limiter, http::Pacing::tokens, std::nullopt});
  CHECK(ex.response->status == 429);
  const auto before = clock.monotonic();
  REQUIRE(limiter.acquire());
  CHECK(clock.monotonic() - before == 5s);
  // A 429 without Retry-After holds no one else.
  t.reply(429, "");
  (void)http::send_with_retries(t, get(), b, clock, {&limiter, http::Pacing::tokens, std::nullopt});
  const auto after = clock.monotonic();
  REQUIRE(limiter.acquire());
  CHECK(clock.monotonic() == after);
}

TEST_CASE("retry loop: with adaptive pacing the limiter slows on 429, recovers on 2xx, and X-RateLimit holds it") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  const http::RetryRules rules{&limiter, http::Pacing::adaptive, std::nullopt};
  FakeTransport t;
  t.reply(429, "", {{"retry-after", "3"}});
  t.reply(201, "", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "6"}});
  auto b = backoff(4);
  const double before = limiter.window();
  const auto ex = http::send_with_retries(t, get(), b, clock, rules);
  CHECK(ex.response->status == 201);
  CHECK(limiter.window() < before);  // halved by the 429, one success wins little back
  // The place in the window was given back after each answer.
  CHECK(limiter.enter());
  limiter.leave();
  // Retry-After delayed only this request; the exhausted quota holds everyone for the
  // certain part of its reset (6 s rounded up: 5 s).
  const auto start = clock.monotonic();
  REQUIRE(limiter.acquire());
  CHECK(clock.monotonic() - start == 5s);
}

TEST_CASE("retry loop: an X-RateLimit-Reset given as a Unix time holds everyone until that second") {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  FakeTransport t;
  const std::string reset = std::to_string(unix_seconds(clock) + 6);
  t.reply(200, "", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", reset}});
  auto b = backoff(1);
  REQUIRE(http::send_with_retries(t, get(), b, clock, {&limiter, http::Pacing::adaptive, std::nullopt}).response);
  const auto start = clock.monotonic();
  REQUIRE(limiter.acquire());
  CHECK(clock.monotonic() - start == 5s);  // 6 s from now, less the second rounding may add
}

TEST_CASE("retry loop: a stopped clock ends the call, before the first attempt or during a backoff") {
  SUBCASE("while waiting for the limiter: nothing sent") {
    FakeClock clock;
    RateLimiter limiter(clock, 1, 1);
    REQUIRE(limiter.acquire());  // the only token: the next acquire must wait
    clock.stop();
    FakeTransport t;
    auto b = backoff(4);
    const auto ex = http::send_with_retries(t, get(), b, clock, {&limiter, http::Pacing::adaptive, std::nullopt});
    CHECK(ex.stopped);
    CHECK(ex.attempts == 0);
    CHECK_FALSE(ex.response.has_value());
    CHECK_FALSE(ex.failure.has_value());
    CHECK(t.requests.empty());
  }
  SUBCASE("during a backoff: the last answer is kept") {
    FakeClock clock;
    FakeTransport t;
    t.reply(503, "down");
    t.on_send = [&](const http::Request&) { clock.stop(); };
    auto b = backoff(4);
    const auto ex = http::send_with_retries(t, get(), b, clock);
    CHECK(ex.stopped);
    CHECK(ex.attempts == 1);
    REQUIRE(ex.response.has_value());
    CHECK(ex.response->status == 503);
    CHECK(ex.maybe_acted);
  }
}

#include "core/http_retry.h"

#include <algorithm>
#include <charconv>

namespace pinsync::http {

namespace {

// Returns false when the clock was stopped; an adaptive caller then holds no place in the
// window.
bool wait_for_quota(const RetryRules& rules) {
  if (rules.limiter == nullptr) {
    return rules.also == nullptr || rules.also->acquire();
  }
  if (rules.pacing == Pacing::adaptive && !rules.limiter->enter()) return false;
  RateLimiter* const both[] = {rules.limiter, rules.also};
  if (rules.also == nullptr ? rules.limiter->acquire() : RateLimiter::acquire_all(both)) return true;
  if (rules.pacing == Pacing::adaptive) rules.limiter->leave();
  return false;
}

// An exhausted X-RateLimit-Remaining holds every user of the quota until about
// X-RateLimit-Reset (seconds from now, or a Unix time).
void pause_until_reset(RateLimiter& limiter, const Response& r, const Clock& clock) {
  const auto remaining = r.header("x-ratelimit-remaining");
  const auto reset = r.header("x-ratelimit-reset");
  if (!remaining || !reset || *remaining != "0") return;
  long long value = 0;
  if (std::from_chars(reset->data(), reset->data() + reset->size(), value).ec != std::errc{} || value <= 0) return;
  if (value > 1'000'000'000) {
    value -= unix_seconds(clock);
  }
  // The reset is whole seconds, rounded up: the window may turn over up to a second
  // sooner. Holding everyone for the rounded value would skip most of the next window
  // (at a steady full rate, half the quota), so the pause is the part that is certain;
  // a request that still meets a 429 waits for its own Retry-After.
  if (value > 1) limiter.pause_for(std::chrono::seconds(std::min(value, 3600LL) - 1));
}

// Tells the limiter what an answer says about the quota; `wait_429` is how long a 429
// asks everyone to wait (nullopt: it does not say).
void pace(const RetryRules& rules, const Response& r, std::optional<std::chrono::seconds> wait_429,
          const Clock& clock) {
  if (rules.limiter == nullptr) return;
  RateLimiter& limiter = *rules.limiter;
  if (rules.pacing == Pacing::tokens) {
    if (r.status == 429 && wait_429) limiter.pause_for(*wait_429);
    return;
  }
  if (r.status == 429) limiter.throttled();
  if (r.status >= 200 && r.status < 300) limiter.succeeded();
  pause_until_reset(limiter, r, clock);
}

bool retryable_failure(const TransportError& failure) {
  // The other kinds (internal: no transport could be made) do not heal by waiting.
  return failure.error.kind == ErrorKind::transient || failure.error.kind == ErrorKind::timeout;
}

}  // namespace

Exchange send_with_retries(Transport& transport, const Request& request, Backoff& backoff, Clock& clock,
                           const RetryRules& rules, const RetryHooks& hooks) {
  Exchange ex;
  int counted = 0;  // attempts that count against max_attempts
  bool penalty_served = false;
  for (;;) {
    if (!wait_for_quota(rules)) {
      ex.stopped = true;
      return ex;
    }
    const auto started = clock.monotonic();
    auto answer = transport.send(request);
    if (rules.limiter != nullptr && rules.pacing == Pacing::adaptive) rules.limiter->leave();
    ++ex.attempts;
    ++counted;
    if (hooks.attempted) {
      const auto measured = std::chrono::duration_cast<std::chrono::milliseconds>(clock.monotonic() - started);
      hooks.attempted(answer, answer && answer->elapsed.count() > 0 ? answer->elapsed : measured);
    }
    std::optional<std::chrono::seconds> retry_after;
    if (answer) {
      ex.response = std::move(*answer);
      ex.failure.reset();
      const Response& r = *ex.response;
      const bool penalised = r.status == 429 && rules.rate_limit_penalty.has_value();
      retry_after = penalised ? rules.rate_limit_penalty : r.retry_after(clock.now());
      pace(rules, r, retry_after, clock);
      if (r.status != 429 && r.status < 500) return ex;
      if (r.status >= 500) ex.maybe_acted = true;
      if (penalised) {
        if (penalty_served) return ex;
        penalty_served = true;
        --counted;
      }
    } else {
      ex.failure = std::move(answer.error());
      ex.response.reset();
      if (ex.failure->stage == SendStage::maybe_sent) ex.maybe_acted = true;
      if (!retryable_failure(*ex.failure)) return ex;
    }
    if (counted >= backoff.policy().max_attempts) return ex;
    const auto wait = backoff.delay(std::max(counted, 1), retry_after);
    if (hooks.retrying) hooks.retrying(ex.attempts + 1, wait);
    if (!clock.sleep_for(wait)) {
      ex.stopped = true;
      return ex;
    }
  }
}

}  // namespace pinsync::http

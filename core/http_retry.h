// One way to send an HTTP request until it is answered, for every API pinsync talks to:
// wait for the quota's RateLimiter, send, retry transport failures, 429 and 5xx with the
// caller's Backoff (never before Retry-After), and tell whether the server may have acted.
// Each API keeps its own words: the caller logs through RetryHooks and turns the
// Exchange into its messages and error kinds (error_kind_for in core/http.h).
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <optional>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/rate_limiter.h"

namespace pinsync::http {

// How a call shares its API's quota with every other user of the same limiter.
enum class Pacing {
  // A token before each attempt. A 429 pauses the whole quota (every user of the limiter
  // waits) for its Retry-After, or for RetryRules::rate_limit_penalty when the API has one.
  tokens,
  // A place in the limiter's window of requests in flight and a token before each
  // attempt. The limiter adapts to the answers: a 429 slows it (throttled()), a 2xx lets
  // it recover (succeeded()), and X-RateLimit-Remaining: 0 pauses it for the part of
  // X-RateLimit-Reset (seconds from now, or a Unix time) that is certain. Retry-After
  // delays only this request's retry.
  adaptive,
};

struct RetryRules {
  RateLimiter* limiter = nullptr;  // null: the call is not paced
  Pacing pacing = Pacing::tokens;
  // For an API that documents a fixed penalty for a 429 (Airtable: 30 s): the wait after
  // a 429, instead of its Retry-After; the retry after it is not counted against the
  // policy's max_attempts, and a second 429 ends the call. nullopt: a 429 is retried like
  // a 5xx.
  std::optional<std::chrono::seconds> rate_limit_penalty;
  // A second quota every attempt also counts against (Airtable: all bases of one token),
  // or null. Each attempt waits until both limiters have a token at once
  // (RateLimiter::acquire_all); 429s and the adaptive window concern `limiter` alone.
  RateLimiter* also = nullptr;
};

// What the caller hears from the loop, for its own log lines. Either may be empty.
struct RetryHooks {
  // After every attempt: its answer or failure, and how long it took (the transport's
  // own measure when it has one, else the clock's).
  std::function<void(const std::expected<Response, TransportError>& answer, std::chrono::milliseconds elapsed)>
      attempted;
  // Before waiting `wait` to send attempt number `next_attempt` (2 for the first retry).
  std::function<void(int next_attempt, std::chrono::milliseconds wait)> retrying;
};

// How a call through send_with_retries ended.
struct Exchange {
  std::optional<Response> response;       // the last attempt's answer, when it got one
  std::optional<TransportError> failure;  // the last attempt's failure otherwise
  // Some attempt may have reached the server without a clean refusal: a failure after the
  // request may have left (SendStage::maybe_sent), or a 5xx. A write is then in doubt.
  bool maybe_acted = false;
  int attempts = 0;      // requests sent
  bool stopped = false;  // the clock was stopped while waiting (the limiter or a backoff)
};

// Sends `request` through `transport` until an answer is final or the attempts run out:
// transport failures of kind transient or timeout, 429 and 5xx are retried, at most
// `backoff.policy().max_attempts` attempts in all (see RetryRules for a 429 penalty),
// each retry after backoff.delay(retry number, the answer's Retry-After) on `clock`.
// Before each attempt the limiter (when given) is waited for as `rules.pacing` says.
// Returns the Exchange: the last answer (any status, 2xx included) or the last failure
// (another kind of failure ends the call at once), with `stopped` set when the clock was
// stopped first (then neither may be set, when nothing was sent). Never throws.
Exchange send_with_retries(Transport& transport, const Request& request, Backoff& backoff, Clock& clock,
                           const RetryRules& rules = {}, const RetryHooks& hooks = {});

}  // namespace pinsync::http

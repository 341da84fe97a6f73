// A token bucket shared by everything that talks to one API quota (a Pinned Events key,
// an Airtable base, a Google project): acquire() waits through the injected Clock until
// a request may go, so tests advance time instead of sleeping. Callers that adapt to the
// server also keep a window of requests in flight, at most max_in_flight for the whole
// process: a 429 halves the window (from the requests in flight when fewer) and cuts a
// configured rate by 30 %, never below a quarter of it (multiplicative decrease);
// successes win both back (additive increase). Every wait is a condition-variable wait
// through the Clock, woken by the release it waits for (or the stop), never a polling loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "core/clock.h"

namespace pinsync {

class RateLimiter {
 public:
  // The most requests in flight when a caller does not say (more than any configured
  // concurrency).
  static constexpr int k_default_max_in_flight = 64;

  // `per_second` requests per second on average, bursts up to `burst`; per_second <= 0
  // means unlimited. At most `max_in_flight` (at least 1) requests between enter() and
  // leave() at once.
  RateLimiter(Clock& clock, double per_second, double burst, int max_in_flight = k_default_max_in_flight);

  // Waits until one request may be sent. Returns false if the clock was stopped.
  bool acquire();
  // Waits until every limiter of `limiters` has a token at the same moment, then takes one
  // from each: a request that counts against several quotas (an Airtable base and the
  // token used on it) is sent when all of them allow it, and each records it at that
  // moment. Taking one token, then waiting for the other, would let the first quota see
  // the request later than it counted it. Null entries and repeats are ignored; the
  // limiters must share one clock. Returns false if the
  // clock was stopped (then no token was taken).
  static bool acquire_all(std::span<RateLimiter* const> limiters);
  // Blocks every request until `d` from now (a quota used up: X-RateLimit-Remaining 0).
  void pause_for(std::chrono::milliseconds d);

  // The window of requests in flight, for callers that adapt to 429s (enter before a
  // request, leave after its answer): enter() waits for a free place, woken by a leave()
  // or a grown window; returns false if the clock was stopped (then leave() must not be
  // called).
  bool enter();
  void leave();
  // Changes max_in_flight (a reloaded config); the window starts again from it.
  void set_max_in_flight(int max_in_flight);

  // The server answered 429 (multiplicative decrease, at most once a second): the window
  // becomes half of the smaller of the window and the requests in flight now (not below 1)
  // and, when a rate is configured, the rate drops by 30 %, not below a quarter of the
  // configured rate. Retry-After delays only that request's retry.
  void throttled();
  // A request succeeded (additive increase): the window grows by one per window's worth of
  // successes, up to max_in_flight; a lowered rate climbs by about 20% of the configured rate
  // per second of successes, up to it.
  void succeeded();
  // Requests per second now allowed; 0 = unlimited.
  double current_rate() const;
  // Requests that may be in flight now (max_in_flight until the first 429).
  double window() const;
  // Requests between enter() and leave() now.
  int in_flight() const;
  // The most requests in flight the window may grow to.
  int max_in_flight() const;

 private:
  // Refills the bucket to `now` and returns how long until a token is there (zero: one
  // is); the caller holds m_mutex. Unlimited and not paused: always zero.
  std::chrono::milliseconds wait_locked(std::chrono::steady_clock::time_point now);

  Clock& m_clock;
  const double m_limit;  // configured; 0 = unlimited
  const double m_burst;
  mutable std::mutex m_mutex;
  double m_rate;  // current; 0 = unlimited
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
  std::chrono::steady_clock::time_point m_paused_until{};
  std::optional<std::chrono::steady_clock::time_point> m_last_decrease;
  double m_max_window;
  double m_window;
  int m_in_flight = 0;
  std::condition_variable_any m_slot_freed;  // a leave(), or a window that grew
  std::condition_variable_any m_token_wait;  // a token comes with time: only stop() ends this wait early
};

// One limiter per quota key ("airtable:appXXXX"), created on first use and shared by
// every source that uses that key.
class RateLimiters {
 public:
  explicit RateLimiters(Clock& clock) : m_clock(clock) {}
  // Returns the limiter for `key`, creating it with `per_second`/`burst` the first time;
  // `max_in_flight` is applied every time it differs (a reloaded config).
  std::shared_ptr<RateLimiter> get(const std::string& key, double per_second, double burst,
                                   int max_in_flight = RateLimiter::k_default_max_in_flight);

 private:
  Clock& m_clock;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<RateLimiter>> m_limiters;
};

}  // namespace pinsync

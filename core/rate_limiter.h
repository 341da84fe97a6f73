// A token bucket shared by everything that talks to one API quota (a Pinned Events key,
// an Airtable base, a Google project): acquire() waits through the injected Clock until
// a request may go, so tests advance time instead of sleeping. It adapts to the server:
// a 429 halves the rate (multiplicative decrease) and each success wins a little of it
// back (additive increase), never above the configured rate.
#pragma once

#include <chrono>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"

namespace pinsync {

class RateLimiter {
 public:
  // `per_second` requests per second on average, bursts up to `burst`; per_second <= 0
  // means unlimited.
  RateLimiter(Clock& clock, double per_second, double burst);

  // Waits until one request may be sent. Returns false if the clock was stopped.
  bool acquire();
  // Blocks every request until `d` from now (after a 429 that names a wait, or an
  // X-RateLimit-Remaining of 0).
  void pause_for(std::chrono::milliseconds d);
  // The server answered 429: halves the current rate (an unlimited bucket starts from the
  // rate of its last requests), never below a quarter of where it started or 1/s.
  // Several 429s within one second count as one decrease. (Retry-After delays the retry
  // of that request; a quota that is used up pauses everyone through pause_for.)
  void throttled();
  // A request succeeded: after a decrease, raises the rate by about 5% of the configured
  // (or pre-throttle) rate per second of successes, up to the configured rate.
  void succeeded();
  // Requests per second now allowed; 0 = unlimited.
  double current_rate() const;

 private:
  void note_request(std::chrono::steady_clock::time_point now);

  Clock& m_clock;
  const double m_limit;  // configured; 0 = unlimited
  const double m_burst;
  mutable std::mutex m_mutex;
  double m_rate;          // current; 0 = unlimited
  double m_recover_to;    // the rate additive increase climbs back to
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
  std::chrono::steady_clock::time_point m_paused_until{};
  std::optional<std::chrono::steady_clock::time_point> m_last_decrease;
  // When the last k_recent requests went, for the rate achieved without a limit.
  static constexpr std::size_t k_recent = 64;
  std::array<std::chrono::steady_clock::time_point, k_recent> m_recent{};
  std::size_t m_sent = 0;
  double achieved_rate() const;
};

// One limiter per quota key ("airtable:appXXXX"), created on first use and shared by
// every source that uses that key.
class RateLimiters {
 public:
  explicit RateLimiters(Clock& clock) : m_clock(clock) {}
  // Returns the limiter for `key`, creating it with `per_second`/`burst` the first time.
  std::shared_ptr<RateLimiter> get(const std::string& key, double per_second, double burst);

 private:
  Clock& m_clock;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<RateLimiter>> m_limiters;
};

}  // namespace pinsync

// A token bucket shared by everything that talks to one API quota (a Pinned Events key,
// an Airtable base, a Google project): acquire() waits through the injected Clock until
// a request may go, so tests advance time instead of sleeping.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
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
  // Blocks every request until `d` from now (after a 429 that names a wait).
  void pause_for(std::chrono::milliseconds d);

 private:
  Clock& m_clock;
  const double m_rate;
  const double m_burst;
  std::mutex m_mutex;
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
  std::chrono::steady_clock::time_point m_paused_until{};
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

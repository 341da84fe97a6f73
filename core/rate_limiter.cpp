#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace pinsync {

RateLimiter::RateLimiter(Clock& clock, double per_second, double burst)
    : m_clock(clock), m_rate(per_second), m_burst(std::max(1.0, burst)), m_tokens(std::max(1.0, burst)),
      m_last(clock.monotonic()) {}

bool RateLimiter::acquire() {
  if (m_rate <= 0) return true;
  for (;;) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard lock(m_mutex);
      const auto now = m_clock.monotonic();
      if (now < m_paused_until) {
        wait = std::chrono::ceil<std::chrono::milliseconds>(m_paused_until - now);
      } else {
        const std::chrono::duration<double> elapsed = now - m_last;
        m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_rate);
        m_last = now;
        if (m_tokens >= 1.0) {
          m_tokens -= 1.0;
          return true;
        }
        wait = std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - m_tokens) / m_rate * 1000.0)));
      }
    }
    if (!m_clock.sleep_for(std::max(wait, std::chrono::milliseconds(1)))) return false;
  }
}

void RateLimiter::pause_for(std::chrono::milliseconds d) {
  std::lock_guard lock(m_mutex);
  m_paused_until = std::max(m_paused_until, m_clock.monotonic() + d);
  m_tokens = 0;
}

std::shared_ptr<RateLimiter> RateLimiters::get(const std::string& key, double per_second, double burst) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_limiters[key];
  if (!slot) slot = std::make_shared<RateLimiter>(m_clock, per_second, burst);
  return slot;
}

}  // namespace pinsync

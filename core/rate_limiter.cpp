#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace pinsync {

namespace {

constexpr double k_min_rate = 1.0;  // never slower than one request per second

}  // namespace

RateLimiter::RateLimiter(Clock& clock, double per_second, double burst)
    : m_clock(clock),
      m_limit(std::max(0.0, per_second)),
      m_burst(std::max(1.0, burst)),
      m_rate(m_limit),
      m_recover_to(m_limit),
      m_tokens(std::max(1.0, burst)),
      m_last(clock.monotonic()) {}

void RateLimiter::note_request(std::chrono::steady_clock::time_point now) {
  m_recent[m_sent % k_recent] = now;
  ++m_sent;
}

double RateLimiter::achieved_rate() const {
  const std::size_t n = std::min(m_sent, k_recent);
  if (n < 2) return k_min_rate;
  const auto newest = m_recent[(m_sent - 1) % k_recent];
  const auto oldest = m_recent[(m_sent - n) % k_recent];
  const std::chrono::duration<double> span = newest - oldest;
  // Requests that went in the same instant say only that the rate was high.
  return static_cast<double>(n - 1) / std::max(span.count(), 0.001);
}

bool RateLimiter::acquire() {
  for (;;) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard lock(m_mutex);
      const auto now = m_clock.monotonic();
      if (now < m_paused_until) {
        wait = std::chrono::ceil<std::chrono::milliseconds>(m_paused_until - now);
      } else {
        if (m_rate <= 0) {
          note_request(now);
          return true;
        }
        const std::chrono::duration<double> elapsed = now - m_last;
        m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_rate);
        m_last = now;
        if (m_tokens >= 1.0) {
          m_tokens -= 1.0;
          note_request(now);
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

void RateLimiter::throttled() {
  std::lock_guard lock(m_mutex);
  const auto now = m_clock.monotonic();
  // Requests already in flight when the first 429 came back report theirs too; one
  // decrease per second keeps a burst of 429s from collapsing the rate.
  if (m_last_decrease && now - *m_last_decrease < std::chrono::seconds(1)) return;
  m_last_decrease = now;
  if (m_rate <= 0) {
    m_recover_to = std::max(k_min_rate, achieved_rate());
    m_rate = m_recover_to;
    m_tokens = 0;
    m_last = now;
  }
  m_rate = std::max({k_min_rate, m_recover_to / 4, m_rate / 2});
}

void RateLimiter::succeeded() {
  std::lock_guard lock(m_mutex);
  if (m_rate <= 0 || m_rate >= m_recover_to) return;
  // About 5% of the target per second at the current pace of successes.
  m_rate += 0.05 * m_recover_to / std::max(m_rate, k_min_rate);
  if (m_rate >= m_recover_to) m_rate = m_limit;  // back to the configured rate (0 = unlimited)
}

double RateLimiter::current_rate() const {
  std::lock_guard lock(m_mutex);
  return m_rate;
}

std::shared_ptr<RateLimiter> RateLimiters::get(const std::string& key, double per_second, double burst) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_limiters[key];
  if (!slot) slot = std::make_shared<RateLimiter>(m_clock, per_second, burst);
  return slot;
}

}  // namespace pinsync

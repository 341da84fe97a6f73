#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace pinsync {

namespace {

constexpr double k_max_window = 64;  // more than any configured concurrency

}  // namespace

RateLimiter::RateLimiter(Clock& clock, double per_second, double burst)
    : m_clock(clock),
      m_limit(std::max(0.0, per_second)),
      m_burst(std::max(1.0, burst)),
      m_rate(m_limit),
      m_tokens(std::max(1.0, burst)),
      m_last(clock.monotonic()),
      m_window(k_max_window) {}

std::chrono::milliseconds RateLimiter::wait_locked(std::chrono::steady_clock::time_point now) {
  if (now < m_paused_until) return std::chrono::ceil<std::chrono::milliseconds>(m_paused_until - now);
  if (m_rate <= 0) return std::chrono::milliseconds{0};
  const std::chrono::duration<double> elapsed = now - m_last;
  m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_rate);
  m_last = now;
  if (m_tokens >= 1.0) return std::chrono::milliseconds{0};
  return std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - m_tokens) / m_rate * 1000.0)));
}

bool RateLimiter::acquire() {
  for (;;) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard lock(m_mutex);
      wait = wait_locked(m_clock.monotonic());
      if (wait.count() == 0) {
        if (m_rate > 0) m_tokens -= 1.0;
        return true;
      }
    }
    if (!m_clock.sleep_for(std::max(wait, std::chrono::milliseconds(1)))) return false;
  }
}

bool RateLimiter::acquire_all(std::span<RateLimiter* const> limiters) {
  // Locked in address order, so two callers with the same limiters never deadlock.
  std::vector<RateLimiter*> order;
  for (RateLimiter* l : limiters) {
    if (l != nullptr) order.push_back(l);
  }
  if (order.empty()) return true;
  std::ranges::sort(order);
  const auto [repeats, end] = std::ranges::unique(order);
  order.erase(repeats, end);
  Clock& clock = order.front()->m_clock;
  for (;;) {
    std::chrono::milliseconds wait{0};
    {
      std::vector<std::unique_lock<std::mutex>> locks;
      locks.reserve(order.size());
      for (RateLimiter* l : order) locks.emplace_back(l->m_mutex);
      const auto now = clock.monotonic();
      for (RateLimiter* l : order) wait = std::max(wait, l->wait_locked(now));
      if (wait.count() == 0) {
        for (RateLimiter* l : order) {
          if (l->m_rate > 0) l->m_tokens -= 1.0;
        }
        return true;
      }
    }
    if (!clock.sleep_for(std::max(wait, std::chrono::milliseconds(1)))) return false;
  }
}

void RateLimiter::pause_for(std::chrono::milliseconds d) {
  std::lock_guard lock(m_mutex);
  m_paused_until = std::max(m_paused_until, m_clock.monotonic() + d);
  m_tokens = 0;
}

bool RateLimiter::enter() {
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_in_flight < std::max(1, static_cast<int>(m_window))) {
        ++m_in_flight;
        return true;
      }
    }
    // Answers come back within milliseconds to seconds; a short poll through the Clock
    // keeps tests free of real waits.
    if (!m_clock.sleep_for(std::chrono::milliseconds(2))) return false;
  }
}

void RateLimiter::leave() {
  std::lock_guard lock(m_mutex);
  if (m_in_flight > 0) --m_in_flight;
}

void RateLimiter::throttled() {
  std::lock_guard lock(m_mutex);
  const auto now = m_clock.monotonic();
  // Requests already in flight when the first 429 came back report theirs too; one
  // decrease per second keeps a burst of 429s from collapsing the window and the rate.
  if (m_last_decrease && now - *m_last_decrease < std::chrono::seconds(1)) return;
  m_last_decrease = now;
  m_window = std::max(1.0, std::min(m_window, static_cast<double>(std::max(m_in_flight, 1))) / 2);
  if (m_limit > 0) m_rate = std::max(m_limit / 4, m_rate * 0.7);
}

void RateLimiter::succeeded() {
  std::lock_guard lock(m_mutex);
  m_window = std::min(k_max_window, m_window + 1.0 / m_window);
  if (m_limit > 0 && m_rate < m_limit) {
    // About 20% of the limit per second at the current pace of successes: the configured
    // rate is the user's word for the quota, so a 429 at its edge costs little.
    m_rate = std::min(m_limit, m_rate + 0.2 * m_limit / m_rate);
  }
}

double RateLimiter::current_rate() const {
  std::lock_guard lock(m_mutex);
  return m_rate;
}

double RateLimiter::window() const {
  std::lock_guard lock(m_mutex);
  return m_window;
}

std::shared_ptr<RateLimiter> RateLimiters::get(const std::string& key, double per_second, double burst) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_limiters[key];
  if (!slot) slot = std::make_shared<RateLimiter>(m_clock, per_second, burst);
  return slot;
}

}  // namespace pinsync

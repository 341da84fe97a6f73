#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace pinsync {

RateLimiter::RateLimiter(Clock& clock, double per_second, double burst, int max_in_flight)
    : m_clock(clock),
      m_limit(std::max(0.0, per_second)),
      m_burst(std::max(1.0, burst)),
      m_rate(m_limit),
      m_tokens(std::max(1.0, burst)),
      m_last(clock.monotonic()),
      m_max_window(std::max(1, max_in_flight)),
      m_window(m_max_window) {}

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
  std::unique_lock lock(m_mutex);
  for (;;) {
    const auto now = m_clock.monotonic();
    const auto wait = wait_locked(now);
    if (wait.count() == 0) {
      if (m_rate > 0) m_tokens -= 1.0;
      return true;
    }
    // The moment the next token is whole (or the pause ends); the loop looks again then (a
    // pause or a lowered rate may have moved it meanwhile).
    const auto until = now + std::max(wait, std::chrono::milliseconds(1));
    if (m_clock.wait_until(lock, m_token_wait, until, [] { return false; }) == Wake::stopped) return false;
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
  std::unique_lock lock(m_mutex);
  const auto free = [this] { return m_in_flight < std::max(1, static_cast<int>(m_window)); };
  if (m_clock.wait_until(lock, m_slot_freed, Clock::k_never, free) != Wake::ready) return false;
  ++m_in_flight;
  return true;
}

void RateLimiter::leave() {
  {
    std::lock_guard lock(m_mutex);
    if (m_in_flight > 0) --m_in_flight;
  }
  m_slot_freed.notify_one();
}

void RateLimiter::set_max_in_flight(int max_in_flight) {
  {
    std::lock_guard lock(m_mutex);
    m_max_window = std::max(1, max_in_flight);
    m_window = m_max_window;
  }
  m_slot_freed.notify_all();
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
  bool grew = false;
  {
    std::lock_guard lock(m_mutex);
    const double before = m_window;
    m_window = std::min(m_max_window, m_window + 1.0 / m_window);
    grew = static_cast<int>(m_window) > static_cast<int>(before);
    if (m_limit > 0 && m_rate < m_limit) {
      // About 20% of the limit per second at the current pace of successes: the configured
      // rate is the user's word for the quota, so a 429 at its edge costs little.
      m_rate = std::min(m_limit, m_rate + 0.2 * m_limit / m_rate);
    }
  }
  if (grew) m_slot_freed.notify_one();  // one more place in the window
}

double RateLimiter::current_rate() const {
  std::lock_guard lock(m_mutex);
  return m_rate;
}

double RateLimiter::window() const {
  std::lock_guard lock(m_mutex);
  return m_window;
}

int RateLimiter::in_flight() const {
  std::lock_guard lock(m_mutex);
  return m_in_flight;
}

int RateLimiter::max_in_flight() const {
  std::lock_guard lock(m_mutex);
  return static_cast<int>(m_max_window);
}

std::shared_ptr<RateLimiter> RateLimiters::get(const std::string& key, double per_second, double burst,
                                               int max_in_flight) {
  std::lock_guard lock(m_mutex);
  auto& slot = m_limiters[key];
  if (!slot) {
    slot = std::make_shared<RateLimiter>(m_clock, per_second, burst, max_in_flight);
  } else if (slot->max_in_flight() != std::max(1, max_in_flight)) {
    slot->set_max_in_flight(max_in_flight);
  }
  return slot;
}

}  // namespace pinsync

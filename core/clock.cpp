#include "core/clock.h"

namespace pinsync {

std::int64_t unix_seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::monotonic() const {
  return std::chrono::steady_clock::now();
}

bool SystemClock::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(m_mutex);
  return !m_cv.wait_for(lock, d, [this] { return m_stopping; });
}

Wake SystemClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                             std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) {
  // The stop token's callback notifies `cv` under its internal lock, so a stop() between the
  // check of ready() and the wait is never lost.
  const std::stop_token token = m_stop.get_token();
  const bool done = deadline == k_never ? cv.wait(lock, token, ready) : cv.wait_until(lock, token, deadline, ready);
  if (done) return Wake::ready;
  return token.stop_requested() ? Wake::stopped : Wake::deadline;
}

void SystemClock::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_stop.request_stop();
}

}  // namespace pinsync

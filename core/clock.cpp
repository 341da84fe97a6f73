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

void SystemClock::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
}

}  // namespace pinsync

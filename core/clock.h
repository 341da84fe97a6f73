// All time flows through Clock: wall time for timestamps, monotonic time for timeouts
// and backoff, a sleep that ends early when the program is stopping, and a wait on a
// condition variable that the same stop ends. Tests pass a FakeClock (tests/support) that
// they advance by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>

namespace pinsync {

// Why Clock::wait_until returned.
enum class Wake {
  ready,     // the condition holds
  deadline,  // the deadline passed first
  stopped,   // stop() was called first
};

class Clock {
 public:
  // A deadline that never comes: wait_until then waits for the condition or stop() alone.
  static constexpr std::chrono::steady_clock::time_point k_never = std::chrono::steady_clock::time_point::max();

  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
  // Sleeps for `d`. Returns false if it ended early because stop() was called.
  virtual bool sleep_for(std::chrono::milliseconds d) = 0;
  // Waits on `cv` (`lock` holds the mutex that guards what `ready` reads) until `ready()`
  // is true, the monotonic time reaches `deadline` (k_never: no deadline), or stop() is
  // called. Whoever makes `ready()` true notifies `cv`; nothing polls. Returns why it ended
  // (ready when the condition holds, whatever else happened); `lock` is held again.
  virtual Wake wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) = 0;
  // Ends current and future sleeps and waits at once.
  virtual void stop() = 0;
};

// The clock's wall time in whole seconds since 1970-01-01T00:00:00Z: what the store and
// the retry queue keep.
std::int64_t unix_seconds(const Clock& clock);

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point monotonic() const override;
  bool sleep_for(std::chrono::milliseconds d) override;
  Wake wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                  std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) override;
  void stop() override;

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::stop_source m_stop;  // ends wait_until on any condition variable
};

}  // namespace pinsync

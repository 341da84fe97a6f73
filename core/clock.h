// All time flows through Clock: wall time for timestamps, monotonic time for timeouts
// and backoff, and a sleep that ends early when the program is stopping. Tests pass a
// FakeClock (tests/support) that they advance by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace pinsync {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
  // Sleeps for `d`. Returns false if it ended early because stop() was called.
  virtual bool sleep_for(std::chrono::milliseconds d) = 0;
  // Ends current and future sleeps at once.
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
  void stop() override;

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
};

}  // namespace pinsync

// A Clock for tests: wall and monotonic time move only when the test says so, and
// sleep_for (and a wait_until with a deadline) advances both at once instead of waiting, so
// no test sleeps on the wall clock. Header-only; safe to share between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>

#include "core/clock.h"

namespace pinsync::testing {

class FakeClock final : public Clock {
 public:
  // 2023-11-14 22:13:20 UTC: a fixed, recognisable start.
  static constexpr std::chrono::seconds k_default_start{1'700'000'000};

  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point{k_default_start})
      : m_now(start) {}

  // The wall time set or advanced to so far.
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(m_mutex);
    return m_now;
  }
  // Starts at the steady clock's epoch and moves with advance() and sleep_for().
  std::chrono::steady_clock::time_point monotonic() const override {
    std::lock_guard lock(m_mutex);
    return m_monotonic;
  }
  // Advances both clocks by `d` at once and returns true; returns false without
  // advancing once stop() was called.
  bool sleep_for(std::chrono::milliseconds d) override {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return false;
    m_now += d;
    m_monotonic += d;
    m_slept += d;
    return true;
  }
  // Returns ready at once when ready() holds and stopped once stop() was called. With a
  // deadline, jumps both clocks to it (as sleep_for does) and returns whether ready() holds
  // then; without one (k_never), really waits for another thread to notify `cv` (a release)
  // or for stop().
  Wake wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                  std::chrono::steady_clock::time_point deadline, const std::function<bool()>& ready) override {
    if (ready()) return Wake::ready;
    if (deadline != k_never) {
      {
        std::lock_guard own(m_mutex);
        if (m_stopped) return Wake::stopped;
        if (deadline > m_monotonic) {
          const auto d = deadline - m_monotonic;
          m_now += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
          m_monotonic = deadline;
          m_slept += std::chrono::duration_cast<std::chrono::milliseconds>(d);
        }
      }
      return ready() ? Wake::ready : Wake::deadline;
    }
    m_blocked.fetch_add(1);
    const bool done = cv.wait(lock, m_stop.get_token(), ready);
    m_blocked.fetch_sub(1);
    return done ? Wake::ready : Wake::stopped;
  }
  void stop() override {
    {
      std::lock_guard lock(m_mutex);
      m_stopped = true;
    }
    m_stop.request_stop();
  }
  // Threads blocked now in a wait_until without a deadline: a test waits for its waiter to
  // block before it releases what the waiter waits for.
  int blocked() const { return m_blocked.load(); }

  // Sets the wall time only (the monotonic clock never goes back).
  void set_now(std::chrono::system_clock::time_point t) {
    std::lock_guard lock(m_mutex);
    m_now = t;
  }
  // Sets the wall time to `unix_seconds` after the epoch.
  void set_unix_seconds(std::int64_t unix_seconds) {
    set_now(std::chrono::system_clock::time_point{std::chrono::seconds{unix_seconds}});
  }
  // Moves both clocks forward by `d`.
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lock(m_mutex);
    m_now += d;
    m_monotonic += d;
  }
  // The wall time as unix seconds, as stores and logs record it.
  std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
  // Total time passed to sleep_for so far.
  std::chrono::milliseconds slept() const {
    std::lock_guard lock(m_mutex);
    return m_slept;
  }

 private:
  mutable std::mutex m_mutex;
  std::chrono::system_clock::time_point m_now;
  std::chrono::steady_clock::time_point m_monotonic{};
  std::chrono::milliseconds m_slept{0};
  bool m_stopped = false;
  std::stop_source m_stop;
  std::atomic<int> m_blocked{0};
};

}  // namespace pinsync::testing

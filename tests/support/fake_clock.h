// A Clock for tests: wall and monotonic time move only when the test says so, and
// sleep_for advances both at once instead of waiting, so no test sleeps on the wall clock.
// Header-only; safe to share between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

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
  void stop() override {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
  }

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
};

}  // namespace pinsync::testing

// Alarms the test rings: what a Scheduler asks of its Alarm stays pending until the test,
// having advanced its FakeClock, calls ring_due(). One board serves every alarm it makes (a
// daemon makes one per scheduler: at start and at each reload). Header-only.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "agent/daemon/daemon.h"
#include "agent/daemon/scheduler.h"

namespace pinsync::agent::test {

// A ring stays pending until ring_due() rings it; an alarm's stop() drops its pending rings
// and waits for a ring in progress, as the production alarm does.
class AlarmBoard {
 public:
  static constexpr std::chrono::seconds k_patience{20};

  AlarmBoard() = default;
  AlarmBoard(const AlarmBoard&) = delete;
  AlarmBoard& operator=(const AlarmBoard&) = delete;

  // A new alarm on this board, which must outlive it.
  std::unique_ptr<Alarm> make() {
    std::lock_guard lock(m_mutex);
    return std::make_unique<BoardAlarm>(*this, ++m_alarms);
  }
  // For DaemonSeams::alarms; the board must outlive the daemon.
  AlarmFactory factory() {
    return [this](Clock&) { return make(); };
  }
  // Rings every pending ring due by `now`; returns how many rang.
  int ring_due(TimePoint now) {
    std::lock_guard ringing(m_ringing);
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(m_mutex);
      for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->when <= now) {
          due.push_back(std::move(it->ring));
          it = m_pending.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& ring : due) ring();
    return static_cast<int>(due.size());
  }
  // Waits until a ring is pending. With one source and nothing pending before, that is
  // its scheduled pass ended: the scheduler sets the next ring once the run is over, and
  // the worker records the pass before. False after k_patience.
  bool wait_pending() {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, k_patience, [&] { return !m_pending.empty(); });
  }
  // How many rings are pending.
  std::size_t pending() {
    std::lock_guard lock(m_mutex);
    return m_pending.size();
  }
  // The earliest pending ring, or nullopt.
  std::optional<TimePoint> earliest() {
    std::lock_guard lock(m_mutex);
    std::optional<TimePoint> out;
    for (const auto& p : m_pending) out = out ? std::min(*out, p.when) : p.when;
    return out;
  }

 private:
  struct Pending {
    int alarm = 0;
    TimePoint when;
    std::function<void()> ring;
  };

  class BoardAlarm final : public Alarm {
   public:
    BoardAlarm(AlarmBoard& board, int id) : m_board(board), m_id(id) {}
    void set(TimePoint when, std::function<void()> ring) override {
      {
        std::lock_guard lock(m_board.m_mutex);
        m_board.m_pending.push_back({m_id, when, std::move(ring)});
      }
      m_board.m_cv.notify_all();
    }
    void stop() override {
      {
        std::lock_guard lock(m_board.m_mutex);
        std::erase_if(m_board.m_pending, [&](const Pending& p) { return p.alarm == m_id; });
      }
      std::lock_guard ringing(m_board.m_ringing);  // a ring in progress finishes first
    }

   private:
    AlarmBoard& m_board;
    int m_id;
  };

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<Pending> m_pending;
  std::mutex m_ringing;  // held while rings run
  int m_alarms = 0;
};

}  // namespace pinsync::agent::test

// The clock and the threads of `pinsync run`'s schedule, the same whatever the number of
// sources: one alarm (a Poco::Util::Timer, its one thread) wakes the scheduler when the
// earliest task is due, and a fixed pool of `workers` threads runs the tasks that are ready —
// hurried ones (a resync) first, in the order asked, then due ones, earliest first. A task
// never runs on two threads at once; a task that is hurried or falls due while it runs runs
// again once it is done. Time is the Clock's monotonic time, so tests drive it with a
// FakeClock and fire the alarm by hand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace pinsync::agent {

using TimePoint = std::chrono::steady_clock::time_point;

// What wakes the scheduler when a task falls due.
class Alarm {
 public:
  virtual ~Alarm() = default;
  // Calls `ring` once on the alarm's own thread at or soon after `when` (Clock::monotonic()
  // time; a time already past rings at once). Several may be pending; each rings.
  virtual void set(TimePoint when, std::function<void()> ring) = 0;
  // Rings no more and joins the alarm's thread; a ring in progress finishes first.
  virtual void stop() = 0;
};

// The production alarm: one Poco::Util::Timer (one thread) for the whole agent.
std::unique_ptr<Alarm> make_timer_alarm(Clock& clock);

// When the first pass of each of `count` sources goes, as offsets from now: the first
// `at_once` (the pool's threads: more at once would only queue) at once, then one every
// shortest_interval / count, so the first passes spread over the shortest poll interval
// (no thundering herd at start or after a reload), but never more than `max_gap` apart, so
// a handful of hourly sources all pass within seconds of the start.
std::vector<std::chrono::milliseconds> first_pass_offsets(std::size_t count, std::chrono::seconds shortest_interval,
                                                          std::size_t at_once,
                                                          std::chrono::milliseconds max_gap = std::chrono::seconds(1));

class Scheduler {
 public:
  using TaskId = std::uint64_t;

  // Starts `workers` threads (at least 1). `alarm` is stopped when the scheduler is. A ring
  // also makes ready the tasks due within `gather` after it, so that with many sources one
  // wake-up (of the alarm's thread and a worker's) serves several passes: a pass may run up
  // to `gather` early.
  Scheduler(Clock& clock, std::size_t workers, std::unique_ptr<Alarm> alarm,
            std::chrono::milliseconds gather = std::chrono::milliseconds(0));
  // How early a ring may start a task (a task started early should run, not wait again).
  std::chrono::milliseconds gather() const { return m_gather; }
  // Stops, as stop().
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a task: `run` is called on a pool thread when the task is due or hurried, never on
  // two threads at once, never after remove() returned unless it had started. `due`: its
  // first run (nullopt: only when hurried). Returns its id.
  TaskId add(std::function<void()> run, std::optional<TimePoint> due);
  // Sets when the task runs next (replacing the time before; nullopt: not until hurried).
  // Called from inside the task's run too. Unknown ids are ignored.
  void set_due(TaskId id, std::optional<TimePoint> due);
  // Runs the task as soon as a thread is free, before every task that is only due; once
  // more after the current run when it is running. Hurrying a hurried task changes nothing.
  void hurry(TaskId id);
  // No more runs of the task; a run in progress goes on (its owner waits for it).
  void remove(TaskId id);
  // Stops the alarm, lets running tasks finish, joins the pool. No task runs after it
  // returns. Idempotent.
  void stop();

  // What the scheduler holds now, for /status and tests.
  struct Counts {
    std::size_t tasks = 0;
    std::size_t running = 0;
    std::size_t ready = 0;    // waiting for a free thread
    std::size_t workers = 0;
  };
  Counts counts() const;

 private:
  // The ready queue's order: hurried (class 0) by the order asked, then due (class 1) by time.
  using ReadyKey = std::tuple<int, std::int64_t, TaskId>;

  struct Task {
    std::function<void()> run;
    std::optional<TimePoint> due;
    std::optional<std::int64_t> hurried;  // its place among hurried tasks, when hurried
    bool running = false;
    bool removed = false;                    // erased when its run ends
    std::optional<ReadyKey> ready;           // its entry in m_ready
    std::optional<TimePoint> waiting;        // its entry in m_waiting
  };

  void work();
  // The alarm set for `at` rang: moves every task due by now (and within the gather window)
  // to the ready queue.
  void ring(TimePoint at);
  // Puts the task where it belongs now: ready, waiting for its due time, or nowhere.
  // Returns true when it is ready.
  bool place_locked(TaskId id, Task& task, TimePoint now);
  void unplace_locked(TaskId id, Task& task);
  void promote_locked(TimePoint now);
  void arm_locked();

  Clock& m_clock;
  std::unique_ptr<Alarm> m_alarm;
  std::chrono::milliseconds m_gather;
  mutable std::mutex m_mutex;
  std::condition_variable m_work;  // a task became ready, or the scheduler stops
  std::map<TaskId, Task> m_tasks;
  std::set<ReadyKey> m_ready;
  std::set<std::pair<TimePoint, TaskId>> m_waiting;  // not yet due
  // The rings asked of the alarm and not rung yet. A new one is asked only for a time
  // earlier than all of them: a ring that finds nothing to do adds none, so rings never
  // multiply, however often tasks come and go.
  std::multiset<TimePoint> m_rings;
  TaskId m_next_id = 1;
  std::int64_t m_next_hurry = 0;
  std::size_t m_running = 0;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace pinsync::agent

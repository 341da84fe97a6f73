#include "agent/daemon/scheduler.h"

#include <algorithm>

#include <Poco/Clock.h>
#include <Poco/Util/Timer.h>
#include <Poco/Util/TimerTask.h>

namespace pinsync::agent {

namespace {

class RingTask final : public Poco::Util::TimerTask {
 public:
  explicit RingTask(std::function<void()> ring) : m_ring(std::move(ring)) {}
  void run() override { m_ring(); }

 private:
  std::function<void()> m_ring;
};

class TimerAlarm final : public Alarm {
 public:
  explicit TimerAlarm(Clock& clock) : m_clock(clock), m_timer(std::make_unique<Poco::Util::Timer>()) {}
  ~TimerAlarm() override { stop(); }

  void set(TimePoint when, std::function<void()> ring) override {
    std::lock_guard lock(m_mutex);
    if (!m_timer) return;
    // Poco's Timer counts on its own monotonic clock: the delay carries over.
    Poco::Clock at;
    const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(when - m_clock.monotonic());
    if (delay.count() > 0) at += delay.count();
    m_timer->schedule(new RingTask(std::move(ring)), at);
  }

  // Destroying the Timer runs no pending task and joins its thread. Not Timer::cancel(true):
  // Poco 1.11 can drop the second of two cancel requests and then wait for ever.
  void stop() override {
    std::unique_ptr<Poco::Util::Timer> timer;
    {
      std::lock_guard lock(m_mutex);
      timer = std::move(m_timer);
    }
    timer.reset();
  }

 private:
  Clock& m_clock;
  std::mutex m_mutex;
  std::unique_ptr<Poco::Util::Timer> m_timer;
};

}  // namespace

std::unique_ptr<Alarm> make_timer_alarm(Clock& clock) { return std::make_unique<TimerAlarm>(clock); }

std::vector<std::chrono::milliseconds> first_pass_offsets(std::size_t count, std::chrono::seconds shortest_interval,
                                                          std::size_t at_once, std::chrono::milliseconds max_gap) {
  std::vector<std::chrono::milliseconds> offsets;
  if (count == 0) return offsets;
  const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(shortest_interval) /
                      static_cast<std::int64_t>(count);
  const auto gap = std::min(spread, max_gap);
  offsets.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    offsets.push_back(i < at_once ? std::chrono::milliseconds(0) : gap * static_cast<std::int64_t>(i - at_once + 1));
  }
  return offsets;
}

Scheduler::Scheduler(Clock& clock, std::size_t workers, std::unique_ptr<Alarm> alarm,
                     std::chrono::milliseconds gather)
    : m_clock(clock), m_alarm(std::move(alarm)), m_gather(gather) {
  const std::size_t n = std::max<std::size_t>(1, workers);
  m_threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) m_threads.emplace_back([this] { work(); });
}

Scheduler::~Scheduler() { stop(); }

Scheduler::TaskId Scheduler::add(std::function<void()> run, std::optional<TimePoint> due) {
  bool ready = false;
  TaskId id = 0;
  {
    std::lock_guard lock(m_mutex);
    id = m_next_id++;
    Task& task = m_tasks[id];
    task.run = std::move(run);
    task.due = due;
    ready = place_locked(id, task, m_clock.monotonic());
  }
  if (ready) m_work.notify_one();
  return id;
}

void Scheduler::set_due(TaskId id, std::optional<TimePoint> due) {
  bool ready = false;
  {
    std::lock_guard lock(m_mutex);
    const auto it = m_tasks.find(id);
    if (it == m_tasks.end() || it->second.removed) return;
    it->second.due = due;
    ready = place_locked(id, it->second, m_clock.monotonic());
  }
  if (ready) m_work.notify_one();
}

void Scheduler::hurry(TaskId id) {
  bool ready = false;
  {
    std::lock_guard lock(m_mutex);
    const auto it = m_tasks.find(id);
    if (it == m_tasks.end() || it->second.removed || it->second.hurried) return;
    it->second.hurried = m_next_hurry++;
    ready = place_locked(id, it->second, m_clock.monotonic());
  }
  if (ready) m_work.notify_one();
}

void Scheduler::remove(TaskId id) {
  std::lock_guard lock(m_mutex);
  const auto it = m_tasks.find(id);
  if (it == m_tasks.end()) return;
  unplace_locked(id, it->second);
  if (it->second.running) {
    it->second.removed = true;  // the thread running it erases it when the run ends
  } else {
    m_tasks.erase(it);
  }
}

void Scheduler::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work.notify_all();
  // Outside the lock: a ring in progress needs it to finish.
  if (m_alarm) m_alarm->stop();
  for (auto& t : m_threads) {
    if (t.joinable()) t.join();
  }
}

Scheduler::Counts Scheduler::counts() const {
  std::lock_guard lock(m_mutex);
  return {m_tasks.size(), m_running, m_ready.size(), m_threads.size()};
}

void Scheduler::work() {
  for (;;) {
    TaskId id = 0;
    std::function<void()> run;
    {
      std::unique_lock lock(m_mutex);
      m_work.wait(lock, [this] { return m_stopping || !m_ready.empty(); });
      if (m_stopping) return;
      const ReadyKey key = *m_ready.begin();
      id = std::get<2>(key);
      Task& task = m_tasks.at(id);
      unplace_locked(id, task);
      // What the run is for is used up: a hurried run serves the hurry; a due run the due
      // time, and the task sets its next one (set_due) as it runs.
      if (std::get<0>(key) == 0) {
        task.hurried.reset();
      } else {
        task.due.reset();
      }
      task.running = true;
      ++m_running;
      run = task.run;  // a copy: remove() may erase the task while it runs
    }
    run();
    {
      std::lock_guard lock(m_mutex);
      --m_running;
      const auto it = m_tasks.find(id);
      if (it->second.removed) {
        m_tasks.erase(it);
      } else {
        it->second.running = false;
        // Hurried or due meanwhile: this thread takes it (or another) on its next turn.
        place_locked(id, it->second, m_clock.monotonic());
      }
    }
  }
}

void Scheduler::ring(TimePoint at) {
  std::size_t ready = 0;
  {
    std::lock_guard lock(m_mutex);
    if (const auto it = m_rings.find(at); it != m_rings.end()) m_rings.erase(it);
    promote_locked(m_clock.monotonic() + m_gather);
    arm_locked();
    ready = m_ready.size();
  }
  // As many threads as there is work for: waking every worker for one due pass showed in an
  // idle agent's profile.
  if (ready >= m_threads.size()) {
    m_work.notify_all();
  } else {
    for (std::size_t i = 0; i < ready; ++i) m_work.notify_one();
  }
}

bool Scheduler::place_locked(TaskId id, Task& task, TimePoint now) {
  unplace_locked(id, task);
  if (task.running || task.removed) return false;
  if (task.hurried) {
    task.ready = ReadyKey{0, *task.hurried, id};
  } else if (!task.due) {
    return false;
  } else if (*task.due <= now) {
    task.ready = ReadyKey{1, task.due->time_since_epoch().count(), id};
  } else {
    task.waiting = *task.due;
    m_waiting.emplace(*task.due, id);
    arm_locked();
    return false;
  }
  m_ready.insert(*task.ready);
  return true;
}

void Scheduler::unplace_locked(TaskId id, Task& task) {
  if (task.ready) m_ready.erase(*task.ready);
  if (task.waiting) m_waiting.erase({*task.waiting, id});
  task.ready.reset();
  task.waiting.reset();
}

void Scheduler::promote_locked(TimePoint now) {
  while (!m_waiting.empty() && m_waiting.begin()->first <= now) {
    const TaskId id = m_waiting.begin()->second;
    place_locked(id, m_tasks.at(id), now);  // now due: into the ready queue
  }
}

// One ring pending at or before the earliest waiting task is enough: when it rings, the next
// is set.
void Scheduler::arm_locked() {
  if (m_waiting.empty() || !m_alarm) return;
  const TimePoint earliest = m_waiting.begin()->first;
  if (!m_rings.empty() && *m_rings.begin() <= earliest) return;
  m_rings.insert(earliest);
  m_alarm->set(earliest, [this, earliest] { ring(earliest); });
}

}  // namespace pinsync::agent

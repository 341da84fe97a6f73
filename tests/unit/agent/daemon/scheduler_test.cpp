// The agent's scheduler on a fake clock, with the alarm rung by hand: first passes spread
// over the interval, a resync ahead of due passes, the pool's bound, one run of a task at a
// time, and a slow task that holds only its own thread. Runs happen on the pool's real
// threads; the tests wait for them on condition variables (never on the wall clock, beyond
// a generous timeout that only a broken scheduler reaches).
#include <doctest/doctest.h>

#include "agent/daemon/scheduler.h"

#include <algorithm>
#include <map>
#include <thread>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_clock.h"
#include "tests/unit/agent/daemon/alarm_board.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;
using pinsync::testing::FakeClock;
using pinsync::agent::test::AlarmBoard;

namespace {

constexpr auto k_patience = 20s;  // only a hung scheduler waits this long

// What the tasks did, in order, and a gate that holds them until the test opens it.
class Log {
 public:
  // A task body: records `name` (with the fake time), waits at the gate when `gated`.
  std::function<void()> task(std::string name, FakeClock& clock, bool gated = false) {
    return [this, name, &clock, gated] {
      {
        std::lock_guard lock(m_mutex);
        m_runs.push_back(name);
        m_times.push_back(clock.monotonic());
        ++m_running[name];
        m_max_running_of = std::max(m_max_running_of, m_running[name]);
        ++m_running_total;
        m_max_running_total = std::max(m_max_running_total, m_running_total);
      }
      m_cv.notify_all();
      if (gated) {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_open; });
      }
      {
        std::lock_guard lock(m_mutex);
        --m_running[name];
        --m_running_total;
        ++m_finished;
      }
      m_cv.notify_all();
    };
  }
  void open() {
    {
      std::lock_guard lock(m_mutex);
      m_open = true;
    }
    m_cv.notify_all();
  }
  // Waits until `n` runs have started; false after k_patience.
  bool started(std::size_t n) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, k_patience, [&] { return m_runs.size() >= n; });
  }
  bool finished(int n) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, k_patience, [&] { return m_finished >= n; });
  }
  std::vector<std::string> runs() {
    std::lock_guard lock(m_mutex);
    return m_runs;
  }
  std::vector<TimePoint> times() {
    std::lock_guard lock(m_mutex);
    return m_times;
  }
  int max_running_of_one() {
    std::lock_guard lock(m_mutex);
    return m_max_running_of;
  }
  int max_running() {
    std::lock_guard lock(m_mutex);
    return m_max_running_total;
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<std::string> m_runs;
  std::vector<TimePoint> m_times;
  std::map<std::string, int> m_running;
  int m_max_running_of = 0;
  int m_running_total = 0;
  int m_max_running_total = 0;
  int m_finished = 0;
  bool m_open = false;
};

// Waits until the scheduler has nothing running or ready.
bool idle(Scheduler& s) {
  const auto until = std::chrono::steady_clock::now() + k_patience;
  while (std::chrono::steady_clock::now() < until) {
    const auto c = s.counts();
    if (c.running == 0 && c.ready == 0) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace

TEST_CASE("first_pass_offsets: as many as the pool at once, then one every interval/count, at most 1 s apart") {
  CHECK(first_pass_offsets(0, 60s, 4).empty());
  CHECK(first_pass_offsets(1, 1h, 4) == std::vector<std::chrono::milliseconds>{0ms});
  // No more sources than threads: all at once, as the pool can run them side by side.
  CHECK(first_pass_offsets(3, 1s, 4) == std::vector<std::chrono::milliseconds>{0ms, 0ms, 0ms});
  // A few hourly sources all pass within seconds of the start.
  CHECK(first_pass_offsets(4, 1h, 1) == std::vector<std::chrono::milliseconds>{0ms, 1000ms, 2000ms, 3000ms});
  // A thousand sources on 1 m: four at once, then one every 60 ms, the last within the minute.
  const auto many = first_pass_offsets(1000, 60s, 4);
  REQUIRE(many.size() == 1000);
  CHECK(many[3] == 0ms);
  CHECK(many[4] == 60ms);
  CHECK(many.back() == 59760ms);
  CHECK(std::adjacent_find(many.begin() + 3, many.end(), [](auto a, auto b) { return b - a != 60ms; }) == many.end());
}

TEST_CASE("scheduler: first passes run at their spread times, not before, one alarm at a time") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 4, alarm.make());
  const auto start = clock.monotonic();
  const auto offsets = first_pass_offsets(5, 2s, 1);  // 400 ms apart
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    scheduler.add(log.task("s" + std::to_string(i), clock), start + offsets[i]);
  }
  REQUIRE(log.started(1));  // s0 is due at once
  CHECK(alarm.earliest() == start + 400ms);  // the alarm is set for the next one only
  for (int step = 1; step <= 20; ++step) {
    clock.advance(100ms);
    alarm.ring_due(clock.monotonic());
    const std::size_t due = std::min<std::size_t>(5, static_cast<std::size_t>(step / 4 + 1));
    REQUIRE(log.started(due));
    CHECK(idle(scheduler));
    CHECK(log.runs().size() == due);  // nothing ran before its time
  }
  CHECK(log.runs() == std::vector<std::string>{"s0", "s1", "s2", "s3", "s4"});
  const auto times = log.times();
  for (std::size_t i = 0; i < times.size(); ++i) CHECK(times[i] == start + offsets[i]);
}

TEST_CASE("scheduler: a ring also starts the tasks due within the gather window, and sets the alarm past it") {
  FakeClock clock;
  Log log;
  AlarmBoard alarm;
  Scheduler scheduler(clock, 1, alarm.make(), 250ms);
  const auto start = clock.monotonic();
  scheduler.add(log.task("a", clock), start + 1000ms);
  scheduler.add(log.task("b", clock), start + 1100ms);
  scheduler.add(log.task("c", clock), start + 1250ms);
  scheduler.add(log.task("d", clock), start + 1300ms);
  CHECK(alarm.earliest() == start + 1000ms);
  clock.advance(1000ms);
  alarm.ring_due(clock.monotonic());
  REQUIRE(log.started(3));
  CHECK(idle(scheduler));
  CHECK(log.runs() == std::vector<std::string>{"a", "b", "c"});  // one wake-up, three passes, in due order
  CHECK(alarm.earliest() == start + 1300ms);
  clock.advance(300ms);
  alarm.ring_due(clock.monotonic());
  REQUIRE(log.started(4));
  CHECK(log.runs().back() == "d");
}

TEST_CASE("scheduler: a ring that leaves a later ring pending asks for no other; rings never multiply") {
  FakeClock clock;
  Log log;
  AlarmBoard alarm;
  Scheduler scheduler(clock, 1, alarm.make());
  const auto start = clock.monotonic();
  const auto late = scheduler.add(log.task("late", clock), start + 10s);
  CHECK(alarm.pending() == 1);
  // Tasks due earlier, one after another: each asks for a ring of its own, then rings.
  for (int i = 1; i <= 50; ++i) {
    const auto early = scheduler.add(log.task("early", clock), clock.monotonic() + 100ms);
    CHECK(alarm.pending() == 2);
    clock.advance(100ms);
    CHECK(alarm.ring_due(clock.monotonic()) == 1);
    REQUIRE(log.started(static_cast<std::size_t>(i)));
    CHECK(idle(scheduler));
    scheduler.remove(early);
    CHECK(alarm.pending() == 1);  // the late task's ring is still there: no second one for it
  }
  clock.advance(5s);
  CHECK(alarm.ring_due(clock.monotonic()) == 1);
  REQUIRE(log.started(51));
  CHECK(log.runs().back() == "late");
  scheduler.remove(late);
}

TEST_CASE("scheduler: a hurried task (resync) runs before every task that is only due") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 1, alarm.make());
  const auto now = clock.monotonic();
  scheduler.add(log.task("busy", clock, true), now);  // holds the only thread
  REQUIRE(log.started(1));
  scheduler.add(log.task("due1", clock), now);
  scheduler.add(log.task("due2", clock), now);
  const auto resync = scheduler.add(log.task("resync", clock), std::nullopt);  // never due by itself
  CHECK(scheduler.counts().ready == 2);
  scheduler.hurry(resync);
  CHECK(scheduler.counts().ready == 3);
  log.open();
  REQUIRE(log.finished(4));
  CHECK(log.runs() == std::vector<std::string>{"busy", "resync", "due1", "due2"});
}

TEST_CASE("scheduler: at most `workers` tasks run at once, however many are due") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 3, alarm.make());
  for (int i = 0; i < 10; ++i) scheduler.add(log.task("t" + std::to_string(i), clock, true), clock.monotonic());
  REQUIRE(log.started(3));
  const auto counts = scheduler.counts();
  CHECK(counts.workers == 3);
  CHECK(counts.running == 3);
  CHECK(counts.ready == 7);
  log.open();
  REQUIRE(log.finished(10));
  CHECK(log.max_running() == 3);
  CHECK(idle(scheduler));
}

TEST_CASE("scheduler: a task never runs twice at once; hurries during its run give one more run") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 4, alarm.make());
  const auto id = scheduler.add(log.task("source", clock, true), clock.monotonic());
  REQUIRE(log.started(1));
  for (int i = 0; i < 5; ++i) scheduler.hurry(id);  // three free threads, and still it waits
  CHECK(scheduler.counts().running == 1);
  CHECK(scheduler.counts().ready == 0);
  log.open();
  REQUIRE(log.finished(2));
  CHECK(idle(scheduler));
  CHECK(log.runs().size() == 2);  // the five hurries were one more run
  CHECK(log.max_running_of_one() == 1);
}

TEST_CASE("scheduler: a slow task holds only its own thread; others run on time beside it") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 2, alarm.make());
  scheduler.add(log.task("stuck", clock, true), clock.monotonic());
  REQUIRE(log.started(1));
  const auto other = scheduler.add(log.task("other", clock), clock.monotonic() + 1s);
  clock.advance(1s);
  alarm.ring_due(clock.monotonic());
  REQUIRE(log.started(2));
  // The other source polls again and again while the stuck one still runs.
  for (int poll = 0; poll < 3; ++poll) {
    scheduler.set_due(other, clock.monotonic() + 1s);
    clock.advance(1s);
    alarm.ring_due(clock.monotonic());
    REQUIRE(log.started(static_cast<std::size_t>(3 + poll)));
  }
  CHECK(scheduler.counts().running >= 1);  // stuck is still running
  log.open();
  REQUIRE(log.finished(5));
}

TEST_CASE("scheduler: a removed task does not run again; its running run finishes; set_due replaces") {
  FakeClock clock;
  Log log;  // outlives the scheduler: a task may still notify it as the test ends
  AlarmBoard alarm;
  Scheduler scheduler(clock, 2, alarm.make());
  const auto id = scheduler.add(log.task("gone", clock, true), clock.monotonic());
  REQUIRE(log.started(1));
  scheduler.hurry(id);
  scheduler.remove(id);
  scheduler.hurry(id);  // ignored
  log.open();
  REQUIRE(log.finished(1));
  CHECK(idle(scheduler));
  CHECK(scheduler.counts().tasks == 0);
  CHECK(log.runs().size() == 1);

  // A later due time replaces the earlier one: nothing runs at the first.
  const auto later = scheduler.add(log.task("later", clock), clock.monotonic() + 1s);
  scheduler.set_due(later, clock.monotonic() + 5s);
  clock.advance(1s);
  alarm.ring_due(clock.monotonic());
  CHECK(idle(scheduler));
  CHECK(log.runs().size() == 1);
  clock.advance(4s);
  alarm.ring_due(clock.monotonic());
  REQUIRE(log.started(2));
  CHECK(log.runs().back() == "later");
}

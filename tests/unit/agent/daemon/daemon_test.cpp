// The agent behind `pinsync run` on fakes: CSV sources, a FakeClock the test advances (and
// the scheduler's alarm it rings), Pinned Events answered by FakePinned. First passes,
// the poll interval, resync, pause and resume, status, reload and stop, with no wall-clock
// sleep: a test waits only for the agent's own threads, on condition variables.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "agent/daemon/worker.h"
#include "tests/unit/agent/daemon/daemon_world.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;
using pinsync::agent::test::DaemonWorld;
using pinsync::testing::sheet_row;

namespace {

// The jitter of the schedule is ±10 %: one interval and a tenth is always past the next pass.
constexpr auto k_past_next_pass = 66s;

int posts(DaemonWorld& w) { return w.pinned.count("POST", "/events"); }
int patches(DaemonWorld& w) { return w.pinned.count("PATCH", "/events/{id}"); }

// Holds the first caller of hold_first() until open(), so a test can act while a pass is
// in the middle of a request.
class Gate {
 public:
  void hold_first() {
    std::unique_lock lock(m_mutex);
    if (m_held) return;
    m_held = true;
    m_cv.notify_all();
    m_cv.wait(lock, [&] { return m_open; });
  }
  bool wait_held() {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, 20s, [&] { return m_held; });
  }
  void open() {
    {
      std::lock_guard lock(m_mutex);
      m_open = true;
    }
    m_cv.notify_all();
  }
  // Opens the gate when it goes out of scope: declared after the daemon, before it stops.
  struct Opener {
    Gate& gate;
    ~Opener() { gate.open(); }
  };

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_held = false;
  bool m_open = false;
};

// The requests of the source's counter (what /metrics shows) on `route` answered `status`.
std::int64_t counted(const SourceStatus& s, const std::string& route, const std::string& status) {
  for (const auto& c : s.requests) {
    if (c.api == "pinned" && c.route == route && c.status == status) return c.count;
  }
  return 0;
}

}  // namespace

TEST_CASE("daemon: a CSV source's first pass creates its events through the transport at start; status shows it") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  const auto started_at = w.clock.unix_seconds();
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());  // the first pass ended and set the time of the next

  CHECK(posts(w) == 2);
  CHECK(w.pinned.count("GET", "/classifications") == 1);
  const auto bodies = w.pinned.requests();
  // A new state file: the channel's events are looked through once before the creates.
  CHECK(bodies.at(1).method == "GET");
  CHECK(bodies.at(1).route == "/events");
  CHECK_CONTAINS(bodies.at(2).body, "Show one");
  CHECK_CONTAINS(bodies.at(3).body, "Show two");

  const auto s = DaemonWorld::status_of(*daemon, "acme");
  CHECK(s.kind == "csv");
  CHECK(s.poll_interval == 60s);
  CHECK(s.configured_poll_interval == 60s);
  CHECK_FALSE(s.running);
  REQUIRE(s.recent.size() == 1);
  CHECK(s.recent.front().trigger == "schedule");
  CHECK(s.recent.front().result == PassResult::ok);
  CHECK(s.recent.front().report.created == 2);
  CHECK(s.last_success_at == started_at);  // the fake clock's time: no wall clock in the status
  CHECK(s.last_error.empty());
  CHECK(s.rows_by_state.at("synced") == 2);
  CHECK(s.retry_queue_depth == 0);
  CHECK(s.passes_by_result.at(PassResult::ok) == 1);
  CHECK(s.api_requests == 3);  // the pass's own (the look-up and two creates): the slugs were read before it
  CHECK(counted(s, "POST /events", "201") == 2);
  CHECK(counted(s, "GET /classifications", "200") == 1);
  CHECK(s.next_pass_at >= started_at + 54);
  CHECK(s.next_pass_at <= started_at + 66);
  CHECK(daemon->started_at() == started_at);
  // The next pass is set one poll interval (with jitter) from the end of this one.
  const auto next = w.alarms.earliest();
  REQUIRE(next);
  CHECK(*next >= w.clock.monotonic() + 54s);
  CHECK(*next <= w.clock.monotonic() + 66s);
}

TEST_CASE("daemon: advancing the fake clock by the poll interval runs the next pass; nothing runs before it") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  REQUIRE(posts(w) == 1);
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  CHECK(w.advance(50s) == 0);  // before the earliest jittered time (54 s): no ring, no pass
  CHECK(posts(w) == 1);
  CHECK(DaemonWorld::status_of(*daemon, "acme").recent.size() == 1);

  CHECK(w.advance(k_past_next_pass - 50s) == 1);
  REQUIRE(w.pinned.wait_for("POST", "/events", 2));
  REQUIRE(w.alarms.wait_pending());
  const auto s = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(s.recent.size() == 2);
  CHECK(s.recent.front().trigger == "schedule");
  CHECK(s.recent.front().report.created == 1);
  CHECK(s.recent.front().report.unchanged == 1);
  CHECK(s.passes_by_result.at(PassResult::ok) == 2);
  CHECK(s.last_success_at == w.clock.unix_seconds());
  // The slugs were kept from the first pass: the second asked only for the new event.
  CHECK(w.pinned.count("GET", "/classifications") == 1);
  CHECK(w.pinned.total() == 4);  // the first pass also looked for existing events: a new state file
}

TEST_CASE("daemon: resync runs a pass now and returns its report; the schedule stays; unknown sources are named") {
  DaemonWorld w({"acme", "beta"});
  w.sheet("acme", sheet_row("E-1", "Show one"));
  w.sheet("beta", sheet_row("B-1", "Beta show"));
  auto daemon = w.start();
  REQUIRE(w.pinned.wait_for("POST", "/events", 2));
  // A resync of every source runs after the first passes, which have begun: once it is
  // back, both are recorded.
  auto first = daemon->resync({});
  REQUIRE(first);
  CHECK(first->at(0).unchanged == 1);
  CHECK(first->at(1).unchanged == 1);
  const auto before = w.clock.monotonic();
  const int requests_before = w.pinned.total();
  const auto next_before = DaemonWorld::status_of(*daemon, "acme").next_pass_at;
  w.sheet("acme", sheet_row("E-1", "Show one moved"));

  auto reports = daemon->resync({"acme", {}});
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().source == "acme");
  CHECK(reports->front().updated == 1);
  CHECK(patches(w) == 1);
  CHECK_CONTAINS(w.pinned.requests().back().body, "Show one moved");
  CHECK(w.clock.monotonic() == before);  // no time had to pass
  CHECK(w.pinned.total() == requests_before + 1);
  const auto acme = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(acme.recent.size() == 3);
  CHECK(acme.recent.front().trigger == "resync");
  CHECK(acme.recent.front().report.updated == 1);
  CHECK(acme.recent.back().trigger == "schedule");
  CHECK(acme.next_pass_at == next_before);  // the schedule stays
  CHECK(DaemonWorld::status_of(*daemon, "beta").recent.size() == 2);  // only the source asked for

  // Every source, in config order.
  auto all = daemon->resync({});
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK(all->at(0).source == "acme");
  CHECK(all->at(1).source == "beta");
  CHECK(all->at(0).unchanged == 1);

  auto unknown = daemon->resync({"nope", {}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == ErrorKind::invalid);
  CHECK(unknown.error().message == "resync: no source named 'nope'; sources: acme, beta");
  ResyncRequest rows_without_source;
  rows_without_source.ask.rows = {"E-1"};
  auto ambiguous = daemon->resync(rows_without_source);
  REQUIRE_FALSE(ambiguous);
  CHECK(ambiguous.error().kind == ErrorKind::invalid);
  CHECK_CONTAINS(ambiguous.error().message, "give the source too");
}

TEST_CASE("daemon: a resync asked while the source's pass runs waits for it and then passes once more") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  // The first create of the first pass is held until the test lets it go.
  Gate gate;
  w.pinned.before_send = [&](const http::Request& r) {
    if (r.method == "POST") gate.hold_first();
  };
  auto daemon = w.start();
  const Gate::Opener opener{gate};  // a failed check below must not leave the pass held
  REQUIRE(gate.wait_held());
  auto resync = std::async(std::launch::async, [&] { return daemon->resync({}); });
  CHECK(resync.wait_for(0s) == std::future_status::timeout);  // the running pass comes first
  gate.open();
  auto reports = resync.get();
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().unchanged == 2);  // the first pass created both; the resync found them synced
  CHECK(posts(w) == 2);
  const auto s = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(s.recent.size() == 2);
  CHECK(s.recent.at(0).trigger == "resync");
  CHECK(s.recent.at(1).trigger == "schedule");
}

TEST_CASE("daemon: a requested pass jumps the queue: with one thread busy, it runs before a pass only due") {
  // One pool thread; first passes at 0 s (a), 1 s (b) and 2 s (c). a's first create is held
  // while b falls due and c is asked for (resume queues a pass as resync does, without
  // waiting for it). When the thread is free, c goes first.
  DaemonWorld w({"a", "b", "c"}, 1);
  w.sheet("a", sheet_row("A-1", "A show"));
  w.sheet("b", sheet_row("B-1", "B show"));
  w.sheet("c", sheet_row("C-1", "C show"));
  Gate gate;
  w.pinned.before_send = [&](const http::Request& r) {
    if (r.method == "POST") gate.hold_first();
  };
  auto daemon = w.start();
  const Gate::Opener opener{gate};
  REQUIRE(gate.wait_held());
  REQUIRE(daemon->pause("c", "until asked"));
  CHECK(w.advance(1s) == 1);  // b is due, and waits for the thread
  auto resumed = daemon->resume("c");
  REQUIRE(resumed);
  CHECK(*resumed);
  gate.open();
  REQUIRE(w.pinned.wait_for("POST", "/events", 3));
  std::string order;  // the sources' titles, in the order their creates came
  for (const auto& r : w.pinned.requests()) {
    for (const char* title : {"A show", "B show", "C show"}) {
      if (r.method == "POST" && r.body.find(title) != std::string::npos) order += std::string(title) + "; ";
    }
  }
  CHECK(order == "A show; C show; B show; ");
}

TEST_CASE("daemon: an operator's pause makes no request until resume; resume passes at once; status shows the pause") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  REQUIRE(posts(w) == 1);
  const int requests_before = w.pinned.total();
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  REQUIRE(daemon->pause("acme", "partner asked to stop"));
  auto paused = DaemonWorld::status_of(*daemon, "acme");
  CHECK(paused.paused_reason == "partner asked to stop");
  CHECK(paused.paused_by == "operator");
  CHECK(paused.paused_since == w.clock.unix_seconds());

  // Neither a resync nor the schedule sends anything while paused.
  auto reports = daemon->resync({"acme", {}});
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().paused);
  CHECK(reports->front().operator_pause);
  REQUIRE(reports->front().stopped);
  CHECK_CONTAINS(reports->front().stopped->message, "paused by an operator");
  CHECK(w.advance(k_past_next_pass) == 1);
  REQUIRE(w.alarms.wait_pending());
  CHECK(w.pinned.total() == requests_before);
  const auto skipped = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(skipped.recent.size() == 3);
  CHECK(skipped.recent.front().trigger == "schedule");
  CHECK(skipped.recent.front().result == PassResult::paused);

  auto resumed = daemon->resume("acme");
  REQUIRE(resumed);
  CHECK(*resumed);
  REQUIRE(w.pinned.wait_for("POST", "/events", 2));  // at once: no time passed
  auto again = daemon->resume("acme");
  REQUIRE(again);
  CHECK_FALSE(*again);  // it was no longer paused
  REQUIRE(daemon->resync({"acme", {}}));  // after the resume's pass
  const auto after = DaemonWorld::status_of(*daemon, "acme");
  CHECK(after.paused_reason.empty());
  CHECK(after.rows_by_state.at("synced") == 2);
  CHECK(after.recent.at(1).trigger == "resume");
  CHECK(after.recent.at(1).report.created == 1);

  auto unknown = daemon->pause("nope", "x");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == ErrorKind::invalid);
  CHECK_FALSE(daemon->resume("nope"));
}

TEST_CASE("daemon: a pass that leaves a row invalid shows why in last_error and keeps the last success") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Bad date", "June 32"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  CHECK(posts(w) == 1);
  const auto s = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(s.recent.size() == 1);
  CHECK(s.recent.front().report.invalid == 1);
  CHECK_CONTAINS(s.last_error, "(E-2)");
  CHECK_CONTAINS(s.last_error, "June 32");
  CHECK(s.last_success_at == w.clock.unix_seconds());  // an invalid row is no failure of the pass
  CHECK(s.rows_by_state.at("invalid") == 1);
  REQUIRE(s.problem_rows.size() == 1);
  CHECK(s.problem_rows.front().source_id == "E-2");
}

TEST_CASE("daemon: a reload with an invalid file keeps the old config and records the error; a valid one is taken") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  CHECK(daemon->reload_status().at == 0);  // none since start

  const auto broken = w.dir.write("broken.yaml", "pinned:\n  base_url: [not, a, url\n");
  w.clock.advance(5s);
  auto refused = daemon->reload(broken);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::config);
  const auto reload = daemon->reload_status();
  CHECK(reload.at == w.clock.unix_seconds());
  CHECK_FALSE(reload.ok);
  CHECK(reload.error == refused.error().message);
  CHECK_CONTAINS(reload.error, "broken.yaml");
  // The old config goes on: the same source and schedule, and it still passes.
  const auto kept = daemon->status();
  REQUIRE(kept.size() == 1);
  CHECK(kept.front().name == "acme");
  CHECK(kept.front().poll_interval == 60s);
  CHECK(daemon->resync({}));
  CHECK_CONTAINS(w.log.text(), "config reload failed; the agent keeps running on the old config");

  // A valid file: a second source and a longer interval; acme's counters are kept.
  w.write_config({"acme", "beta"}, 120s);
  w.sheet("beta", sheet_row("B-1", "Beta show"));
  REQUIRE(daemon->reload(w.config_file));
  CHECK(daemon->reload_status().ok);
  REQUIRE(w.pinned.wait_for("POST", "/events", 2));  // beta's first pass
  REQUIRE(daemon->resync({"beta", {}}));
  const auto after = daemon->status();
  REQUIRE(after.size() == 2);
  CHECK(after.at(0).name == "acme");
  CHECK(after.at(0).poll_interval == 120s);
  CHECK(after.at(0).passes_by_result.at(PassResult::ok) >= 2);  // kept across the reload
  CHECK(after.at(1).name == "beta");
  CHECK(after.at(1).rows_by_state.at("synced") == 1);
}

TEST_CASE("daemon: stop between passes returns at once; nothing runs after it and a resync is refused") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(daemon->stop(30s));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // no pass to wait for: no polling, no grace spent
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  w.advance(k_past_next_pass);
  auto refused = daemon->resync({});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::transient);
  CHECK_CONTAINS(refused.error().message, "stopping");
  CHECK(posts(w) == 1);
}

TEST_CASE("daemon: stop cancels a running pass between rows and returns once its request is answered") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two") + sheet_row("E-3", "Show three"));
  // The first create is held until the agent's clock is stopped, which stop() does after
  // it has told every pass to cancel.
  std::mutex gate_mutex;
  std::condition_variable gate_cv;
  bool held = false;
  w.pinned.before_send = [&](const http::Request& r) {
    if (r.method != "POST") return;
    {
      std::lock_guard lock(gate_mutex);
      if (held) return;
      held = true;
    }
    gate_cv.notify_all();
    std::mutex m;
    std::condition_variable_any never;
    std::unique_lock lock(m);
    (void)w.clock.wait_until(lock, never, Clock::k_never, [] { return false; });  // ends at stop()
  };
  auto daemon = w.start();
  {
    std::unique_lock lock(gate_mutex);
    REQUIRE(gate_cv.wait_for(lock, 20s, [&] { return held; }));
  }
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(daemon->stop(30s));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(posts(w) == 1);  // the rows after the held one were not sent
  const auto s = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(s.recent.size() == 1);
  REQUIRE(s.recent.front().report.stopped);
  CHECK_CONTAINS(s.recent.front().report.stopped->message, "the agent is stopping");
  CHECK(s.rows_by_state.at("synced") == 1);
}

TEST_CASE("daemon: a second agent on the same state file is refused, naming the holder") {
  DaemonWorld w;
  auto daemon = w.start();
  auto second = Daemon::start(w.config, w.log.stream(), DaemonSeams{w.seams(), w.alarms.factory()});
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == ErrorKind::conflict);
  CHECK_CONTAINS(second.error().message, std::to_string(::getpid()));
}

TEST_CASE("daemon: the key never shows in the agent's log") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  {
    auto daemon = w.start();
    REQUIRE(w.alarms.wait_pending());
    REQUIRE(daemon->resync({}));
  }
  const auto log = w.log.text();
  CHECK_CONTAINS(log, "source scheduled");
  CHECK_NOT_CONTAINS(log, pinsync::testing::k_agent_world_key);
  for (const auto& r : w.pinned.requests()) CHECK_NOT_CONTAINS(r.url, pinsync::testing::k_agent_world_key);
}

TEST_CASE("daemon: after a restart the status shows the passes before it and the last success, from the run log") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  const auto first_at = w.clock.unix_seconds();
  {
    auto daemon = w.start();
    REQUIRE(w.alarms.wait_pending());
    REQUIRE(posts(w) == 1);
    CHECK(daemon->stop(5s));
  }
  w.clock.advance(3600s);
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  auto daemon = w.start();
  // Before the new agent's first pass ends, its status already knows the old one.
  const auto s = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE_FALSE(s.recent.empty());
  const auto& oldest = s.recent.back();
  CHECK(oldest.finished_at == first_at);
  CHECK(oldest.result == PassResult::ok);
  CHECK(oldest.report.created == 1);
  CHECK(s.last_success_at >= first_at);
  CHECK(s.last_pass_at_by_result.contains(PassResult::ok));
  REQUIRE(w.alarms.wait_pending());
  const auto after = DaemonWorld::status_of(*daemon, "acme");
  REQUIRE(after.recent.size() == 2);
  CHECK(after.recent.front().report.created == 1);  // E-2, by the new agent
  CHECK(after.recent.back().finished_at == first_at);
  CHECK(after.last_success_at == first_at + 3600);
}

TEST_CASE("worker: a second pass the quota's first round put later waits for it; then the interval rules again") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto world = SessionWorld::open(w.config, w.log.stream(), StoreAccess::write, w.seams());
  REQUIRE(world);
  auto scheduler = std::make_shared<Scheduler>(w.clock, 1, w.alarms.make());
  const auto config = std::make_shared<const Config>(w.config);
  const auto start = w.clock.monotonic();
  auto worker = SourceWorker::start(scheduler, config, config->sources[0], *world, std::make_shared<SourceStats>(),
                                    nullptr, SourceSchedule{start, 60s, "", start + 150s});
  REQUIRE(w.pinned.wait_for("POST", "/events", 1));  // the first pass, at once
  REQUIRE(w.alarms.wait_pending());
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  CHECK(w.advance(k_past_next_pass) == 0);  // an interval after the first pass: the round still runs
  CHECK(w.advance(149s - k_past_next_pass) == 0);
  CHECK(posts(w) == 1);
  CHECK(w.advance(1s) == 1);  // its place after the round
  REQUIRE(w.pinned.wait_for("POST", "/events", 2));
  REQUIRE(w.alarms.wait_pending());

  // From then on, the poll interval with its jitter.
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two") + sheet_row("E-3", "Show three"));
  CHECK(w.advance(50s) == 0);
  CHECK(w.advance(k_past_next_pass - 50s) == 1);
  REQUIRE(w.pinned.wait_for("POST", "/events", 3));
  worker.reset();
  scheduler->stop();
}

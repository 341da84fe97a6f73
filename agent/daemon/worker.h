// One source under `pinsync run`: its schedule, its queue of requested passes and its
// counters. Its passes run on the agent's Scheduler (scheduler.h: one timer, a bounded pool
// of threads for every source) — each scheduled one at poll_interval with ±10 % jitter, each
// requested one (resync) ahead of every scheduled pass as soon as a thread is free and the
// source's running pass is done — so a source's passes never overlap and a slow source
// holds only its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/alerts/alerts.h"
#include "agent/config/config.h"
#include "agent/daemon/scheduler.h"
#include "agent/daemon/status.h"
#include "agent/sync/pass_types.h"
#include "agent/sync/session.h"

namespace pinsync::agent {

// The counters of one source; they outlive its worker across reloads.
struct SourceStats {
  std::mutex mutex;
  SourceStatus status;  // rows_by_state and problem_rows are filled on demand
  http::RequestCounter requests;  // thread-safe on its own
};

// When a source's passes go: its first one (the world clock's monotonic time), then every
// `interval` (±10 % jitter) — the configured poll_interval, or a longer one when the agent's
// quota plan stretched it (quota_plan.h), `quota_note` saying why.
struct SourceSchedule {
  TimePoint first_due;
  std::chrono::seconds interval{0};
  std::string quota_note;
  // When the quota plan's first round puts the second scheduled pass later than an interval
  // after the first (FirstPasses in quota_plan.h): then, unless the first pass ended later
  // (the daemon makes it at least an interval after first_due).
  std::optional<TimePoint> second_due;
};

class SourceWorker : public std::enable_shared_from_this<SourceWorker> {
 public:
  // Registers the source with `scheduler` on `schedule`. `config` owns `source`; the worker
  // keeps it alive. Every pass's report goes to `alerter` (when given) unless the pass was
  // cancelled.
  static std::shared_ptr<SourceWorker> start(std::shared_ptr<Scheduler> scheduler,
                                             std::shared_ptr<const Config> config, const SourceConfig& source,
                                             std::shared_ptr<SessionWorld> world, std::shared_ptr<SourceStats> stats,
                                             std::shared_ptr<Alerter> alerter, SourceSchedule schedule);
  // Stops taking work and waits for a running pass.
  ~SourceWorker();
  SourceWorker(const SourceWorker&) = delete;
  SourceWorker& operator=(const SourceWorker&) = delete;

  const SourceConfig& source() const { return m_source; }
  const std::shared_ptr<SourceStats>& stats() const { return m_stats; }

  // Queues a pass (or joins an identical queued one). Returns its ticket, or nullopt
  // when the worker is stopping.
  std::optional<std::uint64_t> request(PassOptions options, std::string trigger);
  // Waits for ticket's pass. Returns its report, or nullopt when the worker stopped first.
  std::optional<PassReport> wait(std::uint64_t ticket);

  // Takes no more work and drops the passes not yet started. With `cancel`, the running
  // pass stops between rows and backoff sleeps end at once; without, it completes.
  void finish(bool cancel);
  // After finish(): waits until no pass runs or `deadline` passes. Returns true when none runs.
  bool wait_done(std::chrono::steady_clock::time_point deadline);
  // After finish(): waits for the running pass, if any, however long it takes.
  void join();

 private:
  struct Queued {
    std::uint64_t ticket = 0;
    PassOptions options;
    std::string trigger;
    bool scheduled = false;  // the pass of the schedule, not one a person asked for
  };

  SourceWorker(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<const Config> config, const SourceConfig& source,
               std::shared_ptr<SessionWorld> world, std::shared_ptr<SourceStats> stats,
               std::shared_ptr<Alerter> alerter, SourceSchedule schedule);
  // On a pool thread: runs the first requested pass, else the scheduled one when due.
  void run_next();
  // Takes the pass to run now: the first requested one, else the scheduled one when due;
  // nullopt when none is due.
  std::optional<Queued> next_pass_locked(TimePoint now);
  void set_running(bool running);
  void record(const std::string& trigger, std::int64_t started, double seconds, const PassReport& report,
              TimePoint next_due);

  std::shared_ptr<Scheduler> m_scheduler;
  Scheduler::TaskId m_task = 0;
  std::shared_ptr<const Config> m_config;
  const SourceConfig& m_source;
  std::unique_ptr<Session> m_session;
  std::shared_ptr<SourceStats> m_stats;
  std::shared_ptr<Alerter> m_alerter;
  std::atomic<bool> m_cancel{false};

  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  bool m_running = false;
  bool m_done = false;  // stopping, and no pass runs any more
  TimePoint m_next_due;
  std::chrono::seconds m_interval;  // between scheduled passes (before jitter)
  std::optional<TimePoint> m_second_due;  // SourceSchedule::second_due, until the first scheduled pass ends
  std::optional<TimePoint> m_last_full_scan;  // read and written by the running pass only
  std::deque<Queued> m_queue;
  std::uint64_t m_next_ticket = 0;
  std::map<std::uint64_t, PassReport> m_reports;
};

}  // namespace pinsync::agent

// One source under `pinsync run`: its schedule, its queue of requested passes and its
// counters. A Poco::Util::Timer (its own thread) runs the source's passes — each scheduled
// one at poll_interval with ±10 % jitter, each requested one (resync) as soon as the
// running pass is done — so a source's passes never overlap and a slow source never
// delays another.
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

#include <Poco/Util/Timer.h>

#include "agent/alerts/alerts.h"
#include "agent/config/config.h"
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

class SourceWorker {
 public:
  // Schedules the source's first pass at once. `config` owns `source`; the worker keeps it
  // alive. Every pass's report goes to `alerter` (when given) unless the pass was cancelled.
  SourceWorker(std::shared_ptr<const Config> config, const SourceConfig& source,
               std::shared_ptr<SessionWorld> world, std::shared_ptr<SourceStats> stats,
               std::shared_ptr<Alerter> alerter);
  // Stops taking work, lets a running pass finish and joins the timer.
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
  };

  void schedule_locked(std::chrono::steady_clock::time_point when);
  void on_timer(Poco::Util::TimerTask& task);
  void set_running(bool running);
  void record(const std::string& trigger, std::int64_t started, double seconds, const PassReport& report,
              std::chrono::steady_clock::time_point next_due);

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
  std::chrono::steady_clock::time_point m_next_due;
  std::optional<std::chrono::steady_clock::time_point> m_last_full_scan;  // timer thread only
  std::deque<Queued> m_queue;
  std::uint64_t m_next_ticket = 0;
  std::map<std::uint64_t, PassReport> m_reports;
  Poco::Util::Timer m_timer;  // last: destroyed (its thread joined) before everything it uses
};

}  // namespace pinsync::agent

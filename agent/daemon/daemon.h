// The long-running agent behind `pinsync run`: one SourceWorker per source (worker.h),
// each with its own Pinned clients, polling at the source's poll_interval (±10 % jitter),
// plus triggered passes (resync, SIGUSR1). Every source's passes run on one Scheduler
// (scheduler.h): one timer thread and agent.workers pass threads, however many sources. A
// source never runs two passes at once; a trigger during a pass queues one more. All
// sources share one store, one state lock, one log, one connection pool and one
// in-flight window of pinned.concurrency requests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/alerts/alerts.h"
#include "agent/config/config.h"
#include "agent/daemon/status.h"
#include "agent/sync/pass.h"
#include "agent/sync/session.h"

namespace pinsync::agent {

// What a resync asks for; every field optional.
struct ResyncRequest {
  std::string source;  // "" = every source
  ResyncAsk ask;       // rows (which need a source when there are several), dead, force, accept_removals
};

class Alarm;
class Scheduler;
class SourceWorker;
struct SourceStats;

// Makes the alarm that wakes a scheduler (one per scheduler: at start and at each reload).
using AlarmFactory = std::function<std::unique_ptr<Alarm>(Clock&)>;

// The world a Daemon runs in. Production leaves every field empty; tests give a FakeClock,
// scripted transports and an alarm they ring after advancing the clock.
struct DaemonSeams {
  WorldSeams world;     // the clock and transports of every session (and of the alert sinks)
  AlarmFactory alarms;  // empty: make_timer_alarm (one Poco timer thread)
};

class Daemon {
 public:
  // Takes the state lock, opens the store and starts one worker per source; the first
  // passes of as many sources as agent.workers start at once, the others one after
  // another, spread over the shortest poll interval but at most 1 s apart
  // (first_pass_offsets in scheduler.h). Returns Error{conflict} naming the holder's pid
  // when another pinsync holds the state file, or the store's error. The daemon keeps
  // `seams`; the clock and whatever its factories capture must outlive it.
  static Result<std::unique_ptr<Daemon>> start(const Config& config, std::ostream& log_out, DaemonSeams seams = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  Logger& log() { return m_world->log(); }
  state::Store& store() { return *m_world->store(); }

  // Runs one pass of the chosen sources now (after a pass already running) and waits for
  // them. Returns their reports in config order, Error{invalid} for an unknown source or
  // rows named without a source while there are several, or Error{transient} when the
  // agent stopped or reloaded before a pass ran.
  Result<std::vector<PassReport>> resync(const ResyncRequest& request);
  // Queues one pass of every source without waiting (SIGUSR1).
  void resync_all();
  // Pauses `source` for an operator (kept in the store: its passes make no request until
  // resume). Error{invalid} for an unknown source, the store's error otherwise.
  Result<void> pause(const std::string& source, const std::string& reason);
  // Ends `source`'s pause, whoever made it, and queues a pass at once. Returns whether it
  // was paused; Error{invalid} for an unknown source.
  Result<bool> resume(const std::string& source);
  // Loads `file` again. A valid config replaces the workers (each finishes its pass
  // first; counters are kept; first passes spread as at start, on a pool of the new
  // agent.workers); returns the error and keeps the old config otherwise.
  Result<void> reload(const std::filesystem::path& file);
  // Stops taking work, cancels passes between rows and ends backoff sleeps. Returns true
  // when every worker ended within `grace`, false when some are still in a request.
  bool stop(std::chrono::milliseconds grace);

  // A snapshot of every source, in config order.
  std::vector<SourceStatus> status();
  // The last config reload since start (at = 0: none).
  ReloadStatus reload_status();
  // The admin endpoint's page ("http://127.0.0.1:PORT/"), for the alerts to link (also
  // after a reload): the port the endpoint got, which the config does not know when it
  // says port 0. Call from the thread that reloads.
  void set_status_page(std::string url);
  // When the agent started (unix seconds, from its clock).
  std::int64_t started_at() const { return m_started_at; }
  // Now (unix seconds, from its clock): the page's "as of" and uptime.
  std::int64_t now() const;

 private:
  Daemon() = default;
  std::vector<std::shared_ptr<SourceWorker>> workers();
  // One Poco timer and the pool of config.agent.workers threads (scheduler.h).
  std::shared_ptr<Scheduler> make_scheduler(const Config& config);
  Result<void> reload_config(const std::filesystem::path& file);
  void start_workers(std::shared_ptr<const Config> config,
                     std::map<std::string, std::shared_ptr<SourceStats>> keep);

  DaemonSeams m_seams;
  std::shared_ptr<SessionWorld> m_world;
  std::shared_ptr<Scheduler> m_scheduler;  // replaced on reload, once the old workers are done
  std::shared_ptr<Alerter> m_alerter;  // null without alerts:; replaced on reload
  std::optional<std::uint16_t> m_admin_port;  // of the config the agent started with
  std::string m_status_page;                  // set_status_page; "" until the endpoint listens
  std::filesystem::path m_state_path;
  std::int64_t m_started_at = 0;
  std::mutex m_mutex;  // guards m_config, m_workers and m_reload
  std::shared_ptr<const Config> m_config;
  std::vector<std::shared_ptr<SourceWorker>> m_workers;
  ReloadStatus m_reload;
  bool m_stopped = false;
};

}  // namespace pinsync::agent

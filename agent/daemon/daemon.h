// The long-running agent behind `pinsync run`: one worker thread per source, each with
// its own Pinned client, polling at the source's poll_interval (±10 % jitter), plus
// triggered passes (resync, SIGUSR1). A source never runs two passes at once; a trigger
// during a pass queues one more. All sources share one store, one state lock, one log.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/alerts/alerts.h"
#include "agent/config/config.h"
#include "agent/sync/session.h"
#include "agent/sync/pass.h"

namespace pinsync::agent {

// One finished pass, as the admin endpoint shows it.
struct PassRecord {
  std::string trigger;           // schedule, resync, signal
  std::int64_t started_at = 0;   // unix seconds
  std::int64_t finished_at = 0;
  double seconds = 0;
  std::string result;            // ok, rows_failed, stopped
  PassReport report;
};

// Upper bounds (seconds) of the pass duration histogram; +Inf is implied.
inline constexpr double k_duration_buckets[] = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
inline constexpr std::size_t k_duration_bucket_count = sizeof(k_duration_buckets) / sizeof(double);

// What the agent knows about one source, copied out for the admin endpoint.
struct SourceStatus {
  std::string name;
  std::string kind;
  std::chrono::seconds poll_interval{0};
  bool running = false;
  std::int64_t next_pass_at = 0;  // unix seconds; 0 when none is planned
  std::deque<PassRecord> recent;  // newest first, at most 10
  std::string last_error;         // why the last unclean pass was unclean ("" after a clean one)
  std::map<std::string, std::int64_t> passes_by_result;
  std::int64_t duration_counts[k_duration_bucket_count + 1] = {};  // per bucket, last is +Inf
  double duration_sum = 0;
  std::int64_t last_success_at = 0;  // unix seconds of the last clean pass; 0 if none
  std::int64_t api_requests = 0;     // requests sent by this agent's passes so far
  std::vector<http::RequestCount> requests;  // every HTTP request of this source, by api/route/status
  std::string paused_reason;         // why the source is paused (key or access refused); "" when not
  std::optional<std::int64_t> retry_queue_depth;  // writes waiting in the retry queue; nullopt: unknown
  std::map<std::string, std::int64_t> rows_by_state;  // from the store
  std::vector<state::RowRecord> problem_rows;          // invalid, failed, needs_review, gone
};

// What a resync asks for; every field optional.
struct ResyncRequest {
  std::string source;  // "" = every source
  std::string row;     // "" = every row
  bool force = false;
  bool accept_removals = false;  // a suspect read's removals are accepted
};

class SourceWorker;
struct SourceStats;

class Daemon {
 public:
  // Takes the state lock, opens the store and starts one worker per source; the first
  // pass of each source starts at once. Returns Error{config} naming the holder's pid
  // when another pinsync holds the state file, or the store's error.
  static Result<std::unique_ptr<Daemon>> start(const Config& config, std::ostream& log_out);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  Logger& log() { return *m_shared->log; }
  state::Store& store() { return *m_shared->store; }
  // The admin_listen of the config the agent started with.
  const std::string& admin_listen() const { return m_admin_listen; }

  // Runs one pass of the chosen sources now (after a pass already running) and waits for
  // them. Returns their reports in config order, Error{invalid} for an unknown source,
  // or Error{transient} when the agent stopped or reloaded before a pass ran.
  Result<std::vector<PassReport>> resync(const ResyncRequest& request);
  // Queues one pass of every source without waiting (SIGUSR1).
  void resync_all();
  // Loads `file` again. A valid config replaces the workers (each finishes its pass
  // first; counters are kept); returns the error and keeps the old config otherwise.
  Result<void> reload(const std::filesystem::path& file);
  // Stops taking work, cancels passes between rows and ends backoff sleeps. Returns true
  // when every worker ended within `grace`, false when some are still in a request.
  bool stop(std::chrono::milliseconds grace);

  // A snapshot of every source, in config order.
  std::vector<SourceStatus> status();

 private:
  Daemon() = default;
  std::vector<std::shared_ptr<SourceWorker>> workers();
  void start_workers(std::shared_ptr<const Config> config,
                     std::map<std::string, std::shared_ptr<SourceStats>> keep);

  std::shared_ptr<SharedSessionState> m_shared;
  std::shared_ptr<Alerter> m_alerter;  // null without alerts:; replaced on reload
  std::string m_admin_listen;
  std::filesystem::path m_state_path;
  std::mutex m_mutex;  // guards m_config and m_workers
  std::shared_ptr<const Config> m_config;
  std::vector<std::shared_ptr<SourceWorker>> m_workers;
  bool m_stopped = false;
};

}  // namespace pinsync::agent

// What the agent knows about each source, copied out for the admin endpoint: its schedule,
// its recent passes and their results, its counters, and its rows by state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/sync/pass_types.h"
#include "agent/sync/report.h"
#include "core/counting_transport.h"
#include "state/store.h"

namespace pinsync::agent {

// One finished pass, as the admin endpoint shows it.
// How many of a source's last passes its status keeps (and reads back from the run log at start).
inline constexpr std::size_t k_recent_passes = 10;

struct PassRecord {
  std::string trigger;           // schedule, resync, signal
  std::int64_t started_at = 0;   // unix seconds
  std::int64_t finished_at = 0;
  double seconds = 0;
  PassResult result = PassResult::ok;
  PassReport report;
};

// Upper bounds (seconds) of the pass duration histogram; +Inf is implied.
inline constexpr double k_duration_buckets[] = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
inline constexpr std::size_t k_duration_bucket_count = sizeof(k_duration_buckets) / sizeof(double);

// The last config reload (SIGHUP) of `pinsync run`: a failed one leaves the agent on its old
// config, which an operator must be able to see without reading the log.
struct ReloadStatus {
  std::int64_t at = 0;  // unix seconds of the last attempt; 0: none since start
  bool ok = true;
  std::string error;    // why it failed ("" when it did not)
};

// What the agent knows about one source, copied out for the admin endpoint.
struct SourceStatus {
  std::string name;
  std::string kind;
  std::chrono::seconds poll_interval{0};             // as polled now: configured, or stretched for a quota
  std::chrono::seconds configured_poll_interval{0};  // as the config says
  std::string quota_note;  // why poll_interval is longer than configured ("" when it is not)
  bool running = false;
  std::int64_t next_pass_at = 0;  // unix seconds; 0 when none is planned
  std::deque<PassRecord> recent;  // newest first, at most 10
  std::string last_error;         // why the last unclean pass was unclean ("" after a clean one)
  std::map<PassResult, std::int64_t> passes_by_result;
  std::map<PassResult, std::int64_t> last_pass_at_by_result;  // unix seconds each result was last seen
  std::int64_t duration_counts[k_duration_bucket_count + 1] = {};  // per bucket, last is +Inf
  double duration_sum = 0;
  std::int64_t last_success_at = 0;  // unix seconds of the last successful pass (PassReport::succeeded); 0 if none
  std::int64_t api_requests = 0;     // requests sent by this agent's passes so far
  std::vector<http::RequestCount> requests;  // every HTTP request of this source, by api/route/status
  std::string paused_reason;         // why the source is paused; "" when not
  std::string paused_by;             // "operator" (pinsync pause) or "pinsync" (key or access refused)
  std::int64_t paused_since = 0;     // unix seconds
  std::optional<std::int64_t> retry_queue_depth;  // writes waiting in the retry queue; nullopt: unknown
  std::map<std::string, std::int64_t> rows_by_state;  // from the store
  std::int64_t events_taken_down = 0;  // removed rows whose events on_removed: draft took down
  std::vector<state::RowRecord> problem_rows;          // invalid, failed, needs_review, gone
};

}  // namespace pinsync::agent

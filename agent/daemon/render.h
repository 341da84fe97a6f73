// The texts the admin endpoint serves, rendered from status snapshots: pure functions,
// no I/O, so they are easy to test.
#pragma once

#include <string>
#include <vector>

#include "agent/daemon/status.h"
#include "agent/sync/report.h"
#include "core/process_stats.h"

namespace pinsync::agent {

// GET /status: {"sources":[{name, running, next_pass_at, last_pass:{trigger, started_at,
// finished_at, seconds, report:{a pass report without rows, report.h}}|null, rows:{state:n},
// last_success_at, last_pass_at:{result:time}, poll_interval_seconds (as polled now),
// configured_poll_interval_seconds, quota_note (why they differ)|null, last_error, paused_reason,
// paused:{by, since, reason}|null, retry_queue_depth|null, passes:{result:n}, api_requests,
// suspect_read:{at, reason}|null (the last read looked wrong; its removals are held back),
// needs_you:[{kind, badge, detail, fix}] (attention.h: empty when nothing needs a person)}]}.
// Also "reload":{at, ok, error}|null: the last config reload since start, if any.
std::string status_json(const std::vector<SourceStatus>& sources, const ReloadStatus& reload = {});
// The agent itself, for /metrics: pinsync_build_info and the process_* metrics Prometheus
// client libraries export by default.
struct AgentFacts {
  std::string version;
  std::string revision;
  std::int64_t started_at = 0;  // unix seconds; 0: unknown (no process_start_time_seconds)
  ProcessStats process;
  ReloadStatus reload;
};

// GET /metrics: Prometheus text exposition format 0.0.4.
std::string metrics_text(const std::vector<SourceStatus>& sources, const AgentFacts& agent);
// The HTML page (GET /) is in page.h.

}  // namespace pinsync::agent

#include "agent/daemon/stored_status.h"

#include "agent/sync/pass.h"
#include "agent/sync/report.h"

namespace pinsync::agent {

void add_pass_history(state::Store& store, Logger& log, SourceStatus& s) {
  auto runs = store.recent_runs(s.name, static_cast<int>(k_recent_passes));
  if (!runs) {
    log.warn("cannot read the source's pass history; the page starts empty", {{"source", s.name}, {"reason", runs.error().message}});
    return;
  }
  for (const auto& run : *runs) {  // newest first
    if (run.finished_at == 0 || run.trigger == k_row_resync_trigger) continue;  // unfinished, or not a pass of the source
    const PassReport report = report_of(run);
    const PassResult result = result_of(report);
    PassRecord rec{run.trigger, run.started_at, run.finished_at, static_cast<double>(run.finished_at - run.started_at),
                   result, report};
    s.last_pass_at_by_result.try_emplace(result, run.finished_at);
    if (report.succeeded() && s.last_success_at == 0) s.last_success_at = run.finished_at;
    s.recent.push_back(std::move(rec));
  }
}

void add_stored_facts(state::Store& store, SourceStatus& s) {
  if (auto pause = store.pause(s.name); pause && *pause) {
    s.paused_reason = (*pause)->reason;
    s.paused_by = std::string(state::to_string((*pause)->by));
    s.paused_since = (*pause)->since;
  }
  if (auto rows = store.rows(s.name)) {
    s.retry_queue_depth = 0;
    for (const auto& r : *rows) {
      ++s.rows_by_state[std::string(state::to_string(r.state))];
      if (r.state == state::RowState::removed && r.event_status == "unpublished") ++s.events_taken_down;
      if (r.state == state::RowState::failed) ++*s.retry_queue_depth;  // dead rows left the queue
      if (state::needs_attention(r.state)) s.problem_rows.push_back(r);
    }
  }
}

}  // namespace pinsync::agent

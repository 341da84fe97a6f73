// One pass over one source: fetch, map, plan, then (unless dry run) write each change
// through the outbox and record its outcome. The pass never throws; a source-level
// problem (unreadable source, missing column, refused key) stops that source only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "agent/sync/pass_types.h"
#include "state/store.h"

namespace pinsync::agent {

// The run log's trigger of a resync of named rows: not a pass of the whole source, so
// `status` and the counters of the agent skip it.
inline constexpr std::string_view k_row_resync_trigger = "resync --row";

// What a person asks of a resync besides the source; every field optional.
struct ResyncAsk {
  std::vector<std::string> rows;  // --row: only these source ids (empty: every row)
  bool dead = false;              // --dead: re-arm every dead row
  bool recreate = false;          // --recreate: the named rows whose event was deleted get a new one
  bool forget = false;            // --forget: the named rows' deleted events are let go (never with recreate)
  bool force = false;             // --force
  bool accept_removals = false;   // --accept-removals
  bool recover = false;           // pinsync recover: look for every unknown row's event before creating
  bool accept_new_state = false;  // --accept-new-state: create unknown rows without looking (a person's word)
};

// The options of a pass a person asked for (resync, SIGUSR1): queued rows go now and a
// paused source resumes.
PassOptions manual_pass(const ResyncAsk& ask = {});

// Runs one pass. In dry_run mode nothing is written to the store or the API. With
// options.only_rows the pass writes only those rows (a needs_review, gone, dead, failed or
// refused row is first re-armed so it is planned and sent again; a forgotten row is left as
// it is unless options.recreate_rows gives it a new event; with options.forget_rows each is
// forgotten instead, and the pass stops, changing nothing, when one of them is not gone:
// the stop's message names each such row and its state) — and stops before
// writing anything when one of them is neither in the source nor in the store
// (report.unknown_rows, with the closest known IDs in the stop's message); with
// options.rearm_dead every dead row is re-armed the same way; with options.force each
// unchanged row is re-sent as an update when its event, read back, differs from the row's
// payload (or always, when the key may not read events). A complete read that would
// remove more than source.max_removed_share of the known approved rows (or reads none)
// marks nothing removed and sets report.suspect, unless options.accept_removals. A
// cancelled pass reports stopped.
PassReport run_pass(const PassContext& ctx, PassMode mode, std::string_view trigger);

// A source paused by a refused key stays paused until `fingerprint` (see
// pause_fingerprint) changes or a manual resync (`resume`) ends the pause. Returns the
// report of a pass that did not run when the source is still paused, nullopt when it may
// run (ending a pause that no longer holds, with a log line).
std::optional<PassReport> check_pause(state::Store& store, const SourceConfig& source, std::string_view fingerprint,
                                      bool resume, Logger& log);
// After a pass that ended with report.key_refused, pauses the source with the reason and
// sets report.paused.
void pause_if_refused(state::Store& store, PassReport& report, std::string_view fingerprint, Logger& log);
// A hash of what a refusal of the key depends on: the key, the API's URL, the channel.
std::string pause_fingerprint(const PinnedConfig& pinned, const SourceConfig& source);

}  // namespace pinsync::agent

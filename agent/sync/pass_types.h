// The vocabulary of a pass: how it was asked for (PassMode, PassOptions), the world it
// runs in (PassContext) and what came of it (PassReport, one RowOutcome per row).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/mapping/mapped_row.h"
#include "agent/pinned/channel_snapshots.h"
#include "agent/pinned/client.h"
#include "agent/pinned/drift.h"
#include "connectors/connector.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "state/store.h"

namespace Poco {
class ThreadPool;
}

namespace pinsync::agent {

enum class PassMode { apply, dry_run };

// What happened to one row in a pass (report.h gives each its word).
enum class RowAction {
  created, updated, unchanged, invalid, removed, held, waiting, failed, dead,
  would_create, would_update, would_remove,  // a dry run (plan)
  forgotten,  // its deleted event was let go (resync --forget): nothing is sent for it
  unpublished, republished,          // on_removed: draft took the event down / brought it back
  would_unpublish, would_republish,  // …in a dry run (plan)
  // a row the state file had no record of whose event was found in Pinned Events (by the
  // event ID written back into its row, or by the same content) and taken as its own
  adopted,
};

// What happened to one row in this pass, for the operator.
struct RowOutcome {
  std::string row_ref;
  std::string source_id;
  RowAction action = RowAction::unchanged;
  std::optional<std::int64_t> event_id;
  std::string detail;  // the reason for invalid/failed/held/removed
  // A planned update (plan): the fields it changes, old -> new, when the store knows what the
  // event holds (written by pinsync since schema 8); empty otherwise.
  std::vector<FieldChange> changes{};
};

struct PassReport {
  std::string source;
  std::optional<Error> stopped;  // set when the source could not be synced at all
  std::vector<RowOutcome> rows;  // every approved or affected row, in source order
  int created = 0, updated = 0, unchanged = 0, invalid = 0, removed = 0, held = 0, failed = 0;
  int dead = 0;                     // rows that failed past the attempt limit
  // on_removed: draft: events taken down to draft (counted among `removed` too) and brought
  // back (counted among `updated` too)
  int unpublished = 0, republished = 0;
  int adopted = 0;  // rows new to the state file that took an existing event (RowAction::adopted)
  int api_requests = 0;
  int write_back_cells = 0;         // cells written back into the source
  std::string write_back_error;     // why write-back failed ("" when it did not)
  // Rows whose results were not written back because the source no longer tells them
  // apart (connectors::WriteBackReport::skipped), one sentence each.
  std::vector<std::string> write_back_skipped;
  std::string suspect;              // why the read looks wrong and removals were held ("" if not)
  bool key_refused = false;         // Pinned Events answered 401/403: the source is to be paused
  bool paused = false;              // the source is paused (this pass paused it, or it did not run)
  bool operator_pause = false;      // …by a person (pinsync pause): an intended stop, not a failure
  bool row_scoped = false;          // a resync of named rows: not a pass of the whole source
  std::vector<std::string> unknown_rows;  // IDs a resync named that the source and the store lack
  // A pass in recovery (PassContext::recovering) left a row it did not know unresolved (not
  // looked up, or more than one event fits it): the next pass still looks before creating.
  bool recovery_open = false;
  // Why the pass looked for the events of rows the store did not know before creating them
  // (or, in a dry run, why sync will): a lost, new or restored state file; "" when it did not.
  std::string recovering;

  // True when nothing is left invalid, failed, dead, suspect or stopped.
  bool clean() const { return !stopped && invalid == 0 && failed == 0 && dead == 0 && suspect.empty(); }
  // A success: the source was read and every valid row is in Pinned Events as it should
  // be. Invalid and held rows do not count against it (they are counted and alerted on
  // their own); failed or dead rows, a suspect read, a stop or a pause do.
  bool succeeded() const { return !stopped && !paused && failed == 0 && dead == 0 && suspect.empty(); }
};

// How the reason of a row whose take-down (on_removed: draft) Pinned Events refused with a
// 400 begins: no cell of the row can fix that (the request is {"status":"draft"}), so alerts
// and the page tell the operator to look at the event instead.
inline constexpr std::string_view k_take_down_refused = "Pinned Events refused to take event ";

// How a pass was asked for beyond its mode: by a resync, or stopped by the agent.
struct PassOptions {
  std::vector<std::string> only_rows;  // resync --row: writes only these source ids (empty: every row);
                                       // re-arms them when held, failed or dead
  bool rearm_dead = false;  // resync --dead: every dead row is re-armed (with its own key) and sent
  bool recreate_rows = false;  // resync --row … --recreate: those whose event was deleted get a new one
  bool forget_rows = false;    // resync --row … --forget: those whose event was deleted are let go
  bool force = false;    // resync --force: re-send unchanged rows whose event drifted (see run_pass)
  const std::atomic<bool>* cancel = nullptr;  // when it becomes true the pass stops between rows
  bool changes_only = false;  // read only rows changed since the last read, where the source can
  bool manual = false;        // a person asked (resync): queued rows go now, a paused source resumes
  bool accept_removals = false;  // resync --accept-removals: a suspect read's removals are accepted
  // sync/recover --accept-new-state: a source in recovery that cannot look for its events
  // (no events:read, no event-ID column) creates its unknown rows anyway — a person's word
  bool accept_new_state = false;
  bool recover = false;  // pinsync recover: look for existing events before every create, whatever the state says
};

struct PassContext {
  const SourceConfig& source;
  connectors::Connector& connector;
  PinnedClient& client;
  state::Store* store;          // null in dry run without a state file
  const KnownSlugs& known_slugs;
  Logger& log;
  Clock& clock;
  std::chrono::seconds idempotency_window{900};
  PassOptions options{};
  // The clients that send writes side by side (pinned.concurrency); empty: `client` alone.
  std::vector<PinnedClient*> senders{};
  // The retry queue across passes: attempts before a row is dead, and its backoff.
  RetryPolicy retry_queue{10, std::chrono::seconds(30), std::chrono::seconds(3600)};
  ProgressLine* progress = nullptr;  // counts the writes of the pass on a terminal, when given
  // Why the rows this pass would create may already have events (agent/sync/recovery.h), or
  // "": then every create is looked for in Pinned Events first (Executor).
  std::string recovering{};
  // The channels as a recovery first listed them, shared by the agent's sources; null: each
  // recovery lists its channel itself.
  ChannelSnapshots* snapshots = nullptr;
  // The threads that help the pass's own thread send through `senders`, shared by every pass
  // of the process (SessionWorld::helpers); null: the pass's thread sends alone.
  Poco::ThreadPool* helpers = nullptr;
};

}  // namespace pinsync::agent

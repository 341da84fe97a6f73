// One pass over one source: fetch, map, plan, then (unless dry run) write each change
// through the outbox and record its outcome. The pass never throws; a source-level
// problem (unreadable source, missing column, refused key) stops that source only.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/mapper.h"
#include "agent/pinned_client.h"
#include "agent/planner.h"
#include "connectors/connector.h"
#include "core/log.h"
#include "state/store.h"

namespace pinsync::agent {

enum class PassMode { apply, dry_run };

// What happened to one row in this pass, for the operator.
struct RowOutcome {
  std::string row_ref;
  std::string source_id;
  std::string action;  // created, updated, unchanged, invalid, removed, held, failed, would-create…
  std::optional<std::int64_t> event_id;
  std::string detail;  // the reason for invalid/failed/held/removed
};

struct PassReport {
  std::string source;
  std::optional<Error> stopped;  // set when the source could not be synced at all
  std::vector<RowOutcome> rows;  // every approved or affected row, in source order
  int created = 0, updated = 0, unchanged = 0, invalid = 0, removed = 0, held = 0, failed = 0;
  int api_requests = 0;
  int write_back_cells = 0;         // cells written back into the source
  std::string write_back_error;     // why write-back failed ("" when it did not)

  // True when nothing is left invalid, failed or stopped.
  bool clean() const { return !stopped && invalid == 0 && failed == 0; }
};

// How a pass was asked for beyond its mode: by a resync, or stopped by the agent.
struct PassOptions {
  std::string only_row;  // resync --row: writes only this source id ("" = every row); re-arms it when held
  bool force = false;    // resync --force: re-send unchanged rows whose event drifted (see run_pass)
  const std::atomic<bool>* cancel = nullptr;  // when it becomes true the pass stops between rows
  bool changes_only = false;  // read only rows changed since the last read, where the source can
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
};

// Runs one pass. In dry_run mode nothing is written to the store or the API. With
// options.only_row the pass writes only that row (a needs_review/gone row is first set
// back to failed so it is planned again); with options.force each unchanged row is
// re-sent as an update when its event, read back, differs from the row's payload (or
// always, when the key may not read events). A cancelled pass reports stopped.
PassReport run_pass(const PassContext& ctx, PassMode mode, std::string_view trigger);

}  // namespace pinsync::agent

// The local SQLite store: which source row became which event, the outbox of write
// requests committed before they are sent, the run log and the audit of every write.
// Every method runs in one transaction and either commits all of its change or none.
// Nothing throws: SQLite errors come back as Error{internal} naming the state file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace pinsync::state {

enum class RowState {
  synced,        // the event exists and equals the row's payload (payload_hash)
  pending,       // a write is in the outbox, outcome not yet known
  invalid,       // the row cannot be sent as it is (mapping error or API 400)
  failed,        // retries within the pass ran out (429/5xx/timeout); retried next pass
  removed,       // no longer approved or gone from the source; the event is kept
  needs_review,  // a create in doubt that cannot be resolved automatically
  gone,          // the event was deleted in Pinned Events (404 on update)
};
std::string_view to_string(RowState s);
std::optional<RowState> row_state_from_string(std::string_view s);

struct RowRecord {
  std::string source;
  std::string source_id;
  std::string row_ref;                  // where the row was last seen
  std::optional<std::int64_t> event_id; // set once a create succeeded
  std::string payload_hash;             // hash of the payload the event now holds ("" if none)
  RowState state = RowState::pending;
  std::string error_field;              // for invalid/failed: which field or column
  std::string error_value;              // the offending cell value (bounded, may be "")
  std::string error_reason;             // plain words
  std::string last_request_id;
  int attempts = 0;
  std::int64_t created_at = 0;          // unix seconds
  std::int64_t updated_at = 0;
};

enum class WriteAction { create, update };
std::string_view to_string(WriteAction a);

// A write request saved before it is sent; a retry resends exactly this.
struct OutboxEntry {
  std::string source;
  std::string source_id;
  std::string row_ref;
  WriteAction action = WriteAction::create;
  std::optional<std::int64_t> event_id;  // for updates
  std::string idempotency_key;
  std::string body;          // exact request body
  std::string payload_hash;  // hash of the payload in body
  std::int64_t created_at = 0;
  int attempts = 0;
};

// The outcome of one sent request, recorded with the row and in the audit table.
struct WriteOutcome {
  long http_status = 0;             // 0 when no response arrived
  std::string request_id;
  std::optional<std::int64_t> event_id;
};

struct RunRecord {
  std::int64_t id = 0;
  std::string source;
  std::string trigger;  // "cli", "schedule", "resync", …
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;  // 0 while running
  int created = 0, updated = 0, unchanged = 0, invalid = 0, removed = 0, failed = 0;
  int api_requests = 0;
  std::string result;  // "ok", "rows_failed", "stopped: <reason>"
};

struct AuditRecord {
  std::string source, source_id, row_ref;
  WriteAction action = WriteAction::create;
  std::string idempotency_key;
  long http_status = 0;
  std::string request_id;
  std::optional<std::int64_t> event_id;
  std::int64_t at = 0;
};

class Store {
 public:
  // Opens or creates the store at `path` (mode 0600, WAL, synchronous=FULL), applying
  // schema migrations in order. Returns an error naming the file when it cannot be
  // opened, is not a pinsync store, or comes from a newer pinsync.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, const Clock& clock);

  virtual ~Store() = default;

  // Schema version after migrations (1 for the first schema).
  virtual int schema_version() const = 0;

  // All rows of one source, ordered by source_id.
  virtual Result<std::vector<RowRecord>> rows(std::string_view source) = 0;
  // All rows of every source, ordered by source then source_id.
  virtual Result<std::vector<RowRecord>> all_rows() = 0;
  virtual Result<std::optional<RowRecord>> row(std::string_view source, std::string_view source_id) = 0;

  // Saves `entry` (replacing any earlier entry of the same row) and marks the row
  // pending with row_ref, creating the row if new. Committed before returning: call
  // it before the request is sent.
  virtual Result<void> put_outbox(const OutboxEntry& entry) = 0;
  virtual Result<std::optional<OutboxEntry>> outbox(std::string_view source, std::string_view source_id) = 0;
  // Every outbox entry of a source (writes whose outcome was never recorded).
  virtual Result<std::vector<OutboxEntry>> outbox_entries(std::string_view source) = 0;
  // Counts one more attempt of the outbox entry.
  virtual Result<void> count_attempt(std::string_view source, std::string_view source_id) = 0;

  // The outbox entry succeeded: removes it, sets the row synced with the entry's
  // payload_hash and the event id, clears its error, appends an audit record.
  virtual Result<void> record_success(const OutboxEntry& entry, const WriteOutcome& outcome) = 0;
  // The outbox entry failed for good (400, 404, 401/403 …) or for this pass: removes
  // the entry unless `keep_outbox`, sets the row to `state` with the error, appends an
  // audit record. The row keeps its event id and payload_hash (the event's content).
  virtual Result<void> record_failure(const OutboxEntry& entry, const WriteOutcome& outcome,
                                      RowState state, std::string_view field,
                                      std::string_view reason, bool keep_outbox) = 0;

  // Sets a row (created if new) to invalid/removed/needs_review… with the error
  // fields, without touching event id, payload_hash or the outbox.
  virtual Result<void> set_row_state(std::string_view source, std::string_view source_id,
                                     std::string_view row_ref, RowState state,
                                     std::string_view field, std::string_view value,
                                     std::string_view reason) = 0;

  // Deletes every row, outbox entry and audit record of a source that no longer exists.
  virtual Result<void> forget_source(std::string_view source) = 0;

  virtual Result<std::int64_t> begin_run(std::string_view source, std::string_view trigger) = 0;
  virtual Result<void> finish_run(const RunRecord& run) = 0;
  // Most recent runs first, at most `limit`; all sources when `source` is empty.
  virtual Result<std::vector<RunRecord>> recent_runs(std::string_view source, int limit) = 0;
  // Audit records of one row, oldest first.
  virtual Result<std::vector<AuditRecord>> audit(std::string_view source, std::string_view source_id) = 0;
};

}  // namespace pinsync::state

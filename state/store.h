// The local SQLite store: which source row became which event, the outbox of write
// requests committed before they are sent, the run log and the audit of every write.
// Every method runs in one transaction and either commits all of its change or none.
// Nothing throws: SQLite errors come back as Error{internal} naming the state file.
// A Store may be shared by threads: its calls are serialized.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/block_arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/hash.h"

namespace pinsync::state {

// The fact (Store::fact) that says whether a source's rows may be behind Pinned Events: the
// value "backup <unix seconds>" in a copy made by backup_to, "settled" once a pass looked for
// the events of the rows the store did not know. agent/sync/recovery.h reads it.
inline constexpr std::string_view k_recovery_fact = "pinsync.recovery";

enum class RowState {
  synced,        // the event exists and equals the row's payload (payload_hash)
  pending,       // a write is in the outbox, outcome not yet known
  invalid,       // the row cannot be sent as it is (mapping error or API 400)
  failed,        // a send failed (429/5xx/timeout…); in the retry queue until next_attempt_at
  removed,       // no longer approved or gone from the source; the event is kept
  needs_review,  // a create in doubt that cannot be resolved automatically
  gone,          // the event was deleted in Pinned Events (404 on update)
  dead,          // failed past the attempt limit; waits for an edit or resync --row
  forgotten,     // gone, and a person let the event go (resync --forget): nothing is sent
                 // for the row until resync --row … --recreate
};
// Every state, in the order reports list them.
inline constexpr RowState k_row_states[] = {RowState::synced,  RowState::pending,      RowState::invalid,
                                            RowState::failed,  RowState::removed,      RowState::needs_review,
                                            RowState::gone,    RowState::dead,         RowState::forgotten};
// True for the states a person may have to look at: invalid, failed, dead, needs_review, gone
// (not forgotten: a person already decided).
constexpr bool needs_attention(RowState s) {
  return s == RowState::invalid || s == RowState::failed || s == RowState::dead || s == RowState::needs_review ||
         s == RowState::gone;
}
// The state's name as stored and shown ("synced", "needs_review", …).
std::string_view to_string(RowState s);
// The state named `s`, or nullopt for any other text.
std::optional<RowState> row_state_from_string(std::string_view s);

// A row with no identity yet (an approved row without an ID) is stored under a key made
// from where it was seen, until it has one: placeholder_id("Sheet1!A7") is "@Sheet1!A7".
// Such a key never names a row of the source (write-back cannot find it by that key).
std::string placeholder_id(std::string_view row_ref);
// True for a key placeholder_id() made.
bool is_placeholder_id(std::string_view source_id);

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
  std::string last_request_id;          // requestId of the last answer that carried one
  int attempts = 0;                     // failed sends of attempted_hash since the last success
  std::int64_t created_at = 0;          // unix seconds
  std::int64_t updated_at = 0;
  std::string attempted_hash;           // payload hash of the last failed send ("" after a success);
                                        // forgotten: of the row as it was when it was forgotten
  std::int64_t next_attempt_at = 0;     // failed: not sent again before this (unix seconds)
  // What the event held after pinsync's last successful write (Outcome::shown):
  // what was lost when it is deleted in Pinned Events. "" when unknown (never written, or
  // written before schema version 6).
  std::string event_title;
  std::string event_start;
  // The status the event held after pinsync's last successful write: "published", "draft",
  // "unpublished" (a draft because pinsync took it down: on_removed: draft), or "" when
  // unknown (never written, or written before schema version 7).
  std::string event_status;
};

// What a pass needs of a stored row to see that the row, read again, is unchanged —
// without its whole record: a no-change pass over a large source holds only these. The
// text points into the RowDigests that holds the digest.
struct RowDigest {
  std::string_view source_id;
  std::string_view row_ref;
  std::string_view payload_hash;  // as RowRecord's
  std::optional<std::int64_t> event_id;
  RowState state = RowState::pending;
  std::int64_t next_attempt_at = 0;  // as RowRecord's
  // What set_cells_tokens stored: a digest of the cells the row was last read with that
  // says they map to payload_hash (the mapper's cells_token); absent when none was stored.
  std::optional<Digest128> cells_token;
};

// The digests of one source's rows and the text they point into, in a BlockArena: at 100k
// rows, an allocation per ID and place, a vector's regrowth and the page faults of both cost
// more than reading the rows. Moving it keeps every digest and its text where they are.
class RowDigests {
 public:
  RowDigests();
  // A new digest at the end, its text empty.
  RowDigest& add();
  // A copy of `text` that lives as long as this object.
  std::string_view keep(std::string_view text);
  std::size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  const RowDigest& operator[](std::size_t i) const { return m_chunks[i / k_chunk][i % k_chunk]; }

 private:
  static constexpr std::size_t k_chunk = 4096;
  std::unique_ptr<BlockArena> m_arena;
  std::vector<RowDigest*> m_chunks;
  std::size_t m_size = 0;
};

// How a write reaches the disk. `flushed`: on disk when the call returns — a row's state and
// the outbox, which a power cut must not take. `cached`: in the state file at once (a crash
// of pinsync loses nothing) but on disk only with the next flushed write, so a power cut may
// take it — for what only saves work while kept (a cells token, what a connector learned, a
// finished recovery: lost, the next pass does that work again). At hundreds of sources a
// minute, a disk flush per such write was a good part of the agent's CPU.
enum class Durability { flushed, cached };

// One row's cells token for set_cells_tokens.
struct CellsToken {
  std::string source_id;
  Digest128 token{};
};

enum class WriteAction { create, update };
// "create" or "update".
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
  std::int64_t created_at = 0;  // unix seconds of the first put of this request
};

// The outcome of one sent request, recorded with the row and in the audit table.
struct WriteOutcome {
  long http_status = 0;             // 0 when no response arrived
  std::string request_id;
  std::optional<std::int64_t> event_id;
};

// What an event holds after a successful write, as an operator recognises it.
struct EventShown {
  std::string title;  // the body's title
  std::string start;  // the body's startAt, as sent
  std::string status{};  // "published", "draft", "unpublished" (see RowRecord::event_status); "" keeps the row's
};

struct RunRecord {
  std::int64_t id = 0;
  std::string source;
  std::string trigger;  // "cli", "schedule", "resync", …
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;  // 0 while running
  int created = 0, updated = 0, unchanged = 0, invalid = 0, removed = 0, failed = 0;
  int held = 0, dead = 0;
  int unpublished = 0, republished = 0, adopted = 0;  // schema 8; 0 in older records
  int api_requests = 0;
  std::string result;  // one word: "ok", "rows_not_synced", "suspect", "paused", "stopped"
  std::string detail;  // the reason behind a stopped, paused or suspect result ("" otherwise)
};

struct AuditRecord {
  std::string source, source_id, row_ref;
  WriteAction action = WriteAction::create;
  std::string idempotency_key;
  long http_status = 0;
  std::string request_id;
  std::optional<std::int64_t> event_id;
  std::int64_t at = 0;
  // A success: the top-level fields of the event it changed, sorted, ", "-joined ("" for a
  // first create, or a write made before pinsync kept what events hold).
  std::string fields;
};

// How a sent request failed, for record_outcomes.
struct Failure {
  RowState state = RowState::failed;  // failed, dead, invalid, gone, needs_review…
  std::string field;                   // which field (400), else ""
  std::string reason;                  // plain words
  bool keep_outbox = false;            // the same request must be resent (a create in doubt)
  int attempts = 1;                    // the row's failed sends of this payload, this one included
  std::int64_t next_attempt_at = 0;    // failed: the retry queue's earliest next send (unix s)
};

// One sent request and how it ended, for record_outcomes.
struct Outcome {
  OutboxEntry entry;
  WriteOutcome outcome;
  std::optional<Failure> failure;  // nullopt: it succeeded
  EventShown shown;                // a success: kept with the row (RowRecord::event_title/start/status)
  RowState after = RowState::synced;  // a success: the row's state (removed for an unpublish)
};

// How much history the store keeps per source (see finish_run).
inline constexpr std::chrono::days k_history_age{90};
inline constexpr int k_history_runs = 10'000;

// Who paused a source.
enum class PausedBy {
  pinsync,   // Pinned Events refused the key (401/403); a manual resync or a changed key ends it
  operator_, // a person, with `pinsync pause`; only `pinsync resume` ends it
};
// "pinsync", "operator".
std::string_view to_string(PausedBy by);

// Why a source is paused: set by pinsync when Pinned Events answers 401/403 (cleared by a
// manual resync or when the fingerprint of the key and channel changes), or by a person.
struct SourcePause {
  std::string reason;
  std::string fingerprint;  // a hash of what the refusal depended on (key, URL, channel); "" for a person's
  std::int64_t since = 0;   // unix seconds
  PausedBy by = PausedBy::pinsync;
};

// One row's new state for set_row_states.
struct RowStateUpdate {
  std::string source;
  std::string source_id;
  std::string row_ref;
  RowState state = RowState::invalid;
  std::string field;
  std::string value;
  std::string reason;
};

struct StoreOptions {
  // How long a write waits for another process's lock before it fails with
  // "database is locked".
  std::chrono::milliseconds busy_timeout{5000};
  // The caller holds the state lock for as long as the store is open (state/lock.h): no
  // other process writes the file, so the pauses and facts a pass reads each time are kept
  // in memory once read (every change to them goes through this store). Without the lock
  // (a command that only reads) each read asks the file.
  bool sole_writer = false;
};

class Store {
 public:
  // Opens or creates the store at `path` (mode 0600, WAL, synchronous=FULL), applying
  // schema migrations in order. Returns an error naming the file when it cannot be
  // opened, is not a pinsync store, or comes from a newer pinsync. The folder must
  // exist. `clock` must outlive the store.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, const Clock& clock);
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, const Clock& clock,
                                             const StoreOptions& options);

  virtual ~Store() = default;

  // Checks that the file at the store's path is still the one it opened. Returns
  // Error{internal} saying so when it was deleted, moved away or replaced (a restore over
  // a running agent): everything written from then on would be lost with the process.
  virtual Result<void> check_file() const = 0;

  // All rows of one source, ordered by source_id (bytewise); empty if none.
  virtual Result<std::vector<RowRecord>> rows(std::string_view source) = 0;
  // The digest of every row of one source, in no particular order; empty if none.
  virtual Result<RowDigests> row_digests(std::string_view source) = 0;
  // The rows of one source whose source_id `wanted` accepts, ordered by source_id; the
  // others are not read past their id.
  virtual Result<std::vector<RowRecord>> rows_where(std::string_view source,
                                                    const std::function<bool(std::string_view)>& wanted) = 0;
  // The row, or nullopt when the store has never seen it.
  virtual Result<std::optional<RowRecord>> row(std::string_view source, std::string_view source_id) = 0;
  // Every row (of any source) whose event is `event_id`, ordered by source then source_id;
  // empty when no row owns it.
  virtual Result<std::vector<RowRecord>> rows_with_event(std::int64_t event_id) = 0;

  // Saves each entry (replacing any earlier entry of the same row) and marks its row
  // pending with row_ref, creating the row if new; an existing row keeps its event_id,
  // payload_hash and error fields. All entries in one transaction (all or none),
  // committed before returning: call it before the requests are sent (the group commit
  // of a batch). created_at is the clock's now, and entry.created_at is ignored, except
  // that putting again the same request (same idempotency_key and payload_hash) keeps
  // the first created_at, so the idempotency window is measured from the first send.
  virtual Result<void> put_outboxes(std::span<const OutboxEntry> entries) = 0;
  // Every outbox entry of a source (writes whose outcome was never recorded), oldest
  // first (created_at, then source_id); empty if none.
  virtual Result<std::vector<OutboxEntry>> outbox_entries(std::string_view source) = 0;

  // Records how each sent request ended, in order, in one transaction (all or none): the
  // group commit after a batch of requests came back.
  // - An outcome without a failure succeeded: its outbox entry is removed, the row is
  //   `after` (synced, or removed for an unpublish) with the entry's payload_hash and the
  //   event id (outcome.event_id, else entry.event_id, else the row's), its error and retry fields are cleared (attempts
  //   = 0, attempted_hash = "", next_attempt_at = 0), last_request_id =
  //   outcome.request_id (kept when that is empty). A row missing from the store is
  //   created; row_ref is kept (it is set where rows are seen). event_title/start are
  //   taken from `shown` unless both are "", event_status unless it is "".
  // - An outcome with a failure (400, 404, 401/403, or 429/5xx/timeout after the call's
  //   own retries): the entry is removed unless failure.keep_outbox, the row takes
  //   failure.state with its field and reason (error_value = ""), attempts,
  //   next_attempt_at, attempted_hash = entry.payload_hash and last_request_id (kept
  //   when empty). The row keeps its event id and payload_hash (the event's content);
  //   outcome.event_id is taken only when the row has no event id yet.
  // Either way an audit record is appended, and the outbox entry is touched only if it is
  // still this request (same idempotency_key and payload_hash): when a newer one was put
  // meanwhile it stays, and a success leaves the row pending.
  virtual Result<void> record_outcomes(std::span<const Outcome> outcomes) = 0;

  // Puts a failed, dead, invalid, gone or needs_review row back in the queue as failed
  // with attempts = 0, next_attempt_at = 0 and attempted_hash = "" (so it is planned and
  // sent again), reason "re-armed by resync". Returns Error{internal} when the store has
  // no such row.
  virtual Result<void> rearm(std::string_view source, std::string_view source_id) = 0;

  // A person let a deleted event go (resync --forget): the row, which must be gone, becomes
  // forgotten with `reason` and attempted_hash = `seen_hash` (the row's payload hash as the
  // person saw it; "" when it is not in the source), attempts = 0, next_attempt_at = 0; its
  // event id, payload_hash, event_title and event_start are kept. Returns Error{invalid}
  // naming the row and its state when it is not gone, Error{not_found} when the store has
  // no such row; nothing changes then.
  virtual Result<void> forget_row(std::string_view source, std::string_view source_id, std::string_view seen_hash,
                                  std::string_view reason) = 0;

  // The source's pause, or nullopt when it is not paused.
  virtual Result<std::optional<SourcePause>> pause(std::string_view source) = 0;
  // Pauses the source (replacing an earlier pause); since = the clock's now.
  virtual Result<void> set_pause(std::string_view source, std::string_view reason, std::string_view fingerprint,
                                 PausedBy by) = 0;
  // Ends the source's pause; succeeds also when it was not paused.
  virtual Result<void> clear_pause(std::string_view source) = 0;

  // A fact a connector keeps about its source between passes (connectors::SourceMemory),
  // by key: its value, or nullopt when none was set.
  virtual Result<std::optional<std::string>> fact(std::string_view source, std::string_view key) = 0;
  // Sets the fact `key` of `source` to `value` (replacing an earlier value), flushed to disk
  // as `durability` says.
  virtual Result<void> set_fact(std::string_view source, std::string_view key, std::string_view value,
                                Durability durability = Durability::flushed) = 0;

  // Sets each row (created if new) to invalid/removed/needs_review… with its error
  // fields, without touching event id, payload_hash or the outbox; the retry fields are
  // reset (attempts = 0, attempted_hash = "", next_attempt_at = 0): a state set without a
  // request ends the row's place in the retry queue. An empty row_ref keeps the row's
  // current one; `value` is cut to 256 bytes (at a UTF-8 character boundary). All rows in
  // one transaction (all or none): one fsync for a pass that marks thousands of rows.
  virtual Result<void> set_row_states(std::span<const RowStateUpdate> updates) = 0;
  // Stores each row's cells token (RowDigest::cells_token) and nothing else; a row the store
  // does not have is skipped. All in one transaction, Durability::cached: a token only saves
  // mapping a row again.
  virtual Result<void> set_cells_tokens(std::string_view source, std::span<const CellsToken> tokens) = 0;

  // Writes a consistent copy of the whole store to `file` (SQLite's VACUUM INTO: one read
  // transaction, so a running agent's writes are either wholly in it or not at all), made
  // private (0600) from its first byte, then checks the copy. `file` must not exist (a
  // backup never overwrites). The copy marks every source that has rows with the fact
  // k_recovery_fact = "backup <unix seconds>": should it ever be put back as the state file,
  // each source's rows created after the copy are unknown to it, and its next pass looks for
  // their events before creating (agent/sync/recovery.h). The live file is never marked.
  // Returns the number of rows copied; Error{invalid} for an existing file,
  // Error{internal} when the copy cannot be written or does not check out (it is removed).
  virtual Result<std::int64_t> backup_to(const std::filesystem::path& file) = 0;

  // Deletes every row, outbox entry, audit record, pause and fact of a source that no longer
  // exists (its run log is kept). Succeeds also when the source has nothing stored.
  virtual Result<void> forget_source(std::string_view source) = 0;

  // Starts a run log entry (started_at = now, finished_at = 0) and returns its id.
  virtual Result<std::int64_t> begin_run(std::string_view source, std::string_view trigger) = 0;
  // Stores run.id's counts, api_requests and result with finished_at = now (the clock's;
  // run.finished_at, source, trigger and started_at are ignored), and in the same
  // transaction keeps the source's history bounded: runs older than k_history_age or
  // beyond the newest k_history_runs, and change-log (audit) entries older than
  // k_history_age, are deleted — on the source's first finished run since the store was
  // opened and then at most once an hour (by the clock), so between two prunes an hour's
  // runs may stand beyond the bound. The run log's commits skip the disk flush (a power cut
  // may lose the newest run records; rows and outbox are flushed as always). Returns
  // Error{internal} when no run has that id.
  virtual Result<void> finish_run(const RunRecord& run) = 0;
  // Logs a whole run in one write, as begin_run at run.started_at then finish_run would (the
  // source, trigger and started_at are taken from `run`; its id is ignored): a pass that
  // changed nothing needs no record of its start.
  virtual Result<void> log_run(const RunRecord& run) = 0;
  // Most recent runs first, at most `limit` (nothing when limit <= 0); all sources when
  // `source` is empty.
  virtual Result<std::vector<RunRecord>> recent_runs(std::string_view source, int limit) = 0;
  // Audit records of one row, oldest first; empty if none.
  virtual Result<std::vector<AuditRecord>> audit(std::string_view source, std::string_view source_id) = 0;
  // What the row's event holds as pinsync last wrote it (JSON), or nullopt when not known
  // (no successful write yet, or all of them before schema 8).
  virtual Result<std::optional<std::string>> row_payload(std::string_view source, std::string_view source_id) = 0;
};

}  // namespace pinsync::state

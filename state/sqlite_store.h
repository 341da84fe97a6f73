// The Store on one SQLite connection (SQLiteCpp): prepared statements kept for the life
// of the store, one IMMEDIATE transaction per write method, calls serialized by a mutex.
// Internal to state/; Store::open builds it after the file is checked and migrated.
#pragma once

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <sys/types.h>

#include <filesystem>

#include "state/sqlite_util.h"
#include "state/store.h"

namespace pinsync::state {

class SqliteStore final : public Store {
 public:
  // The identity of the file the store opened, to notice it being deleted or replaced.
  struct FileIdentity {
    std::filesystem::path path;
    dev_t device = 0;
    ino_t inode = 0;
  };

  // `label` is "state file /path", the start of every error message.
  // `sole_writer`: StoreOptions::sole_writer.
  SqliteStore(std::unique_ptr<SQLite::Database> db, std::string label, const Clock& clock,
              FileIdentity file, bool sole_writer = false);

  Result<void> check_file() const override;

  Result<std::vector<RowRecord>> rows(std::string_view source) override;
  Result<RowDigests> row_digests(std::string_view source) override;
  Result<std::vector<RowRecord>> rows_where(std::string_view source,
                                            const std::function<bool(std::string_view)>& wanted) override;
  Result<std::optional<RowRecord>> row(std::string_view source, std::string_view source_id) override;
  Result<std::vector<RowRecord>> rows_with_event(std::int64_t event_id) override;

  Result<void> put_outboxes(std::span<const OutboxEntry> entries) override;
  Result<std::vector<OutboxEntry>> outbox_entries(std::string_view source) override;

  Result<void> record_outcomes(std::span<const Outcome> outcomes) override;
  Result<void> rearm(std::string_view source, std::string_view source_id) override;
  Result<void> forget_row(std::string_view source, std::string_view source_id, std::string_view seen_hash,
                          std::string_view reason) override;

  Result<std::optional<SourcePause>> pause(std::string_view source) override;
  Result<void> set_pause(std::string_view source, std::string_view reason, std::string_view fingerprint,
                         PausedBy by) override;
  Result<void> clear_pause(std::string_view source) override;

  Result<std::optional<std::string>> fact(std::string_view source, std::string_view key) override;
  Result<void> set_fact(std::string_view source, std::string_view key, std::string_view value,
                        Durability durability = Durability::flushed) override;

  Result<void> set_row_states(std::span<const RowStateUpdate> updates) override;
  Result<void> set_cells_tokens(std::string_view source, std::span<const CellsToken> tokens) override;

  Result<std::int64_t> backup_to(const std::filesystem::path& file) override;
  Result<void> forget_source(std::string_view source) override;

  Result<std::int64_t> begin_run(std::string_view source, std::string_view trigger) override;
  Result<void> finish_run(const RunRecord& run) override;
  Result<void> log_run(const RunRecord& run) override;
  Result<std::vector<RunRecord>> recent_runs(std::string_view source, int limit) override;
  Result<std::vector<AuditRecord>> audit(std::string_view source, std::string_view source_id) override;
  Result<std::optional<std::string>> row_payload(std::string_view source, std::string_view source_id) override;

 private:
  // The statement for `sql`, prepared on first use. `sql` must be one of the k_ constants
  // of sqlite_store.cpp: the cache is keyed by its address.
  SQLite::Statement& prepared(const char* sql);
  // BEGIN IMMEDIATE … COMMIT through cached statements, rolled back unless committed; every
  // write of the store is made in one, which says how its commit reaches the disk.
  class WriteTransaction;
  // Sets the connection's synchronous level for the next commits: FULL (each commit is
  // flushed to disk) for Durability::flushed, NORMAL (in the WAL at once, on disk with the
  // next flushed commit or checkpoint) for cached — only when it changes: SQLite prepares the
  // pragma anew each time it runs, and an idle agent's passes, whose only writes are cached
  // run-log entries, switched twice per pass.
  void use_sync(Durability durability);
  // Inside a write transaction: a new run of `source` begun at `started_at`, its id.
  std::int64_t insert_run(std::string_view source, std::string_view trigger, std::int64_t started_at);
  // Binds what a run's end records to k_finish_run's or k_insert_whole_run's numbers.
  void bind_run_end(SQLite::Statement& q, const RunRecord& run);
  // Inside a write transaction: finish_run's writes (the counts, then the history's pruning).
  Result<void> end_run(const RunRecord& run);
  // Inside a write transaction: drops `source`'s runs and change log beyond the history
  // kept, at most once an hour per source; `run_id` is a run of it that just ended.
  void prune_history(const std::string& source, std::int64_t run_id);

  // Runs `body` under the mutex; any exception becomes sqlite_failure(label, doing).
  template <typename F>
  auto guarded(std::string_view doing, F&& body) -> decltype(body()) {
    try {
      std::lock_guard lock(m_mutex);
      return body();
    } catch (const std::exception& e) {
      return std::unexpected(sqlite_failure(m_label, doing, e));
    }
  }

  Result<void> upsert_row_state(std::string_view source, std::string_view source_id,
                                std::string_view row_ref, RowState state, std::string_view field,
                                std::string_view value, std::string_view reason, std::int64_t now);
  void append_audit(const OutboxEntry& entry, const WriteOutcome& outcome, std::int64_t now,
                    std::string_view fields = "");
  // After a successful write: keeps what the row's event now holds (row_payloads: the body,
  // or an update merged into what it held) and returns the top-level fields that changed
  // ("" when what it held was not known).
  std::string keep_payload(const OutboxEntry& entry);
  void put_one_outbox(const OutboxEntry& entry, std::int64_t now);
  void record_one_outcome(const Outcome& outcome, std::int64_t now);
  void delete_outbox_if_same(const OutboxEntry& entry);
  Error corrupt(std::string_view what) const;
  std::int64_t now() const;

  std::mutex m_mutex;
  std::unique_ptr<SQLite::Database> m_db;
  std::string m_label;
  FileIdentity m_file;
  const Clock& m_clock;
  // Declared after m_db so the statements are finalized before the connection closes.
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> m_statements;
  // row_digests' statement, used raw (sqlite3_step and sqlite3_column_*): at 100k rows,
  // SQLiteCpp's per-column objects cost more than the reading.
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> m_digests{nullptr, &sqlite3_finalize};
  // StoreOptions::sole_writer: the pauses and facts as last read (absent: not read since
  // opened or since a write of them, which drops the entry). An agent polling hundreds of
  // sources read both on every pass.
  bool m_sole_writer = false;
  bool m_sync_full = true;  // the connection's synchronous level: the store opens it FULL
  std::map<std::string, std::optional<SourcePause>, std::less<>> m_pauses;
  std::map<std::string, std::map<std::string, std::optional<std::string>, std::less<>>, std::less<>> m_facts;
  // Drops what m_pauses and m_facts keep of `source` (`key` alone when given).
  void forget_cached(std::string_view source, std::optional<std::string_view> key = std::nullopt);
};

}  // namespace pinsync::state

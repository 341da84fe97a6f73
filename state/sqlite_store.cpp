#include "state/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

#include "state/queries.h"

namespace pinsync::state {

namespace {

// Longer cell values are cut so one pasted document cannot bloat the store or a report.
constexpr std::size_t k_max_error_value_bytes = 256;

// A cached statement must be reset after use even when an exception leaves the scope,
// or it would keep a read transaction open and stall WAL checkpoints.
class ResetOnExit {
 public:
  explicit ResetOnExit(SQLite::Statement& query) : m_query(query) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() { m_query.tryReset(); }

 private:
  SQLite::Statement& m_query;
};

// SQLite copies the text (SQLITE_TRANSIENT) as TEXT, not BLOB, so comparisons with
// stored TEXT columns hold.
void bind_text(SQLite::Statement& q, int index, std::string_view value) {
  q.bind(index, std::string(value));
}

void bind_optional(SQLite::Statement& q, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    q.bind(index, static_cast<std::int64_t>(*value));
  } else {
    q.bind(index);
  }
}

// A text column's bytes, valid until the statement steps again ("" for NULL). SQLite
// wants the pointer asked for before the size.
std::string_view text_of(const SQLite::Column& column) {
  const auto* data = static_cast<const char*>(column.getBlob());
  const auto size = static_cast<std::size_t>(column.getBytes());
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

// How often finish_run prunes a source's history (seconds).
constexpr std::int64_t k_prune_every_seconds = 3600;
// The source fact that holds when its history was last pruned (unix seconds).
constexpr std::string_view k_pruned_at_fact = "pinsync.pruned_at";

// Runs a prepared SELECT and reads every result with `read`; the first unreadable
// record ends it with that error.
template <typename T, typename Read>
Result<std::vector<T>> read_all(SQLite::Statement& q, Read read, std::size_t expected = 0) {
  std::vector<T> out;
  out.reserve(expected);
  while (q.executeStep()) {
    auto record = read(q);
    if (!record) return std::unexpected(record.error());
    out.push_back(std::move(*record));
  }
  return out;
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<SQLite::Database> db, std::string label,
                         const Clock& clock, FileIdentity file, bool sole_writer)
    : m_db(std::move(db)), m_label(std::move(label)), m_file(std::move(file)), m_clock(clock),
      m_sole_writer(sole_writer) {}

void SqliteStore::forget_cached(std::string_view source, std::optional<std::string_view> key) {
  if (!key) {
    if (const auto it = m_pauses.find(source); it != m_pauses.end()) m_pauses.erase(it);
  }
  const auto of = m_facts.find(source);
  if (of == m_facts.end()) return;
  if (!key) {
    m_facts.erase(of);
  } else if (const auto it = of->second.find(*key); it != of->second.end()) {
    of->second.erase(it);
  }
}

Result<void> SqliteStore::check_file() const {
  const std::string fix = " — everything pinsync writes now is lost when it stops: stop pinsync, put the state "
                          "file back (from pinsync backup) or move the new one away, then start it again";
  struct stat info {};
  if (::stat(m_file.path.c_str(), &info) != 0) {
    return fail(ErrorKind::internal, m_label + " was deleted or moved away while pinsync was running" + fix);
  }
  if (info.st_dev != m_file.device || info.st_ino != m_file.inode) {
    return fail(ErrorKind::internal, m_label + " was replaced by another file while pinsync was running" + fix);
  }
  return {};
}

// SQLiteCpp's Transaction parses "BEGIN" and "COMMIT" anew each time: a pass writes twice
// to the run log, and that parsing showed in the profile of an agent polling many sources.
class SqliteStore::WriteTransaction {
 public:
  // The commit reaches the disk as `durability` says (use_sync).
  WriteTransaction(SqliteStore& store, Durability durability) : m_store(store) {
    store.use_sync(durability);
    auto& begin = store.prepared(k_begin_immediate);
    ResetOnExit reset(begin);
    begin.exec();
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction() {
    if (m_done) return;
    try {
      auto& rollback = m_store.prepared(k_rollback);
      ResetOnExit reset(rollback);
      rollback.exec();
    } catch (...) {
      // Nothing to report from a destructor: the error that left the scope is reported.
    }
  }
  void commit() {
    auto& commit = m_store.prepared(k_commit);
    ResetOnExit reset(commit);
    commit.exec();
    m_done = true;
  }

 private:
  SqliteStore& m_store;
  bool m_done = false;
};

void SqliteStore::use_sync(Durability durability) {
  const bool full = durability == Durability::flushed;
  if (m_sync_full == full) return;
  auto& pragma = prepared(full ? k_sync_full : k_sync_normal);
  ResetOnExit reset(pragma);
  pragma.exec();
  m_sync_full = full;
}

SQLite::Statement& SqliteStore::prepared(const char* sql) {
  auto& slot = m_statements[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(*m_db, sql);
  return *slot;
}

std::int64_t SqliteStore::now() const {
  return unix_seconds(m_clock);
}

Error SqliteStore::corrupt(std::string_view what) const {
  return Error{ErrorKind::internal, m_label + ": " + std::string(what) +
                                        " — the file was changed outside pinsync; restore it "
                                        "from a backup or move it away"};
}

Result<std::vector<RowRecord>> SqliteStore::rows(std::string_view source) {
  return guarded("cannot read the rows of " + std::string(source),
                 [&]() -> Result<std::vector<RowRecord>> {
                   // Sized up front: growing a vector of 100k records would hold the old
                   // and the new array at once, at the pass's peak of memory.
                   auto& count = prepared(k_count_rows_of_source);
                   std::size_t expected = 0;
                   {
                     ResetOnExit reset_count(count);
                     bind_text(count, 1, source);
                     if (count.executeStep()) expected = static_cast<std::size_t>(count.getColumn(0).getInt64());
                   }
                   auto& q = prepared(k_select_rows_of_source);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   auto out = read_all<RowRecord>(q, read_row, expected);
                   if (!out) return std::unexpected(corrupt(out.error().message));
                   return out;
                 });
}

Result<RowDigests> SqliteStore::row_digests(std::string_view source) {
  return guarded("cannot read the rows of " + std::string(source), [&]() -> Result<RowDigests> {
    RowDigests out;
    // Grown as read: counting the rows first cost half as much as reading them.
    sqlite3* db = m_db->getHandle();
    if (!m_digests) {
      sqlite3_stmt* prepared_digests = nullptr;
      if (const int rc = sqlite3_prepare_v3(db, k_select_row_digests_of_source, -1, SQLITE_PREPARE_PERSISTENT,
                                            &prepared_digests, nullptr);
          rc != SQLITE_OK) {
        throw SQLite::Exception(db, rc);
      }
      m_digests.reset(prepared_digests);
    }
    sqlite3_stmt* const raw = m_digests.get();
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> reset_on_exit(raw, &sqlite3_reset);
    sqlite3_bind_text(raw, 1, source.data(), static_cast<int>(source.size()), SQLITE_TRANSIENT);
    const auto text = [raw](int column) {
      const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(raw, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(raw, column));
      return data == nullptr ? std::string_view() : std::string_view(data, size);
    };
    while (true) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw SQLite::Exception(db, rc);
      RowDigest& d = out.add();
      d.source_id = out.keep(text(0));
      d.row_ref = out.keep(text(1));
      if (sqlite3_column_type(raw, 2) != SQLITE_NULL) d.event_id = sqlite3_column_int64(raw, 2);
      d.payload_hash = out.keep(text(3));
      const std::string_view state_name = text(4);
      const auto state = row_state_from_string(state_name);
      if (!state) {
        return std::unexpected(corrupt("row " + row_name(source, d.source_id) + " has the unknown state \"" +
                                       std::string(state_name) + "\""));
      }
      d.state = *state;
      d.next_attempt_at = sqlite3_column_int64(raw, 5);
      if (sqlite3_column_type(raw, 6) == SQLITE_BLOB && sqlite3_column_bytes(raw, 6) == sizeof(Digest128)) {
        const auto* token = static_cast<const std::uint8_t*>(sqlite3_column_blob(raw, 6));
        d.cells_token.emplace();
        std::copy_n(token, d.cells_token->size(), d.cells_token->begin());
      }
    }
    return out;
  });
}

Result<std::vector<RowRecord>> SqliteStore::rows_where(std::string_view source,
                                                       const std::function<bool(std::string_view)>& wanted) {
  return guarded("cannot read the rows of " + std::string(source), [&]() -> Result<std::vector<RowRecord>> {
    auto& q = prepared(k_select_rows_of_source);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    std::vector<RowRecord> out;
    while (q.executeStep()) {
      if (!wanted(text_of(q.getColumn(1)))) continue;
      auto record = read_row(q);
      if (!record) return std::unexpected(corrupt(record.error().message));
      out.push_back(std::move(*record));
    }
    return out;
  });
}

Result<std::optional<RowRecord>> SqliteStore::row(std::string_view source,
                                                  std::string_view source_id) {
  return guarded("cannot read the row " + row_name(source, source_id),
                 [&]() -> Result<std::optional<RowRecord>> {
                   auto& q = prepared(k_select_row);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   bind_text(q, 2, source_id);
                   if (!q.executeStep()) return std::nullopt;
                   auto record = read_row(q);
                   if (!record) return std::unexpected(corrupt(record.error().message));
                   return std::optional<RowRecord>(std::move(*record));
                 });
}

Result<std::vector<RowRecord>> SqliteStore::rows_with_event(std::int64_t event_id) {
  return guarded("cannot read the rows of event " + std::to_string(event_id),
                 [&]() -> Result<std::vector<RowRecord>> {
                   auto& q = prepared(k_select_rows_with_event);
                   ResetOnExit reset(q);
                   q.bind(1, event_id);
                   auto out = read_all<RowRecord>(q, read_row, 1);
                   if (!out) return std::unexpected(corrupt(out.error().message));
                   return out;
                 });
}

void SqliteStore::put_one_outbox(const OutboxEntry& entry, std::int64_t at) {
  {
    auto& q = prepared(k_upsert_row_pending);
    ResetOnExit reset(q);
    bind_text(q, 1, entry.source);
    bind_text(q, 2, entry.source_id);
    bind_text(q, 3, entry.row_ref);
    q.bind(4, at);
    q.exec();
  }
  auto& q = prepared(k_upsert_outbox);
  ResetOnExit reset(q);
  bind_text(q, 1, entry.source);
  bind_text(q, 2, entry.source_id);
  bind_text(q, 3, entry.row_ref);
  bind_text(q, 4, to_string(entry.action));
  bind_optional(q, 5, entry.event_id);
  bind_text(q, 6, entry.idempotency_key);
  // Bound as a BLOB so SQLite never reinterprets the bytes.
  q.bindNoCopy(7, static_cast<const void*>(entry.body.data()), static_cast<int>(entry.body.size()));
  bind_text(q, 8, entry.payload_hash);
  q.bind(9, at);
  q.bind(10, 0);  // outbox.attempts: unused; the row counts its failed sends
  q.exec();
}

Result<void> SqliteStore::put_outboxes(std::span<const OutboxEntry> entries) {
  if (entries.empty()) return {};
  for (const auto& entry : entries) {
    if (entry.source.empty() || entry.source_id.empty()) {
      return fail(ErrorKind::internal, m_label + ": cannot save a request for \"" +
                                           row_name(entry.source, entry.source_id) +
                                           "\": the source and the source id must not be empty");
    }
  }
  const std::string what = entries.size() == 1
                               ? "the " + std::string(to_string(entries[0].action)) + " request of " +
                                     row_name(entries[0].source, entries[0].source_id)
                               : std::to_string(entries.size()) + " requests";
  return guarded("cannot save " + what, [&]() -> Result<void> {
    const auto at = now();
    WriteTransaction transaction(*this, Durability::flushed);
    for (const auto& entry : entries) put_one_outbox(entry, at);
    transaction.commit();
    return {};
  });
}

Result<std::vector<OutboxEntry>> SqliteStore::outbox_entries(std::string_view source) {
  return guarded("cannot read the outbox of " + std::string(source),
                 [&]() -> Result<std::vector<OutboxEntry>> {
                   auto& q = prepared(k_select_outbox_of_source);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   auto out = read_all<OutboxEntry>(q, read_outbox);
                   if (!out) return std::unexpected(corrupt(out.error().message));
                   return out;
                 });
}

void SqliteStore::delete_outbox_if_same(const OutboxEntry& entry) {
  auto& q = prepared(k_delete_outbox_if_same);
  ResetOnExit reset(q);
  bind_text(q, 1, entry.source);
  bind_text(q, 2, entry.source_id);
  bind_text(q, 3, entry.idempotency_key);
  bind_text(q, 4, entry.payload_hash);
  q.exec();
}

void SqliteStore::append_audit(const OutboxEntry& entry, const WriteOutcome& outcome,
                               std::int64_t at, std::string_view fields) {
  auto& q = prepared(k_insert_audit);
  ResetOnExit reset(q);
  bind_text(q, 1, entry.source);
  bind_text(q, 2, entry.source_id);
  bind_text(q, 3, entry.row_ref);
  bind_text(q, 4, to_string(entry.action));
  bind_text(q, 5, entry.idempotency_key);
  q.bind(6, static_cast<std::int64_t>(outcome.http_status));
  bind_text(q, 7, outcome.request_id);
  bind_optional(q, 8, outcome.event_id ? outcome.event_id : entry.event_id);
  q.bind(9, at);
  bind_text(q, 10, fields);
  q.exec();
}

std::string SqliteStore::keep_payload(const OutboxEntry& entry) {
  std::optional<std::string> before;
  {
    auto& q = prepared(k_select_payload);
    ResetOnExit reset(q);
    bind_text(q, 1, entry.source);
    bind_text(q, 2, entry.source_id);
    if (q.executeStep()) before = q.getColumn(0).getString();
  }
  // A create (or a write over what is not known) leaves the event as its body: no statement
  // for that on the path of every create.
  std::string after = entry.body;
  if (before && entry.action == WriteAction::update) {
    auto& q = prepared(k_merged_payload);
    ResetOnExit reset(q);
    bind_text(q, 1, *before);
    bind_text(q, 2, entry.body);
    q.executeStep();
    after = q.getColumn(0).getString();
  }
  std::string fields;
  if (before) {
    auto& q = prepared(k_changed_fields);
    ResetOnExit reset(q);
    bind_text(q, 1, *before);
    bind_text(q, 2, after);
    q.executeStep();
    fields = q.getColumn(0).getString();
  }
  auto& q = prepared(k_upsert_payload);
  ResetOnExit reset(q);
  bind_text(q, 1, entry.source);
  bind_text(q, 2, entry.source_id);
  bind_text(q, 3, after);
  q.exec();
  return fields;
}

void SqliteStore::record_one_outcome(const Outcome& o, std::int64_t at) {
  const auto& entry = o.entry;
  const auto event_id = o.outcome.event_id ? o.outcome.event_id : entry.event_id;
  if (!o.failure) {
    // The outbox goes first so the row's state can see whether a newer request for it
    // is still waiting.
    delete_outbox_if_same(entry);
    auto& q = prepared(k_upsert_row_success);
    ResetOnExit reset(q);
    bind_text(q, 1, entry.source);
    bind_text(q, 2, entry.source_id);
    bind_text(q, 3, entry.row_ref);
    bind_optional(q, 4, event_id);
    bind_text(q, 5, entry.payload_hash);
    bind_text(q, 6, o.outcome.request_id);
    q.bind(7, at);
    bind_text(q, 8, o.shown.title);
    bind_text(q, 9, o.shown.start);
    bind_text(q, 10, to_string(o.after));
    bind_text(q, 11, o.shown.status);
    q.exec();
    append_audit(entry, o.outcome, at, keep_payload(entry));
    return;
  } else {
    const Failure& f = *o.failure;
    if (!f.keep_outbox) delete_outbox_if_same(entry);
    auto& q = prepared(k_upsert_row_failure);
    ResetOnExit reset(q);
    bind_text(q, 1, entry.source);
    bind_text(q, 2, entry.source_id);
    bind_text(q, 3, entry.row_ref);
    bind_optional(q, 4, event_id);
    bind_text(q, 5, to_string(f.state));
    bind_text(q, 6, f.field);
    bind_text(q, 7, f.reason);
    bind_text(q, 8, o.outcome.request_id);
    q.bind(9, at);
    q.bind(10, f.attempts);
    bind_text(q, 11, entry.payload_hash);
    q.bind(12, f.next_attempt_at);
    q.exec();
  }
  append_audit(entry, o.outcome, at);
}

Result<void> SqliteStore::record_outcomes(std::span<const Outcome> outcomes) {
  if (outcomes.empty()) return {};
  const std::string what = outcomes.size() == 1
                               ? "the outcome of " + row_name(outcomes[0].entry.source, outcomes[0].entry.source_id)
                               : "the outcomes of " + std::to_string(outcomes.size()) + " requests";
  return guarded("cannot record " + what, [&]() -> Result<void> {
    const auto at = now();
    WriteTransaction transaction(*this, Durability::flushed);
    for (const auto& o : outcomes) record_one_outcome(o, at);
    transaction.commit();
    return {};
  });
}

Result<void> SqliteStore::rearm(std::string_view source, std::string_view source_id) {
  const auto name = row_name(source, source_id);
  return guarded("cannot re-arm " + name, [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::flushed);
    auto& q = prepared(k_rearm_row);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    bind_text(q, 2, source_id);
    q.bind(3, now());
    if (q.exec() == 0) return fail(ErrorKind::internal, m_label + ": cannot re-arm " + name + ": no such row");
    transaction.commit();
    return {};
  });
}

Result<void> SqliteStore::forget_row(std::string_view source, std::string_view source_id, std::string_view seen_hash,
                                     std::string_view reason) {
  const auto name = row_name(source, source_id);
  return guarded("cannot forget the event of " + name, [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::flushed);
    auto& q = prepared(k_forget_row);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    bind_text(q, 2, source_id);
    bind_text(q, 3, reason);
    q.bind(4, now());
    bind_text(q, 5, seen_hash);
    if (q.exec() == 0) {
      auto& s = prepared(k_select_row);
      ResetOnExit reset_select(s);
      bind_text(s, 1, source);
      bind_text(s, 2, source_id);
      if (!s.executeStep()) return fail(ErrorKind::not_found, m_label + ": " + name + ": no such row");
      const auto state = s.getColumn(5).getString();
      return fail(ErrorKind::invalid, name + " is " + state + ", not gone: only a row whose event was deleted in "
                                          "Pinned Events can be forgotten");
    }
    transaction.commit();
    return {};
  });
}

Result<std::optional<SourcePause>> SqliteStore::pause(std::string_view source) {
  return guarded("cannot read whether " + std::string(source) + " is paused",
                 [&]() -> Result<std::optional<SourcePause>> {
                   if (const auto kept = m_pauses.find(source); kept != m_pauses.end()) return kept->second;
                   auto& q = prepared(k_select_pause);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   std::optional<SourcePause> pause;
                   if (q.executeStep()) {
                     pause = SourcePause{q.getColumn(0).getString(), q.getColumn(1).getString(),
                                         q.getColumn(2).getInt64(),
                                         q.getColumn(3).getString() == "operator" ? PausedBy::operator_
                                                                                  : PausedBy::pinsync};
                   }
                   if (m_sole_writer) m_pauses.emplace(std::string(source), pause);
                   return pause;
                 });
}

Result<void> SqliteStore::set_pause(std::string_view source, std::string_view reason,
                                    std::string_view fingerprint, PausedBy by) {
  return guarded("cannot pause " + std::string(source), [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::flushed);
    forget_cached(source);
    auto& q = prepared(k_upsert_pause);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    bind_text(q, 2, reason);
    bind_text(q, 3, fingerprint);
    q.bind(4, now());
    bind_text(q, 5, to_string(by));
    q.exec();
    transaction.commit();
    return {};
  });
}

Result<void> SqliteStore::clear_pause(std::string_view source) {
  return guarded("cannot resume " + std::string(source), [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::flushed);
    forget_cached(source);
    auto& q = prepared(k_delete_pause);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    q.exec();
    transaction.commit();
    return {};
  });
}

Result<std::optional<std::string>> SqliteStore::fact(std::string_view source, std::string_view key) {
  return guarded("cannot read what " + std::string(source) + " keeps as " + std::string(key),
                 [&]() -> Result<std::optional<std::string>> {
                   if (const auto of = m_facts.find(source); of != m_facts.end()) {
                     if (const auto kept = of->second.find(key); kept != of->second.end()) return kept->second;
                   }
                   auto& q = prepared(k_select_fact);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   bind_text(q, 2, key);
                   std::optional<std::string> value;
                   if (q.executeStep()) value = q.getColumn(0).getString();
                   if (m_sole_writer) {
                     auto of = m_facts.find(source);
                     if (of == m_facts.end()) of = m_facts.emplace(std::string(source), decltype(of->second){}).first;
                     of->second.emplace(std::string(key), value);
                   }
                   return value;
                 });
}

Result<void> SqliteStore::set_fact(std::string_view source, std::string_view key, std::string_view value,
                                   Durability durability) {
  return guarded("cannot keep " + std::string(key) + " of " + std::string(source), [&]() -> Result<void> {
    WriteTransaction transaction(*this, durability);
    forget_cached(source, key);
    auto& q = prepared(k_upsert_fact);
    ResetOnExit reset(q);
    bind_text(q, 1, source);
    bind_text(q, 2, key);
    bind_text(q, 3, value);
    q.bind(4, now());
    q.exec();
    transaction.commit();
    // What was written is what the next read would find: kept, so a source's next pass
    // does not read it again (a settled recovery, on every source's second pass).
    if (m_sole_writer) {
      auto of = m_facts.find(source);
      if (of == m_facts.end()) of = m_facts.emplace(std::string(source), decltype(of->second){}).first;
      of->second.insert_or_assign(std::string(key), std::string(value));
    }
    return {};
  });
}

Result<void> SqliteStore::upsert_row_state(std::string_view source, std::string_view source_id,
                                           std::string_view row_ref, RowState state,
                                           std::string_view field, std::string_view value,
                                           std::string_view reason, std::int64_t at) {
  if (source.empty() || source_id.empty()) {
    return fail(ErrorKind::internal, m_label + ": cannot set the state of \"" +
                                         row_name(source, source_id) +
                                         "\": the source and the source id must not be empty");
  }
  auto& q = prepared(k_upsert_row_state);
  ResetOnExit reset(q);
  bind_text(q, 1, source);
  bind_text(q, 2, source_id);
  bind_text(q, 3, row_ref);
  bind_text(q, 4, to_string(state));
  bind_text(q, 5, field);
  bind_text(q, 6, cut_utf8(value, k_max_error_value_bytes));
  bind_text(q, 7, reason);
  q.bind(8, at);
  q.exec();
  return {};
}

Result<void> SqliteStore::set_row_states(std::span<const RowStateUpdate> updates) {
  if (updates.empty()) return {};
  return guarded("cannot set the state of " + std::to_string(updates.size()) + " rows",
                 [&]() -> Result<void> {
                   const auto at = now();
                   WriteTransaction transaction(*this, Durability::flushed);
                   for (const auto& u : updates) {
                     auto done = upsert_row_state(u.source, u.source_id, u.row_ref, u.state,
                                                  u.field, u.value, u.reason, at);
                     if (!done) return done;  // the transaction rolls back
                   }
                   transaction.commit();
                   return {};
                 });
}

Result<void> SqliteStore::set_cells_tokens(std::string_view source, std::span<const CellsToken> tokens) {
  if (tokens.empty()) return {};
  return guarded("cannot store the cells of " + std::to_string(tokens.size()) + " rows", [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::cached);
    auto& update = prepared(k_set_cells_token);
    for (const auto& t : tokens) {
      ResetOnExit reset(update);
      bind_text(update, 1, source);
      bind_text(update, 2, t.source_id);
      update.bind(3, t.token.data(), static_cast<int>(t.token.size()));
      update.exec();
    }
    transaction.commit();
    return {};
  });
}

Result<std::int64_t> SqliteStore::backup_to(const std::filesystem::path& file) {
  const std::string shown = file.string();
  // Private from its first byte: VACUUM INTO would create the file with the umask's mode.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return fail(ErrorKind::invalid, shown + " already exists — a backup never overwrites a file: give a new name");
    }
    return fail(ErrorKind::internal, "cannot create " + shown + ": " + std::generic_category().message(error));
  }
  ::close(fd);
  const auto discard = [&file] {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  };
  auto copied = guarded("cannot back up to " + shown, [&]() -> Result<void> {
    SQLite::Statement vacuum(*m_db, "VACUUM INTO ?1");
    bind_text(vacuum, 1, shown);
    vacuum.exec();
    return {};
  });
  if (!copied) {
    discard();
    return std::unexpected(copied.error());
  }
  try {
    SQLite::Database copy(shown, SQLite::OPEN_READWRITE);
    {
      SQLite::Statement mark(copy, k_mark_backup);
      bind_text(mark, 1, k_recovery_fact);
      bind_text(mark, 2, "backup " + std::to_string(now()));
      mark.bind(3, now());
      mark.exec();
    }
    const auto check = copy.execAndGet("PRAGMA integrity_check").getString();
    if (check != "ok") {
      discard();
      return fail(ErrorKind::internal, "the copy in " + shown + " does not check out (" + check + "); it was removed");
    }
    return copy.execAndGet("SELECT count(*) FROM source_rows").getInt64();
  } catch (const std::exception& e) {
    discard();
    return std::unexpected(sqlite_failure(m_label, "cannot check the copy in " + shown, e));
  }
}

Result<void> SqliteStore::forget_source(std::string_view source) {
  return guarded("cannot forget the source " + std::string(source), [&]() -> Result<void> {
    forget_cached(source);
    WriteTransaction transaction(*this, Durability::flushed);
    // Children first, so this holds even on a connection without foreign_keys.
    for (const char* sql : {k_delete_audit_of_source, k_delete_outbox_of_source, k_delete_payloads_of_source,
                            k_delete_rows_of_source, k_delete_pause, k_delete_facts_of_source}) {
      auto& q = prepared(sql);
      ResetOnExit reset(q);
      bind_text(q, 1, source);
      q.exec();
    }
    transaction.commit();
    return {};
  });
}

std::int64_t SqliteStore::insert_run(std::string_view source, std::string_view trigger, std::int64_t started_at) {
  auto& q = prepared(k_insert_run);
  ResetOnExit reset(q);
  bind_text(q, 1, source);
  bind_text(q, 2, trigger);
  q.bind(3, started_at);
  q.exec();
  // Read inside the caller's transaction: no other insert on this connection can come between.
  return m_db->getLastInsertRowid();
}

Result<std::int64_t> SqliteStore::begin_run(std::string_view source, std::string_view trigger) {
  return guarded("cannot log the start of a run of " + std::string(source),
                 [&]() -> Result<std::int64_t> {
                   WriteTransaction transaction(*this, Durability::cached);
                   const std::int64_t id = insert_run(source, trigger, now());
                   transaction.commit();
                   return id;
                 });
}

void SqliteStore::bind_run_end(SQLite::Statement& q, const RunRecord& run) {
  q.bind(1, now());
  q.bind(2, run.created);
  q.bind(3, run.updated);
  q.bind(4, run.unchanged);
  q.bind(5, run.invalid);
  q.bind(6, run.removed);
  q.bind(7, run.failed);
  q.bind(8, run.api_requests);
  bind_text(q, 9, run.result);
  q.bind(10, run.held);
  q.bind(11, run.dead);
  bind_text(q, 12, run.detail);
  q.bind(14, run.unpublished);
  q.bind(15, run.republished);
  q.bind(16, run.adopted);
}

Result<void> SqliteStore::end_run(const RunRecord& run) {
  auto& q = prepared(k_finish_run);
  ResetOnExit reset(q);
  bind_run_end(q, run);
  q.bind(13, run.id);
  if (q.exec() == 0) {
    return fail(ErrorKind::internal, m_label + ": cannot log the end of run " +
                                         std::to_string(run.id) + ": no run has that id");
  }
  auto& of = prepared(k_select_run_source);
  ResetOnExit reset_of(of);
  of.bind(1, run.id);
  prune_history(of.executeStep() ? of.getColumn(0).getString() : std::string(), run.id);
  return {};
}

void SqliteStore::prune_history(const std::string& source, std::int64_t run_id) {
  // Pruning scans the source's runs and change log: once an hour per source is enough to
  // keep them bounded, and a pass every minute does not pay for it each time. The time of
  // the last pruning is kept in the store, so that holds for one-shot syncs too (and, with
  // the state lock, in memory: facts are kept as read or written).
  const std::int64_t at = now();
  std::optional<std::string> last;
  bool known = false;
  if (const auto of = m_facts.find(source); of != m_facts.end()) {
    if (const auto kept = of->second.find(k_pruned_at_fact); kept != of->second.end()) {
      last = kept->second;
      known = true;
    }
  }
  if (!known) {
    auto& pruned = prepared(k_select_fact);
    ResetOnExit reset_pruned(pruned);
    bind_text(pruned, 1, source);
    bind_text(pruned, 2, k_pruned_at_fact);
    if (pruned.executeStep()) last = pruned.getColumn(0).getString();
    if (m_sole_writer) m_facts[source].insert_or_assign(std::string(k_pruned_at_fact), last);
  }
  if (last) {
    const std::int64_t then = std::strtoll(last->c_str(), nullptr, 10);
    if (at >= then && at - then < k_prune_every_seconds) return;
  }
  const std::int64_t oldest_kept = at - std::chrono::duration_cast<std::chrono::seconds>(k_history_age).count();
  auto& runs = prepared(k_prune_runs);
  ResetOnExit reset_runs(runs);
  runs.bind(1, run_id);
  runs.bind(2, oldest_kept);
  runs.bind(3, k_history_runs);
  runs.exec();
  auto& audit = prepared(k_prune_audit);
  ResetOnExit reset_audit(audit);
  audit.bind(1, run_id);
  audit.bind(2, oldest_kept);
  audit.exec();
  auto& keep = prepared(k_upsert_fact);
  ResetOnExit reset_keep(keep);
  bind_text(keep, 1, source);
  bind_text(keep, 2, k_pruned_at_fact);
  bind_text(keep, 3, std::to_string(at));
  keep.bind(4, at);
  keep.exec();
  if (m_sole_writer) m_facts[source].insert_or_assign(std::string(k_pruned_at_fact), std::to_string(at));
}

Result<void> SqliteStore::finish_run(const RunRecord& run) {
  return guarded("cannot log the end of run " + std::to_string(run.id), [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::cached);
    if (auto ended = end_run(run); !ended) return ended;
    transaction.commit();
    return {};
  });
}

Result<void> SqliteStore::log_run(const RunRecord& run) {
  return guarded("cannot log a run of " + run.source, [&]() -> Result<void> {
    WriteTransaction transaction(*this, Durability::cached);
    // One insert of the whole entry (not begin_run's insert and finish_run's update).
    auto& q = prepared(k_insert_whole_run);
    ResetOnExit reset(q);
    bind_run_end(q, run);
    bind_text(q, 13, run.source);
    bind_text(q, 17, run.trigger);
    q.bind(18, run.started_at);
    q.exec();
    prune_history(run.source, m_db->getLastInsertRowid());
    transaction.commit();
    return {};
  });
}

Result<std::vector<RunRecord>> SqliteStore::recent_runs(std::string_view source, int limit) {
  if (limit <= 0) return std::vector<RunRecord>{};
  return guarded("cannot read the run log", [&]() -> Result<std::vector<RunRecord>> {
    auto& q = prepared(source.empty() ? k_select_recent_runs : k_select_recent_runs_of_source);
    ResetOnExit reset(q);
    q.bind(1, limit);
    if (!source.empty()) bind_text(q, 2, source);
    std::vector<RunRecord> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
  });
}

Result<std::vector<AuditRecord>> SqliteStore::audit(std::string_view source,
                                                    std::string_view source_id) {
  return guarded("cannot read the audit of " + row_name(source, source_id),
                 [&]() -> Result<std::vector<AuditRecord>> {
                   auto& q = prepared(k_select_audit);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   bind_text(q, 2, source_id);
                   auto out = read_all<AuditRecord>(q, read_audit);
                   if (!out) return std::unexpected(corrupt(out.error().message));
                   return out;
                 });
}

Result<std::optional<std::string>> SqliteStore::row_payload(std::string_view source, std::string_view source_id) {
  return guarded("cannot read what the event of " + row_name(source, source_id) + " holds",
                 [&]() -> Result<std::optional<std::string>> {
                   auto& q = prepared(k_select_payload);
                   ResetOnExit reset(q);
                   bind_text(q, 1, source);
                   bind_text(q, 2, source_id);
                   if (!q.executeStep()) return std::nullopt;
                   return q.getColumn(0).getString();
                 });
}

}  // namespace pinsync::state

#include "state/schema.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <array>
#include <string>

#include "state/sqlite_util.h"

namespace pinsync::state {

namespace {

// A migration's SQL ends by setting user_version to its own number, so the version moves
// in the same transaction as the tables: a crash leaves the file at a complete version.
// Never edit a released step; append a new one.
constexpr std::array<const char*, 9> k_migrations = {
    // 1: rows, outbox, audit, runs.
    R"sql(
PRAGMA application_id = 1349079929;

CREATE TABLE source_rows (
  source          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  row_ref         TEXT NOT NULL DEFAULT '',
  event_id        INTEGER,
  payload_hash    TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL CHECK (state IN ('synced', 'pending', 'invalid', 'failed',
                                                 'removed', 'needs_review', 'gone')),
  error_field     TEXT NOT NULL DEFAULT '',
  error_value     TEXT NOT NULL DEFAULT '',
  error_reason    TEXT NOT NULL DEFAULT '',
  last_request_id TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (source, source_id)
) WITHOUT ROWID;

CREATE TABLE outbox (
  source          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  row_ref         TEXT NOT NULL,
  action          TEXT NOT NULL CHECK (action IN ('create', 'update')),
  event_id        INTEGER,
  idempotency_key TEXT NOT NULL,
  body            BLOB NOT NULL,
  payload_hash    TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, source_id),
  FOREIGN KEY (source, source_id) REFERENCES source_rows (source, source_id) ON DELETE CASCADE
);

CREATE TABLE audit (
  id              INTEGER PRIMARY KEY,
  source          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  row_ref         TEXT NOT NULL,
  action          TEXT NOT NULL CHECK (action IN ('create', 'update')),
  idempotency_key TEXT NOT NULL,
  http_status     INTEGER NOT NULL,
  request_id      TEXT NOT NULL,
  event_id        INTEGER,
  at              INTEGER NOT NULL,
  FOREIGN KEY (source, source_id) REFERENCES source_rows (source, source_id) ON DELETE CASCADE
);
CREATE INDEX audit_by_row ON audit (source, source_id, id);

CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  source       TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL DEFAULT 0,
  created      INTEGER NOT NULL DEFAULT 0,
  updated      INTEGER NOT NULL DEFAULT 0,
  unchanged    INTEGER NOT NULL DEFAULT 0,
  invalid      INTEGER NOT NULL DEFAULT 0,
  removed      INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  api_requests INTEGER NOT NULL DEFAULT 0,
  result       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_source ON runs (source, id);

PRAGMA user_version = 1;
)sql",
    // 2: the retry queue (attempted_hash, next_attempt_at, state 'dead') and paused sources.
    // SQLite cannot change a CHECK constraint in place, so source_rows is rebuilt; migrate()
    // runs with foreign_keys off, so dropping the old table cascades to nothing.
    R"sql(
CREATE TABLE source_rows_v2 (
  source          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  row_ref         TEXT NOT NULL DEFAULT '',
  event_id        INTEGER,
  payload_hash    TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL CHECK (state IN ('synced', 'pending', 'invalid', 'failed',
                                                 'removed', 'needs_review', 'gone', 'dead')),
  error_field     TEXT NOT NULL DEFAULT '',
  error_value     TEXT NOT NULL DEFAULT '',
  error_reason    TEXT NOT NULL DEFAULT '',
  last_request_id TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  attempted_hash  TEXT NOT NULL DEFAULT '',
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, source_id)
) WITHOUT ROWID;

INSERT INTO source_rows_v2 (source, source_id, row_ref, event_id, payload_hash, state,
                            error_field, error_value, error_reason, last_request_id, attempts,
                            created_at, updated_at)
SELECT source, source_id, row_ref, event_id, payload_hash, state, error_field, error_value,
       error_reason, last_request_id, attempts, created_at, updated_at
FROM source_rows;

DROP TABLE source_rows;
ALTER TABLE source_rows_v2 RENAME TO source_rows;

CREATE TABLE paused_sources (
  source      TEXT PRIMARY KEY NOT NULL,
  reason      TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  since       INTEGER NOT NULL
);

PRAGMA user_version = 2;
)sql",
    // 3: rows by event id, to tell whether an event already belongs to a row; the run log
    // keeps held and dead rows and its result as one word with the reason beside it (an
    // old "stopped: reason" is split).
    R"sql(
CREATE INDEX source_rows_by_event ON source_rows (event_id) WHERE event_id IS NOT NULL;
ALTER TABLE runs ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN dead INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN detail TEXT NOT NULL DEFAULT '';
UPDATE runs SET detail = substr(result, instr(result, ': ') + 2),
                result = substr(result, 1, instr(result, ': ') - 1)
WHERE instr(result, ': ') > 0;
PRAGMA user_version = 3;
)sql",
    // 4: a pause says who made it (an operator with `pinsync pause`, or pinsync itself on a
    // refused key); the run log's "rows_failed" becomes "ok" when no row failed or died
    // (invalid rows no longer make a pass fail) and "rows_not_synced" otherwise.
    R"sql(
ALTER TABLE paused_sources ADD COLUMN paused_by TEXT NOT NULL DEFAULT 'pinsync'
  CHECK (paused_by IN ('pinsync', 'operator'));
UPDATE runs SET result = CASE WHEN failed > 0 OR dead > 0 THEN 'rows_not_synced' ELSE 'ok' END
WHERE result = 'rows_failed';
PRAGMA user_version = 4;
)sql",
    // 5: small facts a connector keeps about its source from pass to pass (which tab of a
    // spreadsheet a range without a sheet name read), by source and key.
    R"sql(
CREATE TABLE source_facts (
  source     TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;
PRAGMA user_version = 5;
)sql",
    // 6: a row whose deleted event a person let go (`pinsync resync --row ID --forget`) is
    // 'forgotten', and a row keeps the title and start of what its event last held (what
    // pinsync last sent successfully), so a held row can say which show was lost. The CHECK
    // constraint changes, so source_rows is rebuilt as in step 2 (its index with it).
    R"sql(
CREATE TABLE source_rows_v6 (
  source          TEXT NOT NULL,
  source_id       TEXT NOT NULL,
  row_ref         TEXT NOT NULL DEFAULT '',
  event_id        INTEGER,
  payload_hash    TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL CHECK (state IN ('synced', 'pending', 'invalid', 'failed',
                                                 'removed', 'needs_review', 'gone', 'dead',
                                                 'forgotten')),
  error_field     TEXT NOT NULL DEFAULT '',
  error_value     TEXT NOT NULL DEFAULT '',
  error_reason    TEXT NOT NULL DEFAULT '',
  last_request_id TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  attempted_hash  TEXT NOT NULL DEFAULT '',
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  event_title     TEXT NOT NULL DEFAULT '',
  event_start     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (source, source_id)
) WITHOUT ROWID;

INSERT INTO source_rows_v6 (source, source_id, row_ref, event_id, payload_hash, state,
                            error_field, error_value, error_reason, last_request_id, attempts,
                            created_at, updated_at, attempted_hash, next_attempt_at)
SELECT source, source_id, row_ref, event_id, payload_hash, state, error_field, error_value,
       error_reason, last_request_id, attempts, created_at, updated_at, attempted_hash,
       next_attempt_at
FROM source_rows;

DROP TABLE source_rows;
ALTER TABLE source_rows_v6 RENAME TO source_rows;
CREATE INDEX source_rows_by_event ON source_rows (event_id) WHERE event_id IS NOT NULL;
PRAGMA user_version = 6;
)sql",
    // 7: the status the event held after pinsync's last write (on_removed: draft takes a
    // removed row's event down to draft and a returning row brings it back): "published",
    // "draft", "unpublished" (a draft because pinsync took it down) or "" (unknown: written
    // before this version). A new column with a default: no rebuild.
    R"sql(
ALTER TABLE source_rows ADD COLUMN event_status TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 7;
)sql",
    // 8: what each row's event holds as pinsync last wrote it (the last successful body, a
    // partial update merged in), so a plan can show an update's fields old -> new; and the
    // change log says which fields each write changed ('' for a first create). Apart from
    // source_rows: its digests are read on every pass, payloads only when asked. The run log
    // counts events taken down and brought back (on_removed: draft) and rows that adopted an
    // existing event (recovery).
    R"sql(
CREATE TABLE row_payloads (
  source    TEXT NOT NULL,
  source_id TEXT NOT NULL,
  payload   TEXT NOT NULL,
  PRIMARY KEY (source, source_id),
  FOREIGN KEY (source, source_id) REFERENCES source_rows (source, source_id) ON DELETE CASCADE
) WITHOUT ROWID;
ALTER TABLE audit ADD COLUMN fields TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN unpublished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN republished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 8;
)sql",
    // 9: a digest of the cells each row was last read with, stored once they mapped to its
    // payload_hash, so a pass settles an unchanged row without mapping it again (NULL: not
    // known; the row is mapped). Read with the digests.
    R"sql(
ALTER TABLE source_rows ADD COLUMN cells_token BLOB;
PRAGMA user_version = 9;
)sql",
};

static_assert(k_application_id == 1349079929, "migration 1 writes this number literally");

std::int64_t read_pragma(SQLite::Database& db, const char* sql) {
  SQLite::Statement query(db, sql);
  return query.executeStep() ? query.getColumn(0).getInt64() : 0;
}

}  // namespace

int latest_schema_version() { return static_cast<int>(k_migrations.size()); }

Result<int> check_schema(SQLite::Database& db, std::string_view label) {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  std::int64_t objects = 0;
  try {
    application_id = read_pragma(db, "PRAGMA application_id");
    version = read_pragma(db, "PRAGMA user_version");
    objects = read_pragma(db, "SELECT count(*) FROM sqlite_master");
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB) {
      return fail(ErrorKind::internal,
                  std::string(label) + ": is not a SQLite database, so not a pinsync state file "
                                       "— move it away or point state.path at another file");
    }
    return std::unexpected(sqlite_failure(label, "cannot read the schema", e));
  } catch (const std::exception& e) {
    return std::unexpected(sqlite_failure(label, "cannot read the schema", e));
  }
  const std::string where(label);
  if (application_id == 0 && version == 0 && objects == 0) return 0;
  if (application_id != k_application_id || version < 1) {
    return fail(ErrorKind::internal,
                where + ": is a SQLite database but not a pinsync state file — point state.path "
                        "at pinsync's own file or at a new one");
  }
  if (version > latest_schema_version()) {
    return fail(ErrorKind::internal,
                where + ": was written by a newer pinsync (schema version " +
                    std::to_string(version) + ", this pinsync knows up to " +
                    std::to_string(latest_schema_version()) +
                    ") — run that pinsync version or a later one");
  }
  return static_cast<int>(version);
}

Result<int> migrate(SQLite::Database& db, int from, std::string_view label, int to) {
  if (to <= 0 || to > latest_schema_version()) to = latest_schema_version();
  for (int version = from + 1; version <= to; ++version) {
    try {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have opened the same new file at the same moment and
      // migrated it first; the write lock taken above makes this check race-free.
      if (read_pragma(db, "PRAGMA user_version") >= version) continue;
      db.exec(k_migrations[static_cast<std::size_t>(version - 1)]);
      // Rebuilt tables must still satisfy every reference before the step counts.
      if (SQLite::Statement check(db, "PRAGMA foreign_key_check"); check.executeStep()) {
        return fail(ErrorKind::internal, std::string(label) + ": upgrading the schema to version " +
                                             std::to_string(version) +
                                             " left a broken reference in table " +
                                             check.getColumn(0).getString() +
                                             " — restore the file from a backup");
      }
      transaction.commit();
    } catch (const std::exception& e) {
      return std::unexpected(sqlite_failure(
          label, "cannot upgrade the schema to version " + std::to_string(version), e));
    }
  }
  return to;
}

}  // namespace pinsync::state

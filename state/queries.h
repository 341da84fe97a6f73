// The SQL of the SQLite store, each query one constant with bound parameters (nothing is
// built from values), and the readers that turn a result row into a record in the
// column order of those SELECTs. Internal to state/.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <string>
#include <string_view>

#include "state/store.h"

namespace pinsync::state {

inline constexpr const char* k_select_rows_of_source = R"sql(
SELECT source, source_id, row_ref, event_id, payload_hash, state, error_field, error_value,
       error_reason, last_request_id, attempts, created_at, updated_at, attempted_hash,
       next_attempt_at, event_title, event_start, event_status
FROM source_rows WHERE source = ?1 ORDER BY source_id)sql";

inline constexpr const char* k_select_row_digests_of_source = R"sql(
SELECT source_id, row_ref, event_id, payload_hash, state, next_attempt_at, cells_token FROM source_rows
WHERE source = ?1)sql";

inline constexpr const char* k_set_cells_token =
    "UPDATE source_rows SET cells_token = ?3 WHERE source = ?1 AND source_id = ?2";

inline constexpr const char* k_count_rows_of_source = "SELECT count(*) FROM source_rows WHERE source = ?1";

inline constexpr const char* k_select_row = R"sql(
SELECT source, source_id, row_ref, event_id, payload_hash, state, error_field, error_value,
       error_reason, last_request_id, attempts, created_at, updated_at, attempted_hash,
       next_attempt_at, event_title, event_start, event_status
FROM source_rows WHERE source = ?1 AND source_id = ?2)sql";

inline constexpr const char* k_select_rows_with_event = R"sql(
SELECT source, source_id, row_ref, event_id, payload_hash, state, error_field, error_value,
       error_reason, last_request_id, attempts, created_at, updated_at, attempted_hash,
       next_attempt_at, event_title, event_start, event_status
FROM source_rows WHERE event_id = ?1 ORDER BY source, source_id)sql";

inline constexpr const char* k_upsert_row_pending = R"sql(
INSERT INTO source_rows (source, source_id, row_ref, state, created_at, updated_at)
VALUES (?1, ?2, ?3, 'pending', ?4, ?4)
ON CONFLICT (source, source_id) DO UPDATE SET
  row_ref = CASE WHEN excluded.row_ref = '' THEN source_rows.row_ref ELSE excluded.row_ref END,
  state = 'pending',
  updated_at = excluded.updated_at)sql";

// Putting the same request again (a resend) keeps when it was first put and how often it
// was tried: the idempotency window runs from the first send.
inline constexpr const char* k_upsert_outbox = R"sql(
INSERT INTO outbox (source, source_id, row_ref, action, event_id, idempotency_key, body,
                    payload_hash, created_at, attempts)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (source, source_id) DO UPDATE SET
  created_at = CASE WHEN outbox.idempotency_key = excluded.idempotency_key
                     AND outbox.payload_hash = excluded.payload_hash
                    THEN outbox.created_at ELSE excluded.created_at END,
  attempts = CASE WHEN outbox.idempotency_key = excluded.idempotency_key
                   AND outbox.payload_hash = excluded.payload_hash
                  THEN outbox.attempts ELSE excluded.attempts END,
  row_ref = excluded.row_ref,
  action = excluded.action,
  event_id = excluded.event_id,
  idempotency_key = excluded.idempotency_key,
  body = excluded.body,
  payload_hash = excluded.payload_hash)sql";

inline constexpr const char* k_select_outbox_of_source = R"sql(
SELECT source, source_id, row_ref, action, event_id, idempotency_key, body, payload_hash,
       created_at, attempts
FROM outbox WHERE source = ?1 ORDER BY created_at, source_id)sql";

inline constexpr const char* k_delete_outbox_if_same = R"sql(
DELETE FROM outbox
WHERE source = ?1 AND source_id = ?2 AND idempotency_key = ?3 AND payload_hash = ?4)sql";

inline constexpr const char* k_upsert_row_success = R"sql(
INSERT INTO source_rows (source, source_id, row_ref, event_id, payload_hash, state,
                         last_request_id, attempts, created_at, updated_at, event_title,
                         event_start, event_status)
VALUES (?1, ?2, ?3, ?4, ?5, ?10, ?6, 0, ?7, ?7, ?8, ?9, ?11)
ON CONFLICT (source, source_id) DO UPDATE SET
  event_status = CASE WHEN excluded.event_status = '' THEN source_rows.event_status
                      ELSE excluded.event_status END,
  event_title = CASE WHEN excluded.event_title = '' AND excluded.event_start = ''
                     THEN source_rows.event_title ELSE excluded.event_title END,
  event_start = CASE WHEN excluded.event_title = '' AND excluded.event_start = ''
                     THEN source_rows.event_start ELSE excluded.event_start END,
  event_id = COALESCE(excluded.event_id, source_rows.event_id),
  payload_hash = excluded.payload_hash,
  state = CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.source = excluded.source
                                                     AND o.source_id = excluded.source_id)
               THEN 'pending' ELSE excluded.state END,
  error_field = '',
  error_value = '',
  error_reason = '',
  last_request_id = CASE WHEN excluded.last_request_id = '' THEN source_rows.last_request_id
                         ELSE excluded.last_request_id END,
  attempts = 0,
  attempted_hash = '',
  next_attempt_at = 0,
  updated_at = excluded.updated_at)sql";

inline constexpr const char* k_upsert_row_failure = R"sql(
INSERT INTO source_rows (source, source_id, row_ref, event_id, state, error_field,
                         error_reason, last_request_id, attempts, created_at, updated_at,
                         attempted_hash, next_attempt_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9, ?11, ?12)
ON CONFLICT (source, source_id) DO UPDATE SET
  event_id = COALESCE(source_rows.event_id, excluded.event_id),
  state = excluded.state,
  error_field = excluded.error_field,
  error_value = '',
  error_reason = excluded.error_reason,
  last_request_id = CASE WHEN excluded.last_request_id = '' THEN source_rows.last_request_id
                         ELSE excluded.last_request_id END,
  attempts = excluded.attempts,
  attempted_hash = excluded.attempted_hash,
  next_attempt_at = excluded.next_attempt_at,
  updated_at = excluded.updated_at)sql";

inline constexpr const char* k_rearm_row = R"sql(
UPDATE source_rows SET state = 'failed', attempts = 0, attempted_hash = '', next_attempt_at = 0,
                       error_field = '', error_value = '', error_reason = 're-armed by resync',
                       updated_at = ?3
WHERE source = ?1 AND source_id = ?2)sql";

// Only a gone row is forgotten; the caller tells a missing row from one in another state.
inline constexpr const char* k_forget_row = R"sql(
UPDATE source_rows SET state = 'forgotten', attempts = 0, attempted_hash = ?5, next_attempt_at = 0,
                       error_field = '', error_value = '', error_reason = ?3, updated_at = ?4
WHERE source = ?1 AND source_id = ?2 AND state = 'gone')sql";

inline constexpr const char* k_select_pause = R"sql(
SELECT reason, fingerprint, since, paused_by FROM paused_sources WHERE source = ?1)sql";

inline constexpr const char* k_upsert_pause = R"sql(
INSERT INTO paused_sources (source, reason, fingerprint, since, paused_by) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (source) DO UPDATE SET
  reason = excluded.reason, fingerprint = excluded.fingerprint, since = excluded.since,
  paused_by = excluded.paused_by)sql";

inline constexpr const char* k_delete_pause = "DELETE FROM paused_sources WHERE source = ?1";

inline constexpr const char* k_select_fact = "SELECT value FROM source_facts WHERE source = ?1 AND key = ?2";

inline constexpr const char* k_upsert_fact = R"sql(
INSERT INTO source_facts (source, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)sql";

// A backup copy: every source with rows gets the recovery fact (Store::backup_to).
inline constexpr const char* k_mark_backup = R"sql(
INSERT INTO source_facts (source, key, value, updated_at)
SELECT DISTINCT source, ?1, ?2, ?3 FROM source_rows WHERE true
ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
)sql";
inline constexpr const char* k_delete_facts_of_source = "DELETE FROM source_facts WHERE source = ?1";

inline constexpr const char* k_upsert_row_state = R"sql(
INSERT INTO source_rows (source, source_id, row_ref, state, error_field, error_value,
                         error_reason, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
ON CONFLICT (source, source_id) DO UPDATE SET
  row_ref = CASE WHEN excluded.row_ref = '' THEN source_rows.row_ref ELSE excluded.row_ref END,
  state = excluded.state,
  error_field = excluded.error_field,
  error_value = excluded.error_value,
  error_reason = excluded.error_reason,
  attempts = 0,
  attempted_hash = '',
  next_attempt_at = 0,
  updated_at = excluded.updated_at)sql";

inline constexpr const char* k_insert_audit = R"sql(
INSERT INTO audit (source, source_id, row_ref, action, idempotency_key, http_status,
                   request_id, event_id, at, fields)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql";

inline constexpr const char* k_select_audit = R"sql(
SELECT source, source_id, row_ref, action, idempotency_key, http_status, request_id,
       event_id, at, fields
FROM audit WHERE source = ?1 AND source_id = ?2 ORDER BY id)sql";

// What a row's event holds as pinsync last wrote it (schema 8).
inline constexpr const char* k_select_payload =
    "SELECT payload FROM row_payloads WHERE source = ?1 AND source_id = ?2";
inline constexpr const char* k_upsert_payload = R"sql(
INSERT INTO row_payloads (source, source_id, payload) VALUES (?1, ?2, ?3)
ON CONFLICT (source, source_id) DO UPDATE SET payload = excluded.payload)sql";
// The event after a successful update with body ?2 of what it held (?1): a JSON Merge Patch
// (SQLite's json_patch, RFC 7396, as the API applies a PATCH); the body itself when either is
// not JSON.
inline constexpr const char* k_merged_payload = R"sql(
SELECT CASE WHEN json_valid(?1) AND json_valid(?2) THEN json_patch(?1, ?2) ELSE ?2 END)sql";
// The top-level fields that differ between two JSON objects ?1 (before) and ?2 (after),
// sorted and joined with ", " ('' when either is not a JSON object).
inline constexpr const char* k_changed_fields = R"sql(
SELECT CASE WHEN json_valid(?1) AND json_valid(?2) AND json_type(?1) = 'object' AND json_type(?2) = 'object'
  THEN (SELECT coalesce(group_concat(key, ', '), '') FROM (
          SELECT n.key AS key FROM json_each(?2) n
          WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) o
                            WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value)
          UNION
          SELECT o.key FROM json_each(?1) o
          WHERE NOT EXISTS (SELECT 1 FROM json_each(?2) n WHERE n.key = o.key)
          ORDER BY key))
  ELSE '' END)sql";
inline constexpr const char* k_delete_payloads_of_source = "DELETE FROM row_payloads WHERE source = ?1";

inline constexpr const char* k_delete_audit_of_source = "DELETE FROM audit WHERE source = ?1";
inline constexpr const char* k_delete_outbox_of_source = "DELETE FROM outbox WHERE source = ?1";
inline constexpr const char* k_delete_rows_of_source = "DELETE FROM source_rows WHERE source = ?1";

inline constexpr const char* k_insert_run = R"sql(
INSERT INTO runs (source, trigger_kind, started_at) VALUES (?1, ?2, ?3))sql";

// Store::log_run: a whole run in one row. Its end takes the numbers k_finish_run gives it
// (?1-?12, ?14-?16: one binding serves both); ?13 is the source here, not the run's id.
inline constexpr const char* k_insert_whole_run = R"sql(
INSERT INTO runs (source, trigger_kind, started_at, finished_at, created, updated, unchanged, invalid,
                  removed, failed, api_requests, result, held, dead, detail, unpublished, republished, adopted)
VALUES (?13, ?17, ?18, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15, ?16))sql";

inline constexpr const char* k_finish_run = R"sql(
UPDATE runs SET finished_at = ?1, created = ?2, updated = ?3, unchanged = ?4, invalid = ?5,
                removed = ?6, failed = ?7, api_requests = ?8, result = ?9, held = ?10, dead = ?11,
                detail = ?12, unpublished = ?14, republished = ?15, adopted = ?16
WHERE id = ?13)sql";

// History is bounded per source: runs older than ?2 (unix seconds) or beyond the newest
// ?3, and change-log entries older than ?2, go when a run of that source ends.
// A write transaction (SqliteStore::WriteTransaction), and how its commit reaches the disk
// (SqliteStore::use_sync: NORMAL for Durability::cached, FULL for flushed).
inline constexpr const char* k_begin_immediate = "BEGIN IMMEDIATE";
inline constexpr const char* k_commit = "COMMIT";
inline constexpr const char* k_rollback = "ROLLBACK";
inline constexpr const char* k_sync_normal = "PRAGMA synchronous = NORMAL";
inline constexpr const char* k_sync_full = "PRAGMA synchronous = FULL";

inline constexpr const char* k_select_run_source = "SELECT source FROM runs WHERE id = ?1";

inline constexpr const char* k_prune_runs = R"sql(
DELETE FROM runs
WHERE source = (SELECT source FROM runs WHERE id = ?1)
  AND (finished_at BETWEEN 1 AND ?2
       OR id <= (SELECT id FROM runs WHERE source = (SELECT source FROM runs WHERE id = ?1)
                 ORDER BY id DESC LIMIT 1 OFFSET ?3)))sql";

inline constexpr const char* k_prune_audit = R"sql(
DELETE FROM audit WHERE source = (SELECT source FROM runs WHERE id = ?1) AND at < ?2)sql";

inline constexpr const char* k_select_recent_runs = R"sql(
SELECT id, source, trigger_kind, started_at, finished_at, created, updated, unchanged,
       invalid, removed, failed, api_requests, result, held, dead, detail,
       unpublished, republished, adopted
FROM runs ORDER BY id DESC LIMIT ?1)sql";

inline constexpr const char* k_select_recent_runs_of_source = R"sql(
SELECT id, source, trigger_kind, started_at, finished_at, created, updated, unchanged,
       invalid, removed, failed, api_requests, result, held, dead, detail,
       unpublished, republished, adopted
FROM runs WHERE source = ?2 ORDER BY id DESC LIMIT ?1)sql";

// Readers for the current result row of a SELECT above; an unknown state or action
// name comes back as Error{internal} naming the row.
Result<RowRecord> read_row(const SQLite::Statement& q);        // k_select_row*, k_select_rows_*
Result<OutboxEntry> read_outbox(const SQLite::Statement& q);   // k_select_outbox*
Result<AuditRecord> read_audit(const SQLite::Statement& q);    // k_select_audit
RunRecord read_run(const SQLite::Statement& q);                // k_select_recent_runs*

// "source/source_id", how messages name a row.
std::string row_name(std::string_view source, std::string_view source_id);

}  // namespace pinsync::state

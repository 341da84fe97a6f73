#include "state/queries.h"

#include <optional>

namespace pinsync::state {

namespace {

std::optional<std::int64_t> optional_int64(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

std::optional<WriteAction> action_from_string(std::string_view s) {
  if (s == "create") return WriteAction::create;
  if (s == "update") return WriteAction::update;
  return std::nullopt;
}

}  // namespace

std::string row_name(std::string_view source, std::string_view source_id) {
  std::string name(source);
  name += '/';
  name += source_id;
  return name;
}

// Each reader follows the column order of its SELECTs in queries.h.
Result<RowRecord> read_row(const SQLite::Statement& q) {
  RowRecord r;
  r.source = q.getColumn(0).getString();
  r.source_id = q.getColumn(1).getString();
  r.row_ref = q.getColumn(2).getString();
  r.event_id = optional_int64(q.getColumn(3));
  r.payload_hash = q.getColumn(4).getString();
  const auto state_name = q.getColumn(5).getString();
  const auto state = row_state_from_string(state_name);
  if (!state) {
    return fail(ErrorKind::internal, "row " + row_name(r.source, r.source_id) +
                                         " has the unknown state \"" + state_name + "\"");
  }
  r.state = *state;
  r.error_field = q.getColumn(6).getString();
  r.error_value = q.getColumn(7).getString();
  r.error_reason = q.getColumn(8).getString();
  r.last_request_id = q.getColumn(9).getString();
  r.attempts = q.getColumn(10).getInt();
  r.created_at = q.getColumn(11).getInt64();
  r.updated_at = q.getColumn(12).getInt64();
  r.attempted_hash = q.getColumn(13).getString();
  r.next_attempt_at = q.getColumn(14).getInt64();
  r.event_title = q.getColumn(15).getString();
  r.event_start = q.getColumn(16).getString();
  r.event_status = q.getColumn(17).getString();
  return r;
}

Result<OutboxEntry> read_outbox(const SQLite::Statement& q) {
  OutboxEntry e;
  e.source = q.getColumn(0).getString();
  e.source_id = q.getColumn(1).getString();
  e.row_ref = q.getColumn(2).getString();
  const auto action_name = q.getColumn(3).getString();
  const auto action = action_from_string(action_name);
  if (!action) {
    return fail(ErrorKind::internal, "outbox entry " + row_name(e.source, e.source_id) +
                                         " has the unknown action \"" + action_name + "\"");
  }
  e.action = *action;
  e.event_id = optional_int64(q.getColumn(4));
  e.idempotency_key = q.getColumn(5).getString();
  e.body = q.getColumn(6).getString();  // BLOB: exact bytes, embedded NULs included
  e.payload_hash = q.getColumn(7).getString();
  e.created_at = q.getColumn(8).getInt64();
  return e;
}

Result<AuditRecord> read_audit(const SQLite::Statement& q) {
  AuditRecord a;
  a.source = q.getColumn(0).getString();
  a.source_id = q.getColumn(1).getString();
  a.row_ref = q.getColumn(2).getString();
  const auto action_name = q.getColumn(3).getString();
  const auto action = action_from_string(action_name);
  if (!action) {
    return fail(ErrorKind::internal, "audit record of " + row_name(a.source, a.source_id) +
                                         " has the unknown action \"" + action_name + "\"");
  }
  a.action = *action;
  a.idempotency_key = q.getColumn(4).getString();
  a.http_status = static_cast<long>(q.getColumn(5).getInt64());
  a.request_id = q.getColumn(6).getString();
  a.event_id = optional_int64(q.getColumn(7));
  a.at = q.getColumn(8).getInt64();
  a.fields = q.getColumn(9).getString();
  return a;
}

RunRecord read_run(const SQLite::Statement& q) {
  RunRecord r;
  r.id = q.getColumn(0).getInt64();
  r.source = q.getColumn(1).getString();
  r.trigger = q.getColumn(2).getString();
  r.started_at = q.getColumn(3).getInt64();
  r.finished_at = q.getColumn(4).getInt64();
  r.created = q.getColumn(5).getInt();
  r.updated = q.getColumn(6).getInt();
  r.unchanged = q.getColumn(7).getInt();
  r.invalid = q.getColumn(8).getInt();
  r.removed = q.getColumn(9).getInt();
  r.failed = q.getColumn(10).getInt();
  r.api_requests = q.getColumn(11).getInt();
  r.result = q.getColumn(12).getString();
  r.held = q.getColumn(13).getInt();
  r.dead = q.getColumn(14).getInt();
  r.detail = q.getColumn(15).getString();
  r.unpublished = q.getColumn(16).getInt();
  r.republished = q.getColumn(17).getInt();
  r.adopted = q.getColumn(18).getInt();
  return r;
}

}  // namespace pinsync::state

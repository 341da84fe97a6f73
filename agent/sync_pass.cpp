#include "agent/sync_pass.h"

#include "agent/keys.h"
#include "agent/resync_drift.h"
#include "core/hash.h"

namespace pinsync::agent {

namespace {

using state::OutboxEntry;
using state::RowState;
using state::WriteAction;
using state::WriteOutcome;

// Creates older than the idempotency window minus this are checked before a resend.
constexpr std::chrono::seconds k_window_margin{60};

std::int64_t unix_seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

std::string join_errors(const std::vector<RowError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    if (!e.field.empty()) out += e.field + ": ";
    out += e.reason;
  }
  return out;
}

class Executor {
 public:
  Executor(const PassContext& ctx, PassReport& report) : m_ctx(ctx), m_report(report) {}

  // Sends one create or update. Returns false when the source must stop (auth).
  bool apply(const PlanItem& item) {
    const auto& row = *item.row;
    auto pending = m_ctx.store->outbox(m_ctx.source.name, row.source_id);
    if (!pending) return store_failed(pending.error());

    // A create in doubt is finished with its stored body and key before anything else.
    if (*pending && (*pending)->action == WriteAction::create) {
      const OutboxEntry entry = **pending;
      const auto age = std::chrono::seconds(unix_seconds(m_ctx.clock) - entry.created_at);
      std::optional<std::int64_t> id;
      if (age > m_ctx.idempotency_window - k_window_margin) {
        // The key may have expired: resending could create a second event. Look first.
        const auto [what, found] = adopt_or_hold(entry, row);
        if (what == Adoption::stop) return m_continue;
        id = found;
      }
      if (!id) id = send(entry, row);
      if (!id) return m_continue;
      if (entry.payload_hash == row.payload_hash) {
        add(row, "created", *id, "");
        ++m_report.created;
        return true;
      }
      return send_update(row, *id);
    }
    if (item.action == PlanAction::create) {
      auto id = send(new_entry(row, WriteAction::create, std::nullopt), row);
      if (id) {
        add(row, "created", *id, "");
        ++m_report.created;
      }
      return m_continue;
    }
    return send_update(row, *item.stored->event_id);
  }

  // resync --force for a row the store thinks is in step: reads the event back and
  // re-sends the row when it drifted; without events:read, re-sends it regardless.
  // Returns false when the source must stop.
  bool force(const PlanItem& item) {
    const auto& row = *item.row;
    const std::int64_t event_id = *item.stored->event_id;
    if (m_can_read) {
      auto event = m_ctx.client.get_event(event_id);
      if (!event && event.error().kind == ErrorKind::auth) {
        m_ctx.log.warn("the key may not read events (events:read); --force re-sends every approved row",
                       {{"source", m_ctx.source.name}});
        m_can_read = false;
      } else if (!event) {
        add(row, "failed", event_id, "could not read the event back: " + event.error().message);
        ++m_report.failed;
        return true;
      } else {
        auto differs = event_differs(row.payload, *event);
        if (differs && !*differs) {
          ++m_report.unchanged;
          return true;
        }
      }
    }
    // The usual update key would be answered from Pinned Events' idempotency cache
    // without applying anything, so a forced write gets a key of its own.
    auto entry = new_entry(row, WriteAction::update, event_id);
    entry.idempotency_key =
        update_key(m_ctx.source.name, row.source_id + "-force-" + std::to_string(unix_seconds(m_ctx.clock)),
                   row.payload_hash);
    auto id = send(entry, row);
    if (id) {
      add(row, "updated", *id, "re-sent by resync --force");
      ++m_report.updated;
    }
    return m_continue;
  }

 private:
  enum class Adoption { adopted, resend, stop };
  struct AdoptionResult {
    Adoption what;
    std::optional<std::int64_t> event_id;  // for adopted
  };

  // A create whose outcome is unknown past the idempotency window: adopt the event if it
  // exists, resend if it does not, and hold the row for a person when we cannot look.
  AdoptionResult adopt_or_hold(const OutboxEntry& entry, const MappedRow& row) {
    auto found = m_ctx.client.find_created_event(entry.body);
    if (!found) {
      if (found.error().kind == ErrorKind::auth) {
        const std::string why =
            "a create sent earlier has an unknown outcome and its idempotency window has passed; the key "
            "lacks events:read, so pinsync cannot check whether the event exists: look in Pinned Events, "
            "then resync the row (or give the key events:read)";
        if (auto r = m_ctx.store->set_row_state(m_ctx.source.name, row.source_id, row.row_ref,
                                                RowState::needs_review, "", "", why);
            !r) {
          store_failed(r.error());
          return {Adoption::stop, std::nullopt};
        }
        add(row, "held", std::nullopt, why);
        ++m_report.held;
        return {Adoption::stop, std::nullopt};
      }
      add(row, "failed", std::nullopt, "could not check for an earlier create: " + found.error().message);
      ++m_report.failed;
      return {Adoption::stop, std::nullopt};
    }
    if (!*found) return {Adoption::resend, std::nullopt};
    if (auto r = m_ctx.store->record_success(entry, WriteOutcome{200, "", **found}); !r) {
      store_failed(r.error());
      return {Adoption::stop, std::nullopt};
    }
    m_ctx.log.info("adopted an event created by an earlier attempt",
                   {{"source", m_ctx.source.name}, {"row", row.row_ref}, {"event_id", std::to_string(**found)}});
    return {Adoption::adopted, *found};
  }

  // The outbox entry for sending `row`'s payload now.
  OutboxEntry new_entry(const MappedRow& row, WriteAction action, std::optional<std::int64_t> event_id) const {
    OutboxEntry entry;
    entry.source = m_ctx.source.name;
    entry.source_id = row.source_id;
    entry.row_ref = row.row_ref;
    entry.action = action;
    entry.event_id = event_id;
    entry.idempotency_key = action == WriteAction::create
                                ? create_key(m_ctx.source.name, row.source_id)
                                : update_key(m_ctx.source.name, row.source_id, row.payload_hash);
    entry.body = row.payload;
    entry.payload_hash = row.payload_hash;
    entry.created_at = unix_seconds(m_ctx.clock);
    return entry;
  }

  bool send_update(const MappedRow& row, std::int64_t event_id) {
    auto id = send(new_entry(row, WriteAction::update, event_id), row);
    if (id) {
      add(row, "updated", *id, "");
      ++m_report.updated;
    }
    return m_continue;
  }

  // Commits the outbox entry, sends it, records the outcome. Returns the event id on
  // success; otherwise nullopt with the row reported (and m_continue false on auth).
  std::optional<std::int64_t> send(OutboxEntry entry, const MappedRow& row) {
    entry.row_ref = row.row_ref;
    if (auto r = m_ctx.store->put_outbox(entry); !r) {
      store_failed(r.error());
      return std::nullopt;
    }
    const auto sent_at = m_ctx.clock.monotonic();
    const auto result = entry.action == WriteAction::create
                            ? m_ctx.client.create_event(entry.body, entry.idempotency_key)
                            : m_ctx.client.update_event(*entry.event_id, entry.body, entry.idempotency_key);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(m_ctx.clock.monotonic() - sent_at);
    WriteOutcome outcome{result.http_status, result.request_id, result.event_id};
    m_ctx.log.info(std::string(to_string(entry.action)),
                   {{"source", m_ctx.source.name},
                    {"row_ref", row.row_ref},
                    {"action", std::string(to_string(entry.action))},
                    {"status", std::to_string(result.http_status)},
                    {"duration_ms", std::to_string(took.count())},
                    {"result", std::string(to_string(result.status))},
                    {"request_id", result.request_id},
                    {"event_id", result.event_id ? std::to_string(*result.event_id) : ""}});

    auto fail_row = [&](RowState state, std::string_view field, const std::string& reason, bool keep) {
      if (auto r = m_ctx.store->record_failure(entry, outcome, state, field, reason, keep); !r) {
        store_failed(r.error());
      }
    };
    switch (result.status) {
      case WriteStatus::ok:
        if (entry.action == WriteAction::update && !outcome.event_id) outcome.event_id = entry.event_id;
        if (auto r = m_ctx.store->record_success(entry, outcome); !r) {
          store_failed(r.error());
          return std::nullopt;
        }
        return outcome.event_id;
      case WriteStatus::invalid:
        fail_row(RowState::invalid, result.field, result.message, false);
        add(row, "invalid", entry.event_id, result.message);
        ++m_report.invalid;
        return std::nullopt;
      case WriteStatus::auth:
        fail_row(RowState::failed, "", result.message, false);
        add(row, "failed", entry.event_id, result.message);
        ++m_report.failed;
        m_report.stopped = Error{ErrorKind::auth, m_ctx.source.name + ": " + result.message};
        m_continue = false;
        return std::nullopt;
      case WriteStatus::not_found: {
        const std::string why = "event " + std::to_string(entry.event_id.value_or(0)) +
                                " was deleted in Pinned Events; the row is not recreated";
        fail_row(RowState::gone, "", why, false);
        add(row, "held", entry.event_id, why);
        ++m_report.held;
        return std::nullopt;
      }
      case WriteStatus::conflict:
        if (entry.action == WriteAction::create) {
          // The key is in progress elsewhere or was used with another body: the stored
          // create is resent with the same key next pass, and looked up in Pinned Events
          // once the idempotency window has passed. Never a new key.
          const std::string why = result.message + " — will be resent with the same key";
          fail_row(RowState::failed, "", why, true);
          add(row, "failed", entry.event_id, why);
          ++m_report.failed;
        } else {
          const std::string why = result.message + " — check the event in Pinned Events, then resync the row";
          fail_row(RowState::needs_review, "", why, false);
          add(row, "held", entry.event_id, why);
          ++m_report.held;
        }
        return std::nullopt;
      case WriteStatus::retryable:
      case WriteStatus::in_doubt: {
        const bool keep = entry.action == WriteAction::create || result.status == WriteStatus::in_doubt;
        const std::string why = result.message + (keep ? " — will be resent with the same key" : " — will be retried");
        fail_row(RowState::failed, "", why, keep);
        add(row, "failed", entry.event_id, why);
        ++m_report.failed;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  bool store_failed(const Error& e) {
    m_report.stopped = e;
    m_continue = false;
    return false;
  }

  void add(const MappedRow& row, std::string action, std::optional<std::int64_t> event_id, std::string detail) {
    m_report.rows.push_back({row.row_ref, row.source_id, std::move(action), event_id, std::move(detail)});
  }

  const PassContext& m_ctx;
  PassReport& m_report;
  bool m_continue = true;
  bool m_can_read = true;  // cleared when the key lacks events:read
};

// Gives approved rows without an ID a new one, written into the source's ID column
// before their events are created, so identity survives sorting and inserted rows.
// Returns true when the table changed and must be mapped again.
bool assign_missing_ids(const PassContext& ctx, connectors::Table& table, const std::vector<MappedRow>& mapped) {
  std::optional<std::size_t> id_index;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i] == ctx.source.id_column) id_index = i;
  }
  if (!id_index) return false;
  std::vector<connectors::IdAssignment> wanted;
  std::vector<std::size_t> positions;
  const auto stamp = std::to_string(unix_seconds(ctx.clock));
  for (std::size_t i = 0; i < mapped.size() && i < table.rows.size(); ++i) {
    if (!mapped[i].approved || !mapped[i].source_id.empty()) continue;
    const auto& row = table.rows[i];
    std::string seed = ctx.source.name + '\x1f' + row.row_ref + '\x1f' + stamp;
    for (const auto& cell : row.cells) seed += '\x1f' + cell;
    wanted.push_back({row.row_ref, "PS-" + sha256_hex(seed).substr(0, 10), row.cells});
    positions.push_back(i);
  }
  if (wanted.empty()) return false;
  auto written = ctx.connector.assign_ids(wanted);
  if (!written) {
    ctx.log.warn("could not store new IDs in the source; those rows stay invalid until they have one",
                 {{"source", ctx.source.name}, {"reason", written.error().message}});
    return false;
  }
  for (const auto& done : *written) {
    for (std::size_t k = 0; k < wanted.size(); ++k) {
      if (wanted[k].row_ref != done.row_ref) continue;
      table.rows[positions[k]].cells[*id_index] = done.new_id;
      ctx.log.info("assigned an ID", {{"source", ctx.source.name}, {"row", done.row_ref}, {"id", done.new_id}});
    }
  }
  return !written->empty();
}

// Writes every known row's outcome back into the source; a failure is reported, never
// stops the sync.
void write_back(const PassContext& ctx, PassReport& report) {
  auto rows = ctx.store->rows(ctx.source.name);
  if (!rows) {
    report.write_back_error = rows.error().message;
    return;
  }
  std::vector<connectors::RowResult> results;
  results.reserve(rows->size());
  for (const auto& r : *rows) {
    if (r.source_id.starts_with('@')) continue;  // no identity to find the row by
    results.push_back({r.source_id, r.row_ref, r.event_id ? std::to_string(*r.event_id) : "",
                       std::string(state::to_string(r.state)), r.error_reason});
  }
  auto written = ctx.connector.write_back(results);
  if (!written) {
    report.write_back_error = written.error().message;
    ctx.log.warn("write-back failed; the sync itself is done", {{"source", ctx.source.name},
                                                                 {"reason", written.error().message}});
    return;
  }
  report.write_back_cells = written->cells_written;
}

}  // namespace

PassReport run_pass(const PassContext& ctx, PassMode mode, std::string_view trigger) {
  PassReport report;
  report.source = ctx.source.name;
  const int requests_before = ctx.client.requests_sent();
  const bool dry = mode == PassMode::dry_run;

  std::int64_t run_id = 0;
  if (!dry) {
    auto run = ctx.store->begin_run(ctx.source.name, trigger);
    if (!run) {
      report.stopped = run.error();
      return report;
    }
    run_id = *run;
  }

  auto finish = [&](PassReport& r) -> PassReport& {
    r.api_requests = ctx.client.requests_sent() - requests_before;
    if (!dry) {
      state::RunRecord rec;
      rec.id = run_id;
      rec.source = ctx.source.name;
      rec.trigger = std::string(trigger);
      rec.created = r.created;
      rec.updated = r.updated;
      rec.unchanged = r.unchanged;
      rec.invalid = r.invalid;
      rec.removed = r.removed;
      rec.failed = r.failed;
      rec.api_requests = r.api_requests;
      rec.result = r.stopped ? "stopped: " + r.stopped->message : (r.clean() ? "ok" : "rows_failed");
      if (auto f = ctx.store->finish_run(rec); !f && !r.stopped) r.stopped = f.error();
    }
    ctx.log.info("pass finished", {{"source", ctx.source.name},
                                   {"created", std::to_string(r.created)},
                                   {"updated", std::to_string(r.updated)},
                                   {"unchanged", std::to_string(r.unchanged)},
                                   {"invalid", std::to_string(r.invalid)},
                                   {"removed", std::to_string(r.removed)},
                                   {"failed", std::to_string(r.failed)},
                                   {"requests", std::to_string(r.api_requests)}});
    return r;
  };

  auto table = ctx.options.changes_only ? ctx.connector.fetch_changes() : ctx.connector.fetch();
  if (!table) {
    report.stopped = table.error().with_context(ctx.source.name);
    return finish(report);
  }
  auto mapped = map_table(ctx.source, *table, ctx.known_slugs);
  if (!mapped) {
    report.stopped = mapped.error();
    return finish(report);
  }
  if (!dry && ctx.connector.assigns_ids() && assign_missing_ids(ctx, *table, *mapped)) {
    mapped = map_table(ctx.source, *table, ctx.known_slugs);
    if (!mapped) {
      report.stopped = mapped.error();
      return finish(report);
    }
  }
  std::vector<state::RowRecord> stored;
  if (ctx.store != nullptr) {
    auto rows = ctx.store->rows(ctx.source.name);
    if (!rows) {
      report.stopped = rows.error();
      return finish(report);
    }
    stored = std::move(*rows);
  }
  const std::string& only_row = ctx.options.only_row;
  if (!dry && !only_row.empty()) {
    // A resync of one row is the person's answer to "check it, then resync the row".
    for (auto& rec : stored) {
      if (rec.source_id != only_row || (rec.state != RowState::needs_review && rec.state != RowState::gone)) continue;
      if (auto r = ctx.store->set_row_state(ctx.source.name, rec.source_id, "", RowState::failed, "", "",
                                            "re-armed by resync");
          !r) {
        report.stopped = r.error();
        return finish(report);
      }
      rec.state = RowState::failed;
      ctx.log.info("row re-armed by resync", {{"source", ctx.source.name}, {"row", rec.row_ref}});
    }
  }
  const Plan plan = make_plan(*mapped, stored, table->complete ? SourceRead::complete : SourceRead::changes_only);

  Executor executor(ctx, report);
  // Rows whose state changes without a request are written in one transaction at the end.
  std::vector<state::RowStateUpdate> updates;
  auto update = [&](std::string id, const std::string& row_ref, RowState st, std::string field,
                    std::string value, std::string reason) {
    updates.push_back({ctx.source.name, std::move(id), row_ref, st, std::move(field), std::move(value),
                       std::move(reason)});
  };
  bool go_on = true;
  for (const auto& item : plan.items) {
    if (!go_on) break;
    if (ctx.options.cancel != nullptr && ctx.options.cancel->load()) {
      report.stopped = Error{ErrorKind::transient, ctx.source.name +
                                                      ": the agent is stopping; the rest of this pass is left "
                                                      "for the next one (the outbox keeps sent writes safe)"};
      break;
    }
    if (!only_row.empty() && item.source_id != only_row) continue;
    switch (item.action) {
      case PlanAction::create:
      case PlanAction::update:
        if (dry) {
          report.rows.push_back({item.row_ref, item.source_id,
                                 "would " + std::string(to_string(item.action)),
                                 item.stored ? item.stored->event_id : std::nullopt, ""});
          item.action == PlanAction::create ? ++report.created : ++report.updated;
        } else {
          go_on = executor.apply(item);
        }
        break;
      case PlanAction::unchanged:
        if (!dry && ctx.options.force && item.stored->event_id) {
          go_on = executor.force(item);
          break;
        }
        ++report.unchanged;
        if (item.stored->state != RowState::synced || item.stored->row_ref != item.row_ref) {
          update(item.source_id, item.row_ref, RowState::synced, "", "", "");
        }
        break;
      case PlanAction::invalid: {
        ++report.invalid;
        const std::string reason = join_errors(item.errors);
        report.rows.push_back({item.row_ref, item.source_id, "invalid",
                               item.stored ? item.stored->event_id : std::nullopt, reason});
        ctx.log.warn("row invalid", {{"source", ctx.source.name}, {"row", item.row_ref}, {"reason", reason}});
        const auto& first = item.errors.front();
        update(store_id(*item.row), item.row_ref, RowState::invalid, first.field, first.value, reason);
        break;
      }
      case PlanAction::removed:
        ++report.removed;
        report.rows.push_back({item.row_ref, item.source_id, dry ? "would remove" : "removed",
                               item.stored->event_id, item.note});
        update(item.source_id, item.row_ref, RowState::removed, "", "", item.note);
        break;
      case PlanAction::held:
        ++report.held;
        report.rows.push_back({item.row_ref, item.source_id, "held", item.stored->event_id, item.note});
        break;
    }
  }
  if (!dry && !updates.empty()) {
    if (auto r = ctx.store->set_row_states(updates); !r && !report.stopped) report.stopped = r.error();
  }
  if (!dry && !report.stopped && ctx.connector.writes_back()) write_back(ctx, report);
  return finish(report);
}

}  // namespace pinsync::agent

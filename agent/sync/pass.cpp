#include "agent/sync/pass.h"

#include <algorithm>
#include <limits>
#include <set>

#include "agent/pinned/event_gist.h"
#include "agent/pinned/keys.h"
#include "agent/sync/executor.h"
#include "agent/sync/recovery.h"
#include "agent/sync/report.h"
#include "agent/sync/source_read.h"
#include "core/datetime.h"
#include "core/hash.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

using state::RowState;

std::string join_errors(const std::vector<RowError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    if (!e.field.empty()) out += e.field + ": ";
    out += e.reason;
  }
  return out;
}

// Why a complete read looks like a broken source rather than rows really unapproved: it
// has no approved row left, or it would remove more than the configured share of them.
// Returns "" when the read looks sound.
// `settled` and `plain_creates` are approved rows the plan did not see (KnownRows, PlainCreates).
std::string suspect_read(const SourceConfig& source, const Plan& plan, const std::vector<state::RowRecord>& stored,
                         long settled, long plain_creates) {
  if (source.max_removed_share >= 1.0) return "";
  const auto known = settled + std::count_if(stored.begin(), stored.end(), [](const state::RowRecord& r) {
    return r.state != RowState::removed && !state::is_placeholder_id(r.source_id);
  });
  // An unpublish of a row removed in an earlier pass (on_removed: draft turned on since) is
  // no removal of this read's.
  const auto removing = static_cast<int>(std::ranges::count_if(plan.items, [](const PlanItem& item) {
    return item.action == PlanAction::removed ||
           (item.action == PlanAction::unpublish && item.stored->state != RowState::removed);
  }));
  if (known == 0 || removing == 0) return "";
  const auto approved_now =
      settled + plain_creates + static_cast<long>(plan.items.size()) - plan.count(PlanAction::removed) - plan.count(PlanAction::unpublish);
  const std::string fix = " — check the source (a wrong range, a renamed tab, a half-loaded export?); if the rows "
                          "really are gone or unapproved, run pinsync resync --source " +
                          source.name + " --accept-removals";
  if (approved_now == 0) {
    return "the source has no approved row now, but " + std::to_string(known) + " were approved before" + fix;
  }
  if (static_cast<double>(removing) > source.max_removed_share * static_cast<double>(known)) {
    const int percent = static_cast<int>(100.0 * removing / static_cast<double>(known) + 0.5);
    return std::to_string(removing) + " of " + std::to_string(known) + " approved rows (" + std::to_string(percent) +
           "%) would be marked removed, more than max_removed_share (" +
           std::to_string(static_cast<int>(source.max_removed_share * 100 + 0.5)) + "%)" + fix;
  }
  return "";
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
    if (state::is_placeholder_id(r.source_id)) continue;  // no identity to find the row by
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
  report.write_back_skipped = std::move(written->skipped);
  for (const auto& why : report.write_back_skipped) {
    ctx.log.warn("not written back", {{"source", ctx.source.name}, {"reason", why}});
  }
}

bool is_requested(const PassOptions& options, const std::string& source_id) {
  return std::ranges::find(options.only_rows, source_id) != options.only_rows.end();
}

// The IDs a resync --row named that are neither in the source nor in the store, and the
// stop that names them with the closest known IDs (a typo is the usual cause).
std::optional<Error> unknown_requested_rows(const PassContext& ctx, const std::vector<MappedRow>& rows,
                                            const std::vector<state::RowRecord>& stored, PassReport& report) {
  if (ctx.options.only_rows.empty()) return std::nullopt;
  std::set<std::string> known;
  for (const auto& row : rows) known.insert(row.source_id);
  for (const auto& rec : stored) known.insert(rec.source_id);
  std::string message;
  for (const auto& id : ctx.options.only_rows) {
    if (known.contains(id)) continue;
    report.unknown_rows.push_back(id);
    const auto closest = text::closest(id, known, 3);
    message += std::string(message.empty() ? "" : "; ") + "no row with ID \"" + id + "\" in " + ctx.source.name;
    if (!closest.empty()) {
      message += " (closest:";
      for (const auto& c : closest) message += " " + std::string(c);
      message += ")";
    }
  }
  if (report.unknown_rows.empty()) return std::nullopt;
  return Error{ErrorKind::invalid, message + " — nothing was resynced; `pinsync errors --source " + ctx.source.name +
                                       "` lists the rows that need it"};
}

// resync --row and --dead are the person's answer to "check it, then resync": a held,
// failed, dead or refused row named by --row (and, with --dead, every dead row) is
// re-armed so it is planned and sent again, with its own idempotency key. Returns the ids
// of the rows that were held for review (their creates in doubt may be sent without a
// look-up).
Result<std::set<std::string>> rearm_requested_rows(const PassContext& ctx, std::vector<state::RowRecord>& stored) {
  std::set<std::string> reviewed;
  for (auto& rec : stored) {
    const bool asked = is_requested(ctx.options, rec.source_id) ||
                       (ctx.options.rearm_dead && rec.state == RowState::dead);
    if (!asked || rec.state == RowState::synced || rec.state == RowState::removed || rec.state == RowState::pending) {
      continue;
    }
    if (rec.state == RowState::gone && ctx.options.recreate_rows) continue;  // the plan recreates it
    // A person let its event go: only --recreate (in the plan) changes that.
    if (rec.state == RowState::forgotten) continue;
    if (rec.state == RowState::needs_review) reviewed.insert(rec.source_id);
    if (auto r = ctx.store->rearm(ctx.source.name, rec.source_id); !r) return std::unexpected(r.error());
    rec.state = RowState::failed;
    rec.attempts = 0;
    rec.attempted_hash.clear();
    rec.next_attempt_at = 0;
    rec.error_reason = "re-armed by resync";
    ctx.log.info("row re-armed by resync", {{"source", ctx.source.name}, {"row", rec.row_ref}});
  }
  return reviewed;
}

// resync --row … --forget: a person lets the deleted events of the named rows go. Every
// named row must be gone (or forgotten already: nothing to do); otherwise nothing changes and
// the error names each such row and its state.
Result<void> forget_requested_rows(const PassContext& ctx, const std::vector<MappedRow>& rows,
                                   std::vector<state::RowRecord>& stored) {
  std::string refused;
  for (const auto& id : ctx.options.only_rows) {
    const auto rec = std::ranges::find(stored, id, &state::RowRecord::source_id);
    if (rec != stored.end() && (rec->state == RowState::gone || rec->state == RowState::forgotten)) continue;
    refused += std::string(refused.empty() ? "" : "; ") + "row " + id + " is " +
               (rec == stored.end() ? "new (never synced)" : std::string(state::to_string(rec->state)));
  }
  if (!refused.empty()) {
    return fail(ErrorKind::invalid, ctx.source.name + ": --forget: " + refused +
                                        ", not gone: --forget only lets go of an event that was deleted in Pinned "
                                        "Events (pinsync errors --source " + ctx.source.name +
                                        " lists them) — nothing was changed");
  }
  for (auto& rec : stored) {
    if (rec.state != RowState::gone || !is_requested(ctx.options, rec.source_id)) continue;
    const auto row = std::ranges::find(rows, rec.source_id, &MappedRow::source_id);
    const std::string seen = row != rows.end() ? row->payload_hash : "";
    EventGist gist{rec.event_title, rec.event_start, rec.event_status};
    if (gist.title.empty() && gist.start.empty() && row != rows.end()) gist = gist_of(row->payload);
    const std::string reason = describe_event(rec.event_id.value_or(0), gist) +
                               " was deleted in Pinned Events and let go by resync --forget at " +
                               format_utc(unix_seconds(ctx.clock)) + ": nothing is sent for this row; pinsync resync "
                               "--source " + ctx.source.name + " --row " + rec.source_id + " --recreate creates it again";
    if (auto r = ctx.store->forget_row(ctx.source.name, rec.source_id, seen, reason); !r) {
      return std::unexpected(r.error());
    }
    rec.state = RowState::forgotten;
    rec.attempted_hash = seen;
    rec.attempts = 0;
    rec.next_attempt_at = 0;
    rec.error_reason = reason;
    ctx.log.info("deleted event let go by resync --forget", {{"source", ctx.source.name}, {"row", rec.row_ref}});
  }
  return {};
}

// The rows whose outbox holds an unpublish or republish of unknown outcome (a crash or a lost
// answer): their events may be drafts or published. Asked only when rows are left to plan.
Result<std::set<std::string, std::less<>>> status_writes_in_doubt(const PassContext& ctx,
                                                                   const std::vector<state::RowRecord>& stored) {
  std::set<std::string, std::less<>> ids;
  if (ctx.store == nullptr || stored.empty()) return ids;
  auto entries = ctx.store->outbox_entries(ctx.source.name);
  if (!entries) return std::unexpected(entries.error());
  for (const auto& e : *entries) {
    if (is_status_key(e.idempotency_key)) ids.insert(e.source_id);
  }
  return ids;
}

// What the plan asks of the pass: requests to send, unchanged rows to check (--force), and
// row states to store without a request (in one transaction).
struct Work {
  std::vector<const PlanItem*> writes;
  std::vector<const PlanItem*> forced;
  std::vector<state::RowStateUpdate> updates;
};

// What a planned update changes, field by field: what the store says the event holds (as
// pinsync last wrote it) against the row's payload; empty when the store does not know.
std::vector<FieldChange> planned_changes(const PassContext& ctx, const PlanItem& item) {
  if (ctx.store == nullptr || item.row == nullptr) return {};
  const auto* owner = item.taken_from != nullptr ? item.taken_from : item.stored;
  if (owner == nullptr) return {};
  auto before = ctx.store->row_payload(ctx.source.name, owner->source_id);
  if (!before || !*before) return {};
  auto changes = payload_changes(**before, item.row->payload);
  return changes ? std::move(*changes) : std::vector<FieldChange>{};
}

// Sorts the plan's items into `work` and reports every row that needs no request; a dry
// run's plain creates (`source.creates`) are reported in their places among the rows.
Work sort_plan(const PassContext& ctx, PassMode mode, const Plan& plan, const SourceRows& source, PassReport& report) {
  const bool dry = mode == PassMode::dry_run;
  Work work;
  const auto& creates = source.creates.rows();
  if (dry) report.rows.reserve(plan.items.size() + source.creates.size());
  std::size_t next_create = 0;
  auto report_creates_before = [&](std::size_t position) {
    for (; next_create < creates.size() && creates[next_create].position < position; ++next_create) {
      const auto& row = creates[next_create];
      if (row.given_back) continue;  // planned with the other rows of its ID
      report.rows.push_back({std::string(row.row_ref), std::string(row.source_id), RowAction::would_create,
                             std::nullopt, ""});
      ++report.created;
    }
  };
  auto update = [&](const std::string& id, const std::string& row_ref, RowState st, std::string field,
                    std::string value, std::string reason) {
    work.updates.push_back({ctx.source.name, id, row_ref, st, std::move(field), std::move(value), std::move(reason)});
  };
  auto add = [&](const PlanItem& item, RowAction action, std::string detail = "") {
    report.rows.push_back({item.row_ref, item.source_id, action, item.stored ? item.stored->event_id : std::nullopt,
                           std::move(detail)});
  };
  constexpr auto k_after_all = std::numeric_limits<std::size_t>::max();
  for (const auto& item : plan.items) {
    report_creates_before(item.row != nullptr ? source.position_of(*item.row) : k_after_all);
    if (!ctx.options.only_rows.empty() && !is_requested(ctx.options, item.source_id)) continue;
    switch (item.action) {
      case PlanAction::create:
      case PlanAction::update:
        if (item.taken_from != nullptr && item.taken_from->state != RowState::removed && !report.suspect.empty()) {
          // Its event's row is not marked removed while the read is suspect: not yet free.
          ++report.held;
          add(item, RowAction::held,
              "re-added with event " + std::to_string(*item.taken_from->event_id) + " of " +
                  item.taken_from->source_id + ", whose removal waits with this suspect read: it takes the event "
                                               "over once that removal is accepted");
          break;
        }
        if (!dry) {
          work.writes.push_back(&item);
          break;
        }
        add(item, item.action == PlanAction::create ? RowAction::would_create : RowAction::would_update, item.note);
        item.action == PlanAction::create ? ++report.created : ++report.updated;
        if (item.action == PlanAction::update) report.rows.back().changes = planned_changes(ctx, item);
        break;
      case PlanAction::unchanged:
        if (!dry && ctx.options.force && item.stored->event_id) {
          work.forced.push_back(&item);
          break;
        }
        ++report.unchanged;
        if (item.back) {
          const std::string event = std::to_string(*item.stored->event_id);
          add(item, RowAction::unchanged,
              item.note + (dry ? "; its event " + event + " already matches it" : "; synced to its event " + event + " again"));
        }
        if (item.stored->state != RowState::synced || item.stored->row_ref != item.row_ref) {
          update(item.source_id, item.row_ref, RowState::synced, "", "", "");
        }
        break;
      case PlanAction::invalid: {
        ++report.invalid;
        const std::string reason = join_errors(item.errors);
        add(item, RowAction::invalid, reason);
        // Warned once, when the row becomes invalid (or for another reason); later passes only
        // count it (the pass's summary line), so a row left invalid does not fill the log. A
        // plan prints every invalid row in its report, so its log says it only at debug.
        const bool known = item.duplicate_stored ||
                           (item.stored && item.stored->state == RowState::invalid && item.stored->error_reason == reason);
        ctx.log.log(dry || known ? LogLevel::debug : LogLevel::warn, known ? "row still invalid" : "row invalid",
                    {{"source", ctx.source.name}, {"row", item.row_ref}, {"reason", reason}});
        if (item.refused_before) break;  // stored as it is; storing it again would re-arm it
        const auto& first = item.errors.front();
        // Stored as it is already: a write per pass for a row left invalid cost an agent
        // polling many sources a disk flush each time.
        if (item.duplicate_stored || (known && item.stored->row_ref == item.row_ref &&
                                      item.stored->error_field == first.field &&
                                      item.stored->source_id == store_id(*item.row))) {
          break;
        }
        update(store_id(*item.row), item.row_ref, RowState::invalid, first.field, first.value, reason);
        break;
      }
      case PlanAction::removed:
        if (!report.suspect.empty()) break;
        ++report.removed;
        add(item, dry ? RowAction::would_remove : RowAction::removed, item.note);
        update(item.source_id, item.row_ref, RowState::removed, "", "", item.note);
        break;
      case PlanAction::unpublish:
        // Only what the suspect-read guard let through: a broken read takes nothing down.
        if (!report.suspect.empty()) break;
        if (!dry) {
          // Marked removed before the send (a row a retry left failed keeps its place in
          // the queue); the executor records the unpublish's outcome.
          if (!item.retry) update(item.source_id, item.row_ref, RowState::removed, "", "", item.note);
          work.writes.push_back(&item);
          break;
        }
        ++report.removed;
        ++report.unpublished;
        add(item, RowAction::would_unpublish, item.note);
        break;
      case PlanAction::republish:
        if (!dry) {
          work.writes.push_back(&item);
          break;
        }
        ++report.updated;
        ++report.republished;
        add(item, RowAction::would_republish, item.note);
        break;
      case PlanAction::held:
        ++report.held;
        add(item, RowAction::held, item.note);
        break;
      case PlanAction::waiting:
        ++report.failed;
        add(item, RowAction::waiting, item.note);
        break;
      case PlanAction::dead:
        ++report.dead;
        add(item, RowAction::dead, item.note);
        break;
      case PlanAction::forgotten:
        // Nothing to do by a person's decision: counted as unchanged, shown when asked about
        // or when an edit is left unsent.
        ++report.unchanged;
        if (report.row_scoped || item.edited) add(item, RowAction::forgotten, item.note);
        break;
    }
  }
  report_creates_before(k_after_all);
  return work;
}

// The requests every client of the pass has sent so far.
int requests_sent(const PassContext& ctx) {
  int n = ctx.senders.empty() ? ctx.client.requests_sent() : 0;
  for (const auto* c : ctx.senders) n += c->requests_sent();
  return n;
}

// The pass's entry in the run log (none in a dry run). A pass that writes rows begins it
// before its first write, so a pass cut short (a crash, a kill) stays "(unfinished)" in the
// history; a pass that writes none logs it whole as it ends — one write instead of two, and
// most passes of an agent polling many sources change nothing.
class RunEntry {
 public:
  // Checks first that the state file is still the one at its path: a state file deleted
  // under a running agent would take every write since.
  static Result<RunEntry> open(const PassContext& ctx, PassMode mode, std::string_view trigger) {
    RunEntry entry;
    if (mode == PassMode::dry_run) return entry;
    if (auto here = ctx.store->check_file(); !here) return std::unexpected(here.error());
    entry.m_store = ctx.store;
    entry.m_record.source = ctx.source.name;
    entry.m_record.trigger = ctx.options.only_rows.empty() ? trigger : k_row_resync_trigger;
    entry.m_record.started_at = unix_seconds(ctx.clock);
    return entry;
  }
  // Begins the entry before the pass's first write (once; nothing in a dry run).
  Result<void> begin() {
    if (m_store == nullptr || m_record.id != 0) return {};
    auto run = m_store->begin_run(m_record.source, m_record.trigger);
    if (!run) return std::unexpected(run.error());
    m_record.id = *run;
    return {};
  }
  // Ends the entry, begun or not, with what the report came to.
  Result<void> end(const PassReport& report) {
    if (m_store == nullptr) return {};
    auto rec = run_record_of(report);
    rec.id = m_record.id;
    rec.trigger = m_record.trigger;
    rec.started_at = m_record.started_at;
    return rec.id != 0 ? m_store->finish_run(rec) : m_store->log_run(rec);
  }

 private:
  RunEntry() = default;
  state::Store* m_store = nullptr;
  state::RunRecord m_record;
};

// Ends a pass: counts its requests, ends its run log entry and logs the summary. Takes the
// report and gives it back (a plan's million rows are not copied).
PassReport finish(const PassContext& ctx, PassReport&& r, RunEntry& run, int requests_before) {
  r.api_requests = requests_sent(ctx) - requests_before;
  if (auto ended = run.end(r); !ended && !r.stopped) r.stopped = ended.error();
  ctx.log.info("pass finished", {{"source", ctx.source.name},
                                 {"result", std::string(to_string(result_of(r)))},
                                 {"created", r.created},
                                 {"updated", r.updated},
                                 {"unchanged", r.unchanged},
                                 {"invalid", r.invalid},
                                 {"removed", r.removed},
                                 {"held", r.held},
                                 {"failed", r.failed},
                                 {"dead", r.dead},
                                 {"requests", r.api_requests}});
  return r;
}

}  // namespace

namespace {

Result<state::RowDigests> stored_digests(const PassContext& ctx) {
  if (ctx.store == nullptr) return state::RowDigests{};
  return ctx.store->row_digests(ctx.source.name);
}

// Stores the cells tokens the read found missing or old (a row the store does not have is
// skipped). They only save mapping later: a failure costs speed, never a row.
void keep_tokens(const PassContext& ctx, const std::vector<state::CellsToken>& tokens) {
  if (tokens.empty()) return;
  if (auto r = ctx.store->set_cells_tokens(ctx.source.name, tokens); !r) {
    ctx.log.warn("could not store the cells of unchanged rows; they are mapped again next pass",
                 {{"source", ctx.source.name}, {"reason", r.error().message}});
  }
}

// The records of every stored row the read did not settle.
Result<std::vector<state::RowRecord>> unsettled_records(const PassContext& ctx, const KnownRows& known) {
  if (ctx.store == nullptr || known.size() == static_cast<std::size_t>(known.settled())) {
    return std::vector<state::RowRecord>{};
  }
  return ctx.store->rows_where(ctx.source.name, [&](std::string_view id) { return !known.is_settled(id); });
}

// What resync --row, --dead and --forget do to the named rows before the plan (nothing in a
// dry run). Returns the rows that were held for review (rearm_requested_rows).
Result<std::set<std::string>> act_on_requested_rows(const PassContext& ctx, PassMode mode, const PassReport& report,
                                                     const std::vector<MappedRow>& rows,
                                                     std::vector<state::RowRecord>& stored) {
  if (mode == PassMode::dry_run) return std::set<std::string>{};
  if (report.row_scoped && ctx.options.forget_rows) {
    if (auto forgotten = forget_requested_rows(ctx, rows, stored); !forgotten) return std::unexpected(forgotten.error());
    return std::set<std::string>{};
  }
  if (report.row_scoped || ctx.options.rearm_dead) return rearm_requested_rows(ctx, stored);
  return std::set<std::string>{};
}

// The plan's options for this pass. `status_writes` and `known` must outlive them.
PlanOptions plan_options_for(const PassContext& ctx, const PassReport& report, SourceRead read,
                             const std::set<std::string, std::less<>>& status_writes, KnownRows& known) {
  PlanOptions options;
  options.read = read;
  options.now = unix_seconds(ctx.clock);
  options.retry_now = ctx.options.manual;
  // --recreate applies to the named rows only: the others are not part of this pass.
  options.recreate_deleted = ctx.source.recreate_deleted || (report.row_scoped && ctx.options.recreate_rows);
  options.recreate_forgotten = report.row_scoped && ctx.options.recreate_rows;
  options.unpublish_removed = ctx.source.on_removed == OnRemoved::draft;
  options.unknown_may_be_published = ctx.source.status == EventStatus::published || !ctx.source.status_column.empty();
  if (!status_writes.empty()) {
    options.status_in_doubt = [&status_writes](std::string_view id) { return status_writes.contains(id); };
  }
  if (known.settled() > 0) options.settled_owner = [&known](std::int64_t event) { return known.settled_owner(event); };
  return options;
}

// Why rows the store does not know may have events already (its state was lost, is new or
// was put back from a backup), "" when they cannot: the executor then looks for them before
// creating, and a plan says that sync will.
Result<std::string> recovery_of(const PassContext& ctx, const KnownRows& known) {
  if (ctx.store == nullptr) return std::string("there is no state file yet (a new or lost state file)");
  return recovery_reason(*ctx.store, ctx.source.name, known.size() > 0);
}

// Sends what the plan asks (the plan's row states are stored), settles a finished recovery
// and writes the results back into the source.
void apply_plan(const PassContext& ctx, PassReport& report, const Work& work, std::string recovering,
                std::set<std::string> reviewed_rows) {
  PassContext pass_ctx = ctx;
  pass_ctx.recovering = std::move(recovering);
  if (ctx.options.recover && pass_ctx.recovering.empty()) {
    pass_ctx.recovering = "pinsync recover was asked to look for the events of rows the state file does not know";
  }
  if (ctx.options.accept_new_state && !pass_ctx.recovering.empty()) {
    ctx.log.warn("creating rows the state file does not know without looking for their events (--accept-new-state)",
                 {{"source", ctx.source.name}, {"reason", pass_ctx.recovering}});
    pass_ctx.recovering.clear();
  }
  if (std::ranges::any_of(work.writes, [](const PlanItem* i) { return i->action == PlanAction::create; })) {
    report.recovering = pass_ctx.recovering;
  }
  Executor(pass_ctx, report, std::move(reviewed_rows)).run(work.writes, work.forced);
  const bool was_recovering = !pass_ctx.recovering.empty() || ctx.options.accept_new_state;
  if (was_recovering && !report.stopped && !report.recovery_open && !report.row_scoped) {
    if (auto r = settle_recovery(*ctx.store, ctx.source.name); !r) report.stopped = r.error();
  }
  if (!report.stopped && ctx.connector.writes_back()) write_back(ctx, report);
}

}  // namespace

// One pass, as a story: open its run log entry, read the source against the stored digests (settling
// unchanged rows), plan the rest against their records, then store, send and write back.
PassReport run_pass(const PassContext& ctx, PassMode mode, std::string_view trigger) {
  PassReport report;
  report.source = ctx.source.name;
  report.row_scoped = !ctx.options.only_rows.empty();
  const int requests_before = requests_sent(ctx);
  auto run = RunEntry::open(ctx, mode, trigger);
  if (!run) {
    report.stopped = run.error();
    return report;
  }
  auto stop = [&](Error e) -> PassReport {
    report.stopped = std::move(e);
    return finish(ctx, std::move(report), *run, requests_before);
  };

  auto digests = stored_digests(ctx);
  if (!digests) return stop(digests.error());
  KnownRows known(std::move(*digests));
  // A read of only the changes leaves out unchanged rows, and with them a row of the retry
  // queue whose time has come: then the whole source is read. Settled rows need no plan,
  // except for a forced pass (it sends them) and a resync of named rows (it must know every ID).
  const bool changes_only = ctx.options.changes_only && !known.retry_due(unix_seconds(ctx.clock));
  auto source = read_source(ctx, mode, changes_only, known, !ctx.options.force && !report.row_scoped);
  if (!source) return stop(source.error());
  auto stored = unsettled_records(ctx, known);
  if (!stored) return stop(stored.error());
  if (auto unknown = unknown_requested_rows(ctx, source->rows, *stored, report)) return stop(*unknown);
  // A resync of named rows or of the dead ones changes rows before the plan.
  if (report.row_scoped || ctx.options.rearm_dead) {
    if (auto begun = run->begin(); !begun) return stop(begun.error());
  }
  auto reviewed_rows = act_on_requested_rows(ctx, mode, report, source->rows, *stored);
  if (!reviewed_rows) return stop(reviewed_rows.error());

  const auto status_writes = status_writes_in_doubt(ctx, *stored);
  if (!status_writes) return stop(status_writes.error());
  const Plan plan = make_plan(source->rows, *stored, plan_options_for(ctx, report, source->read, *status_writes, known));
  report.unchanged += static_cast<int>(known.settled());
  if (source->read == SourceRead::complete && !ctx.options.accept_removals) {
    report.suspect = suspect_read(ctx.source, plan, *stored, known.settled(), static_cast<long>(source->creates.size()));
    if (!report.suspect.empty()) {
      ctx.log.warn("suspect read: nothing is marked removed", {{"source", ctx.source.name}, {"reason", report.suspect}});
    }
  }
  const Work work = sort_plan(ctx, mode, plan, *source, report);
  auto recovering = recovery_of(ctx, known);
  if (!recovering) return stop(recovering.error());
  if (mode == PassMode::dry_run) {
    if (report.created > 0) report.recovering = std::move(*recovering);  // else nothing to look for
    return finish(ctx, std::move(report), *run, requests_before);
  }
  if (!work.updates.empty() || !work.writes.empty() || !work.forced.empty()) {
    if (auto begun = run->begin(); !begun) return stop(begun.error());
  }
  if (auto r = ctx.store->set_row_states(work.updates); !r) return stop(r.error());
  apply_plan(ctx, report, work, std::move(*recovering), std::move(*reviewed_rows));
  keep_tokens(ctx, source->tokens);  // after the writes: a new row's record exists now
  return finish(ctx, std::move(report), *run, requests_before);
}

PassOptions manual_pass(const ResyncAsk& ask) {
  PassOptions options;
  options.only_rows = ask.rows;
  options.rearm_dead = ask.dead;
  options.recreate_rows = ask.recreate;
  options.forget_rows = ask.forget;
  options.force = ask.force;
  options.manual = true;
  options.accept_removals = ask.accept_removals;
  options.recover = ask.recover;
  options.accept_new_state = ask.accept_new_state;
  return options;
}

std::string pause_fingerprint(const PinnedConfig& pinned, const SourceConfig& source) {
  return sha256_hex(pinned.api_key + '\x1f' + pinned.base_url + '\x1f' + std::to_string(source.channel_id));
}

namespace {

// The fact that remembers which pause the log already told of (its start, unix seconds).
constexpr std::string_view k_pause_told = "pinsync.pause_told";

// A skipped pass is said at info once per pause — the first pass it stops — and at debug on
// every later poll, so a paused source does not fill the log.
LogLevel skipped_level(state::Store& store, const std::string& source, std::int64_t since) {
  const std::string mark = std::to_string(since);
  const auto told = store.fact(source, k_pause_told);
  if (told && *told && **told == mark) return LogLevel::debug;
  (void)store.set_fact(source, k_pause_told, mark, state::Durability::cached);  // lost: told again, no harm
  return LogLevel::info;
}

}  // namespace

std::optional<PassReport> check_pause(state::Store& store, const SourceConfig& source, std::string_view fingerprint,
                                      bool resume, Logger& log) {
  PassReport report;
  report.source = source.name;
  auto pause = store.pause(source.name);
  if (!pause) {
    report.stopped = pause.error();
    return report;
  }
  if (!*pause) return std::nullopt;
  if ((*pause)->by == state::PausedBy::operator_) {
    // A person's pause is ended by a person: neither a resync nor a new key ends it.
    log.log(skipped_level(store, source.name, (*pause)->since), "pass skipped: the source is paused by an operator",
            {{"source", source.name}, {"reason", (*pause)->reason}});
    report.paused = true;
    report.operator_pause = true;
    report.stopped = Error{ErrorKind::config, source.name + ": paused by an operator since " +
                                                  format_utc((*pause)->since) + ": " + (*pause)->reason +
                                                  " — pinsync resume --source " + source.name + " ends the pause"};
    return report;
  }
  if (resume || (*pause)->fingerprint != fingerprint) {
    if (auto r = store.clear_pause(source.name); !r) {
      report.stopped = r.error();
      return report;
    }
    log.info(resume ? "source resumed by a manual resync" : "source resumed: the API key or channel changed",
             {{"source", source.name}});
    return std::nullopt;
  }
  log.log(skipped_level(store, source.name, (*pause)->since), "pass skipped: the source is paused",
          {{"source", source.name}, {"reason", (*pause)->reason}});
  report.paused = true;
  report.stopped = Error{ErrorKind::auth, source.name + ": paused since " + format_utc((*pause)->since) + ": " +
                                              (*pause)->reason + " — after fixing the key, run pinsync resync --source " +
                                              source.name + " (a changed key or channel resumes it by itself)"};
  return report;
}

void pause_if_refused(state::Store& store, PassReport& report, std::string_view fingerprint, Logger& log) {
  if (!report.key_refused || !report.stopped) return;
  if (auto r = store.set_pause(report.source, report.stopped->message, fingerprint, state::PausedBy::pinsync); !r) {
    log.error("could not record the pause", {{"source", report.source}, {"reason", r.error().message}});
    return;
  }
  report.paused = true;
  log.warn("source paused: Pinned Events refused the key", {{"source", report.source},
                                                             {"reason", report.stopped->message}});
}

}  // namespace pinsync::agent

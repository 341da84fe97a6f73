#include "agent/planner.h"

#include <unordered_map>
#include <unordered_set>

#include "core/datetime.h"

namespace pinsync::agent {

std::string_view to_string(PlanAction a) {
  switch (a) {
    case PlanAction::create: return "create";
    case PlanAction::update: return "update";
    case PlanAction::unchanged: return "unchanged";
    case PlanAction::invalid: return "invalid";
    case PlanAction::removed: return "removed";
    case PlanAction::held: return "held";
    case PlanAction::waiting: return "waiting";
    case PlanAction::dead: return "dead";
  }
  return "unchanged";
}

std::string store_id(const MappedRow& row) {
  return row.source_id.empty() ? "@" + row.row_ref : row.source_id;
}

int Plan::count(PlanAction a) const {
  int n = 0;
  for (const auto& item : items) n += item.action == a ? 1 : 0;
  return n;
}

namespace {

// Decides a valid, approved row that has a stored record in a state the retry queue or
// a person owns. Returns false when the ordinary create/update/unchanged rules apply.
bool plan_stored_state(PlanItem& item, const MappedRow& row, const state::RowRecord& rec, const PlanOptions& options) {
  using state::RowState;
  const bool same_payload = !rec.attempted_hash.empty() && rec.attempted_hash == row.payload_hash;
  switch (rec.state) {
    case RowState::needs_review:
      item.action = PlanAction::held;
      item.note = rec.error_reason;
      return true;
    case RowState::gone:
      if (options.recreate_deleted) {
        item.action = PlanAction::create;
        item.recreate = true;
      } else {
        item.action = PlanAction::held;
        item.note = rec.error_reason;
      }
      return true;
    case RowState::dead:
      if (!same_payload) return false;  // edited: a fresh start
      item.action = PlanAction::dead;
      item.note = rec.error_reason;
      return true;
    case RowState::invalid:
      if (!same_payload) return false;
      // Pinned Events refused exactly this payload; sending it again would be refused again.
      item.action = PlanAction::invalid;
      item.refused_before = true;
      item.errors.push_back({rec.error_field, "", rec.error_reason});
      return true;
    case RowState::failed:
      if (same_payload && !options.retry_now && rec.next_attempt_at > options.now) {
        item.action = PlanAction::waiting;
        item.note = rec.error_reason + " — attempt " + std::to_string(rec.attempts + 1) + " at " +
                    format_utc(rec.next_attempt_at);
        return true;
      }
      item.retry = true;
      return false;
    default:
      return false;
  }
}

}  // namespace

Plan make_plan(const std::vector<MappedRow>& rows, const std::vector<state::RowRecord>& stored,
               const PlanOptions& options) {
  using state::RowState;
  const SourceRead read = options.read;
  std::unordered_map<std::string_view, const state::RowRecord*> by_id;
  by_id.reserve(stored.size());
  for (const auto& rec : stored) by_id.emplace(rec.source_id, &rec);

  // Where each source id occurs, to find duplicates.
  std::unordered_map<std::string_view, std::vector<const MappedRow*>> occurrences;
  occurrences.reserve(rows.size());
  for (const auto& row : rows) {
    if (!row.source_id.empty()) occurrences[row.source_id].push_back(&row);
  }

  Plan plan;
  plan.items.reserve(rows.size());
  std::unordered_set<std::string> approved_seen;  // store ids of approved rows
  approved_seen.reserve(rows.size());

  for (const auto& row : rows) {
    if (!row.approved) continue;
    PlanItem item;
    item.source_id = row.source_id;
    item.row_ref = row.row_ref;
    item.row = &row;
    approved_seen.insert(store_id(row));
    if (!row.source_id.empty()) {
      if (const auto it = by_id.find(row.source_id); it != by_id.end()) item.stored = *it->second;
    }

    const auto& same_id = occurrences[row.source_id];
    if (!row.source_id.empty() && same_id.size() > 1) {
      item.action = PlanAction::invalid;
      std::string others;
      for (const auto* other : same_id) {
        if (other == &row) continue;
        if (!others.empty()) others += ", ";
        others += other->row_ref;
      }
      item.errors.push_back({"", row.source_id,
                             "the ID \"" + row.source_id + "\" is used by more than one row (also " + others +
                                 "): give each row its own ID"});
    } else if (!row.errors.empty()) {
      item.action = PlanAction::invalid;
      item.errors = row.errors;
    } else if (item.stored && plan_stored_state(item, row, *item.stored, options)) {
      // decided by the retry queue or a person
    } else if (!item.stored || !item.stored->event_id) {
      item.action = PlanAction::create;
    } else if (item.stored->payload_hash != row.payload_hash) {
      item.action = PlanAction::update;
    } else {
      item.action = PlanAction::unchanged;
    }
    plan.items.push_back(std::move(item));
  }

  for (const auto& rec : stored) {
    if (approved_seen.contains(rec.source_id) || rec.state == RowState::removed) continue;
    const auto it = occurrences.find(rec.source_id);
    if (read == SourceRead::changes_only && it == occurrences.end()) continue;  // unchanged, not gone
    PlanItem item;
    item.action = PlanAction::removed;
    item.source_id = rec.source_id;
    item.row_ref = rec.row_ref;
    item.stored = rec;
    item.note = it == occurrences.end() ? "the row is no longer in the source"
                                        : "the row is no longer approved";
    if (it != occurrences.end()) item.row_ref = it->second.front()->row_ref;
    plan.items.push_back(std::move(item));
  }
  return plan;
}

}  // namespace pinsync::agent

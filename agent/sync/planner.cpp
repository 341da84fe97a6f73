#include "agent/sync/planner.h"

#include <charconv>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "agent/pinned/event_gist.h"
#include "core/datetime.h"
#include "core/hash.h"

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
    case PlanAction::forgotten: return "forgotten";
    case PlanAction::unpublish: return "unpublish";
    case PlanAction::republish: return "republish";
  }
  return "unchanged";
}

std::string unpublished_hash(std::string_view payload_hash) {
  return sha256_hex("unpublished\x1f" + std::string(payload_hash));
}

std::string store_id(const MappedRow& row) {
  return row.source_id.empty() ? state::placeholder_id(row.row_ref) : row.source_id;
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
    case RowState::forgotten:
      if (options.recreate_forgotten) {
        item.action = PlanAction::create;
        item.recreate = true;
        return true;
      }
      item.action = PlanAction::forgotten;
      item.note = rec.error_reason;
      // An edit would create a second show if sent anywhere: it waits for a person too.
      item.edited = rec.attempted_hash != row.payload_hash;
      if (item.edited) item.note = "edited since, not sent: " + item.note;
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

bool in_doubt(const state::RowRecord& rec, const PlanOptions& options) {
  return options.status_in_doubt && options.status_in_doubt(rec.source_id);
}

// True when a removed row's event is to be taken down: it has one, it was not deleted, and
// it is (or may be) published.
bool to_take_down(const state::RowRecord& rec, const PlanOptions& options) {
  using state::RowState;
  if (!options.unpublish_removed || !rec.event_id) return false;
  if (rec.state == RowState::gone || rec.state == RowState::forgotten) return false;
  if (in_doubt(rec, options)) return true;
  if (rec.event_status.empty()) return options.unknown_may_be_published;
  return rec.event_status == "published";
}

// Plans the unpublish of `rec`'s event, under the retry queue's rules when the last
// unpublish of this very event content failed.
void plan_take_down(PlanItem& item, const state::RowRecord& rec, const PlanOptions& options) {
  using state::RowState;
  item.action = PlanAction::unpublish;
  item.note += "; its event " + std::to_string(*rec.event_id) + " is taken down to draft (on_removed: draft)";
  if (rec.attempted_hash.empty() || rec.attempted_hash != unpublished_hash(rec.payload_hash)) return;
  switch (rec.state) {
    case RowState::dead:
      item.action = PlanAction::dead;
      item.note = rec.error_reason;
      return;
    case RowState::invalid:
      // Pinned Events refused this very unpublish; sending it again would be refused again.
      item.action = PlanAction::invalid;
      item.refused_before = true;
      item.errors.push_back({rec.error_field, "", rec.error_reason});
      return;
    case RowState::needs_review:
      item.action = PlanAction::held;
      item.note = rec.error_reason;
      return;
    case RowState::failed:
      if (!options.retry_now && rec.next_attempt_at > options.now) {
        item.action = PlanAction::waiting;
        item.note = rec.error_reason + " — attempt " + std::to_string(rec.attempts + 1) + " at " +
                    format_utc(rec.next_attempt_at);
        return;
      }
      item.retry = true;
      return;
    default:
      return;
  }
}

// A row approved again whose event pinsync took down, or may have: its payload goes back with
// the status it says.
bool to_bring_back(const state::RowRecord& rec, const PlanOptions& options) {
  return rec.event_id && (rec.event_status == k_unpublished || in_doubt(rec, options));
}

std::string bring_back_note(const MappedRow& row, std::int64_t event) {
  const std::string status = gist_of(row.payload).status;
  return "back in the source: its event " + std::to_string(event) +
         ", taken down to draft when the row was removed, is " +
         (status == "published" ? "published again" : "brought back as " + (status.empty() ? "the row says" : status));
}

// Everything the planner knows about one source id, found with one lookup.
struct IdEntry {
  const state::RowRecord* stored = nullptr;  // the stored record with this id
  const MappedRow* first = nullptr;          // the first row carrying it
  int rows = 0;                              // how many rows carry it (> 1: ambiguous)
  bool approved = false;                     // an approved row carries it
};

using IdMap = std::unordered_map<std::string_view, IdEntry>;

// The event id a written-back cell names, or nullopt for anything but a positive integer.
std::optional<std::int64_t> event_in_cell(std::string_view cell) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), id);
  if (cell.empty() || ec != std::errc{} || end != cell.data() + cell.size() || id <= 0) return std::nullopt;
  return id;
}

// Who owns which event among the stored rows, and which of them are still in the source:
// what re-added and returning rows are decided by. Built on first use: most passes have
// neither kind of row.
class Owners {
 public:
  Owners(const std::vector<state::RowRecord>& stored, const IdMap& ids, const PlanOptions& options)
      : m_stored(stored), m_ids(ids), m_read(options.read), m_settled_owner(options.settled_owner) {}

  // The stored rows whose event is `event`.
  const std::vector<const state::RowRecord*>& of(std::int64_t event) {
    if (!m_by_event) {
      m_by_event.emplace();
      for (const auto& rec : m_stored) {
        if (rec.event_id) (*m_by_event)[*rec.event_id].push_back(&rec);
      }
    }
    static const std::vector<const state::RowRecord*> none;
    const auto it = m_by_event->find(event);
    return it == m_by_event->end() ? none : it->second;
  }

  // True when `rec` is still in the source after this pass: approved in this read, or left
  // out of an incremental read (unchanged) without having been removed.
  bool present(const state::RowRecord& rec) const {
    const IdEntry& entry = m_ids.find(rec.source_id)->second;
    if (entry.approved) return true;
    if (rec.state == state::RowState::removed) return false;
    return m_read == SourceRead::changes_only && entry.first == nullptr;
  }

  // Why `rec` is not present, in the words of a removed row's note.
  std::string gone_reason(const state::RowRecord& rec) const {
    return m_ids.find(rec.source_id)->second.first != nullptr ? "no longer approved" : "no longer in the source";
  }

  // The ID of the first present row other than `self` whose event is `event`, or nullopt.
  std::optional<std::string_view> present_owner(std::int64_t event, const state::RowRecord* self = nullptr) {
    for (const auto* rec : of(event)) {
      if (rec != self && present(*rec)) return rec->source_id;
    }
    if (m_settled_owner) return m_settled_owner(event);
    return std::nullopt;
  }

 private:
  const std::vector<state::RowRecord>& m_stored;
  const IdMap& m_ids;
  SourceRead m_read;
  const std::function<std::optional<std::string_view>(std::int64_t)>& m_settled_owner;
  std::optional<std::unordered_map<std::int64_t, std::vector<const state::RowRecord*>>> m_by_event;
};

// A new row carrying an event id in its write-back cell: takes the event over when its
// owner left the source (update, taken_from), else stays a create with a note saying why.
// `claimed` holds the events taken over by earlier rows of this read (event -> row id).
void plan_new_row(PlanItem& item, const MappedRow& row, Owners& owners,
                  std::unordered_map<std::int64_t, std::string_view>& claimed) {
  item.action = PlanAction::create;
  const auto event = event_in_cell(row.written_event_id);
  if (!event) return;
  const std::string said = "it carries event " + std::to_string(*event);
  if (const auto owner = owners.present_owner(*event)) {
    item.note = said + ", which belongs to " + std::string(*owner) + ", still in the source: a new event is created for it";
    return;
  }
  if (const auto it = claimed.find(*event); it != claimed.end()) {
    item.note = said + ", which " + std::string(it->second) + " took over in this pass: a new event is created for it";
    return;
  }
  const state::RowRecord* from = nullptr;
  for (const auto* rec : owners.of(*event)) {
    if (rec->state == state::RowState::gone || rec->state == state::RowState::forgotten) continue;  // deleted
    if (from == nullptr || rec->updated_at > from->updated_at) from = rec;
  }
  if (from == nullptr) {
    if (!owners.of(*event).empty()) return;  // its row's event was deleted: not this row's to take
    // No row of this source ever had it: the state file forgot the row that made it.
    item.action = PlanAction::update;
    item.adopted_event = *event;
    item.note = "the state file had no record of this row; its event-ID cell names event " + std::to_string(*event) +
                ", which it takes as its own";
    claimed.emplace(*event, row.source_id);
    return;
  }
  item.action = PlanAction::update;
  item.taken_from = from;
  item.note = "re-added: takes over event " + std::to_string(*event) + " from " + from->source_id + ", which is " +
              owners.gone_reason(*from);
  claimed.emplace(*event, row.source_id);
}

// Why `row` is invalid when `group` (every row with its ID, in source order) holds more than it.
std::string duplicate_reason(const MappedRow& row, const std::vector<const MappedRow*>& group) {
  std::string others;
  for (const auto* other : group) {
    if (other == &row) continue;
    if (!others.empty()) others += ", ";
    others += other->row_ref;
  }
  return "the ID \"" + row.source_id + "\" is used by more than one row (also " + others + "): give each row its own ID";
}

}  // namespace

Plan make_plan(const std::vector<MappedRow>& rows, const std::vector<state::RowRecord>& stored,
               const PlanOptions& options) {
  using state::RowState;
  const SourceRead read = options.read;
  // One map for stored records, occurrences and approval: at 100k rows, three maps of
  // separately allocated nodes cost more than everything else the planner does.
  IdMap ids;
  ids.reserve(rows.size() + stored.size());
  for (const auto& rec : stored) {
    IdEntry& entry = ids[rec.source_id];
    if (entry.stored == nullptr) entry.stored = &rec;
  }
  bool any_duplicate = false;
  for (const auto& row : rows) {
    if (row.source_id.empty()) continue;
    IdEntry& entry = ids[row.source_id];
    if (entry.first == nullptr) entry.first = &row;
    any_duplicate |= ++entry.rows > 1;
    entry.approved |= row.approved;
  }
  // Every row of an ambiguous id, in source order, for the message.
  std::unordered_map<std::string_view, std::vector<const MappedRow*>> duplicates;
  if (any_duplicate) {
    for (const auto& row : rows) {
      if (!row.source_id.empty() && ids.find(row.source_id)->second.rows > 1)
        duplicates[row.source_id].push_back(&row);
    }
  }
  // Store ids (placeholder_id(row_ref)) of approved rows without a source id; usually none.
  std::unordered_set<std::string> placeholders_seen;
  Owners owners(stored, ids, options);
  std::unordered_map<std::int64_t, std::string_view> claimed;  // events taken over in this read

  Plan plan;
  plan.items.reserve(rows.size());
  for (const auto& row : rows) {
    if (!row.approved) continue;
    PlanItem item;
    item.source_id = row.source_id;
    item.row_ref = row.row_ref;
    item.row = &row;
    const IdEntry* entry = nullptr;
    if (row.source_id.empty()) {
      placeholders_seen.insert(store_id(row));
    } else {
      entry = &ids.find(row.source_id)->second;
      item.stored = entry->stored;
    }

    if (entry != nullptr && entry->rows > 1) {
      item.action = PlanAction::invalid;
      const auto& group = duplicates[row.source_id];
      item.errors.push_back({"", row.source_id, duplicate_reason(row, group)});
      if (const auto* rec = entry->stored; rec != nullptr && rec->state == RowState::invalid) {
        const auto held = std::ranges::find_if(group, [&](const MappedRow* r) { return r->row_ref == rec->row_ref; });
        item.duplicate_stored = held != group.end() && (*held)->approved && rec->error_field.empty() &&
                                rec->error_reason == duplicate_reason(**held, group);
      }
    } else if (item.stored && item.stored->state == RowState::forgotten && !options.recreate_forgotten) {
      plan_stored_state(item, row, *item.stored, options);  // nothing is sent, valid or not
    } else if (!row.errors.empty()) {
      item.action = PlanAction::invalid;
      item.errors = row.errors;
    } else if (item.stored && plan_stored_state(item, row, *item.stored, options)) {
      // decided by the retry queue or a person
    } else if (!item.stored) {
      plan_new_row(item, row, owners, claimed);
    } else if (!item.stored->event_id) {
      item.action = PlanAction::create;
    } else if (const auto owner = item.stored->state == RowState::removed
                                      ? owners.present_owner(*item.stored->event_id, item.stored)
                                      : std::nullopt) {
      // Back, but another row took its event over meanwhile: two rows, two events. (No row
      // of this read can take it over: this row is present.)
      item.action = PlanAction::create;
      item.recreate = true;
      item.note = "back in the source, but its event " + std::to_string(*item.stored->event_id) + " belongs to " +
                  std::string(*owner) + " now: a new event is created for it";
    } else if (item.stored->payload_hash != row.payload_hash) {
      item.action = PlanAction::update;
    } else {
      item.action = PlanAction::unchanged;
    }
    const bool sendable = item.action == PlanAction::update || item.action == PlanAction::unchanged;
    if (item.stored && item.stored->state == RowState::removed && sendable) {
      item.back = true;
      item.note = "back in the source after it was reported removed";
    }
    if (sendable && item.taken_from == nullptr && item.stored && to_bring_back(*item.stored, options)) {
      item.action = PlanAction::republish;
      item.note = bring_back_note(row, *item.stored->event_id);
    } else if (item.action == PlanAction::update && item.taken_from != nullptr &&
               to_bring_back(*item.taken_from, options)) {
      item.action = PlanAction::republish;
      item.note += "; " + bring_back_note(row, *item.taken_from->event_id);
    }
    plan.items.push_back(std::move(item));
  }

  for (const auto& rec : stored) {
    // A forgotten row has no event left to keep: leaving the source changes nothing for it.
    if (rec.state == RowState::forgotten) continue;
    const bool take_down = to_take_down(rec, options);
    if (rec.state == RowState::removed && !take_down) continue;
    const IdEntry& entry = ids.find(rec.source_id)->second;
    if (entry.approved || placeholders_seen.contains(rec.source_id)) continue;
    const bool in_source = entry.first != nullptr;
    // Unchanged, not gone; a row removed before is not read again either, but it is known
    // to be out of the approved set.
    if (read == SourceRead::changes_only && !in_source && rec.state != RowState::removed) continue;
    PlanItem item;
    item.action = PlanAction::removed;
    item.source_id = rec.source_id;
    item.row_ref = in_source ? entry.first->row_ref : rec.row_ref;
    item.stored = &rec;
    item.note = in_source ? "the row is no longer approved" : "the row is no longer in the source";
    if (rec.state == RowState::removed && !in_source && !rec.error_reason.empty()) item.note = rec.error_reason;
    if (take_down) plan_take_down(item, rec, options);
    plan.items.push_back(std::move(item));
  }
  return plan;
}

}  // namespace pinsync::agent

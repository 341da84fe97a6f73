// Decides what one pass does with each row: compare the mapped rows of a source with
// what the state store remembers. Pure: no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "agent/mapping/mapper.h"
#include "state/store.h"

namespace pinsync::agent {

enum class PlanAction {
  create,     // approved, valid, no event yet
  update,     // approved, valid, the event differs from the row
  unchanged,  // approved, valid, the event equals the row
  invalid,    // approved but cannot be sent (mapping errors, duplicate id)
  removed,    // was known, now unapproved or gone from the source; the event is kept
  held,       // approved, but the row waits for a person (gone, needs_review)
  waiting,    // approved, unchanged since its last failed send; the retry queue's time has not come
  dead,       // approved, unchanged since it failed too often; waits for an edit or resync --row
  forgotten,  // approved, but its deleted event was let go (resync --forget): nothing is sent
  // on_removed: draft — a row that is removed (or was, and its event is still published):
  // its event is updated to status draft, with a key of its own (keys.h unpublish_key)
  unpublish,
  // approved again (back, or re-added with its ID) while its event is a draft pinsync made
  // (or may be: such an update's outcome is unknown): the row's payload is sent again, with
  // the status its source or row says, with a key of its own (keys.h republish_key)
  republish,
};
std::string_view to_string(PlanAction a);

struct PlanItem {
  PlanAction action = PlanAction::unchanged;
  std::string source_id;
  std::string row_ref;
  const MappedRow* row = nullptr;                 // null for removed rows no longer in the source
  const state::RowRecord* stored = nullptr;      // what the store remembers (in make_plan's `stored`), or null
  std::vector<RowError> errors;                   // for invalid
  // Why held / removed / waiting / dead; for rows that are sent or unchanged, what the
  // operator should know besides (back in the source, re-added, a new event instead of
  // another row's), or "".
  std::string note;
  bool refused_before = false;  // invalid: Pinned Events refused this very payload; nothing to store again
  // invalid, one of several rows with one ID: they share one stored record, which already
  // holds one of them with the reason it has now — nothing to store or warn again (storing
  // each in turn would rewrite the record every pass)
  bool duplicate_stored = false;
  bool retry = false;           // create/update of a row in the retry queue (sent before new work)
  // create for a row whose event was deleted (recreate_deleted), or that came back after
  // another row took its event over: a key of its own, never the first create's
  bool recreate = false;
  bool back = false;  // a row reported removed before is approved in the source again, with its event
  bool edited = false;  // forgotten: the row changed since it was forgotten (the change is not sent)
  // update: a new row (no stored record) that takes over the event of this stored row,
  // which left the source (see make_plan); its event_id is the event updated
  const state::RowRecord* taken_from = nullptr;
  // update: a new row whose write-back event-ID cell names an event no row of this source
  // ever had (the state file was lost or put back from a backup): the event it takes as its
  // own, after the executor checks that no row of another source owns it
  std::optional<std::int64_t> adopted_event;
};

struct Plan {
  std::vector<PlanItem> items;  // in source order, then removed rows
  int count(PlanAction a) const;
};

// The key a row is stored under: its source id, or state::placeholder_id(row_ref) for a row that has
// no id (such a row can only be invalid).
std::string store_id(const MappedRow& row);

// Plans one source. `rows` and `stored` must outlive the plan (items point into both). Rows with the same source id are all
// invalid (the identity is ambiguous); unapproved rows with no stored record are
// ignored; stored rows missing from the approved set become removed unless already so.
// How much of the source the rows are: all of it, or only what changed since the last
// read (then a stored row missing from `rows` is not removed).
enum class SourceRead { complete, changes_only };

struct PlanOptions {
  SourceRead read = SourceRead::complete;
  std::int64_t now = 0;           // unix seconds, for the retry queue's next_attempt_at
  bool retry_now = false;         // a manual resync: failed rows go now, whatever their backoff
  bool recreate_deleted = false;  // gone rows get a new event instead of being held
  // forgotten rows get a new event (resync --row … --recreate: a person's decision, which
  // recreate_deleted never makes for them)
  bool recreate_forgotten = false;
  // on_removed: draft: a removed row's event that is (or may be) published is taken down to
  // draft (PlanAction::unpublish) instead of only being reported removed.
  bool unpublish_removed = false;
  // Whether an event whose status the store does not know (written before it kept one) may
  // be published: true unless the source's status is draft and it has no status column.
  bool unknown_may_be_published = true;
  // True when the outbox holds an unpublish or republish of the row whose outcome is
  // unknown (a crash, a lost answer): its event may be published or a draft. Unset: none.
  std::function<bool(std::string_view)> status_in_doubt = nullptr;
  // Rows of the read left out of `rows` because they are settled (the pass compared them
  // already: approved, valid, an ID no other row carries, stored synced with their event,
  // the same payload at the same place) and whose records are left out of `stored`: they
  // are present and own their events. Returns the ID of the settled row whose event is
  // the one given, or nullopt; unset when no row was left out.
  std::function<std::optional<std::string_view>(std::int64_t)> settled_owner = nullptr;
};

// A failed, dead or refused (400) row counts as edited when its payload differs from the
// one that failed; an edit re-arms it. Rows in the retry queue that are due are marked
// retry; those not yet due are waiting, those past the attempt limit dead.
//
// Re-added rows: a new approved row (no stored record) whose write-back event-ID cell
// (MappedRow::written_event_id) names an event of a stored row of this source that is not
// present — removed before, or gone from this complete read or unapproved in it — takes
// that event over: an update with `taken_from` set, not a create (a record deleted and
// added again, a row cut and pasted back with a new ID). It never takes an event a present
// row owns (approved in this read, or not in an incremental read and not removed): that
// row is a create, with a note saying whose event it carries; nor an event already taken
// by an earlier row of this read, nor one of a row whose event was deleted (gone or
// forgotten). A new row whose cell names an event no stored row of this source ever had
// adopts it (update with `adopted_event`): the row made it before the state file forgot. A forgotten row stays forgotten whether it is edited, unapproved or gone from
// the source (its note says what was not sent); only recreate_forgotten changes that. A
// stored removed row approved again is `back` (its note says so) unless a present row owns
// its event by now: then it gets a new event (create, recreate).
//
// Taking events down (unpublish_removed): a stored row that leaves the approved set and has
// an event that is published (or unknown, or in doubt) is `unpublish` rather than
// `removed`, also when it was removed before (the option was turned on since), never when
// its event was deleted (gone, forgotten); once its unpublish succeeded its event is
// "unpublished" and it is not planned again. When its last unpublish failed, the retry
// queue's rules apply as to any write (waiting, dead, refused: invalid, conflict: held).
// A row approved again whose event pinsync took down (event_status "unpublished", or an
// unpublish or republish in doubt) is `republish` (its note says so), whatever
// unpublish_removed says now: the same event, never a new one.
Plan make_plan(const std::vector<MappedRow>& rows, const std::vector<state::RowRecord>& stored,
               const PlanOptions& options = {});
// The payload hash stored for an event that pinsync took down to draft: derived from the
// hash of what the event held (`payload_hash`), a SHA-256 hex like any payload's, equal to
// no payload's — so a row approved again is never `unchanged` against it.
std::string unpublished_hash(std::string_view payload_hash);
// The status RowRecord::event_status names an event pinsync took down ("unpublished").
inline constexpr std::string_view k_unpublished = "unpublished";
// Temporaries would leave the plan pointing at freed rows.
Plan make_plan(const std::vector<MappedRow>& rows, std::vector<state::RowRecord>&& stored,
               const PlanOptions& options = {}) = delete;
Plan make_plan(std::vector<MappedRow>&& rows, const std::vector<state::RowRecord>& stored,
               const PlanOptions& options = {}) = delete;

}  // namespace pinsync::agent

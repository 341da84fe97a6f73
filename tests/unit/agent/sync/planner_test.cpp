#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "agent/pinned/keys.h"
#include "agent/sync/planner.h"

using namespace pinsync;
using namespace pinsync::agent;

namespace {

MappedRow valid(std::string id, std::string ref, std::string hash) {
  MappedRow r;
  r.source_id = std::move(id);
  r.row_ref = std::move(ref);
  r.approved = true;
  r.payload = "{}";
  r.payload_hash = std::move(hash);
  return r;
}

state::RowRecord stored(std::string id, std::optional<std::int64_t> event, std::string hash,
                        state::RowState st = state::RowState::synced) {
  state::RowRecord r;
  r.source = "acme";
  r.source_id = std::move(id);
  r.row_ref = "partner.csv:9";
  r.event_id = event;
  r.payload_hash = std::move(hash);
  r.state = st;
  return r;
}

const PlanItem& item_for(const Plan& plan, std::string_view id) {
  for (const auto& i : plan.items) {
    if (i.source_id == id) return i;
  }
  FAIL("no plan item for " << id);
  throw 0;
}

}  // namespace

TEST_CASE("planner: new rows are created, equal rows unchanged, changed rows updated") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "h1"), valid("E-2", "p.csv:3", "h2"),
                                 valid("E-3", "p.csv:4", "h3-new")};
  std::vector<state::RowRecord> known = {stored("E-2", 7, "h2"), stored("E-3", 8, "h3-old")};
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "E-1").action == PlanAction::create);
  CHECK(item_for(plan, "E-2").action == PlanAction::unchanged);
  CHECK(item_for(plan, "E-3").action == PlanAction::update);
  CHECK(item_for(plan, "E-3").stored->event_id == 8);
  CHECK(plan.count(PlanAction::create) == 1);
  CHECK(plan.count(PlanAction::removed) == 0);
}

TEST_CASE("planner: row order and position never matter, only the id") {
  std::vector<MappedRow> rows = {valid("E-2", "p.csv:2", "h2"), valid("E-1", "p.csv:3", "h1")};
  std::vector<state::RowRecord> known = {stored("E-1", 1, "h1"), stored("E-2", 2, "h2")};
  const Plan plan = make_plan(rows, known);
  CHECK(plan.count(PlanAction::unchanged) == 2);
  CHECK(plan.items.size() == 2);
}

TEST_CASE("planner: unapproved or vanished rows are removed once, never deleted") {
  MappedRow unapproved = valid("E-1", "p.csv:2", "h1");
  unapproved.approved = false;
  std::vector<MappedRow> rows = {unapproved};
  std::vector<state::RowRecord> known = {stored("E-1", 1, "h1"), stored("E-9", 9, "h9"),
                                         stored("E-5", 5, "h5", state::RowState::removed)};
  const Plan plan = make_plan(rows, known);
  CHECK(plan.items.size() == 2);
  CHECK(item_for(plan, "E-1").action == PlanAction::removed);
  CHECK(item_for(plan, "E-1").note == "the row is no longer approved");
  CHECK(item_for(plan, "E-1").row_ref == "p.csv:2");
  CHECK(item_for(plan, "E-9").note == "the row is no longer in the source");
}

TEST_CASE("planner: a row that comes back approved with its event is updated or unchanged") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "h1")};
  std::vector<state::RowRecord> known = {stored("E-1", 1, "h1", state::RowState::removed)};
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "E-1").action == PlanAction::unchanged);
}

TEST_CASE("planner: duplicate ids make every row with that id invalid, naming the others") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "a"), valid("E-1", "p.csv:7", "b"),
                                 valid("E-2", "p.csv:8", "c")};
  const std::vector<state::RowRecord> none;
  const Plan plan = make_plan(rows, none);
  REQUIRE(plan.items.size() == 3);
  CHECK(plan.items[0].action == PlanAction::invalid);
  CHECK(plan.items[1].action == PlanAction::invalid);
  CHECK_CONTAINS(plan.items[0].errors.front().reason, "p.csv:7");
  CHECK_CONTAINS(plan.items[1].errors.front().reason, "p.csv:2");
  CHECK(plan.items[2].action == PlanAction::create);
}

TEST_CASE("planner: mapping errors make the row invalid; the stored event is kept") {
  MappedRow bad = valid("E-1", "p.csv:2", "");
  bad.errors.push_back({"Date", "June 32", "\"June 32\" is not a date"});
  std::vector<MappedRow> rows = {bad};
  const std::vector<state::RowRecord> known = {stored("E-1", 4, "old")};
  const Plan plan = make_plan(rows, known);
  CHECK(plan.items.size() == 1);
  CHECK(plan.items[0].action == PlanAction::invalid);
  CHECK(plan.items[0].stored->event_id == 4);
}

TEST_CASE("planner: a row without an id is invalid and keyed by its place until fixed") {
  MappedRow no_id = valid("", "p.csv:5", "");
  no_id.errors.push_back({"Event ID", "", "the row has no Event ID"});
  std::vector<MappedRow> rows = {no_id};
  const std::vector<state::RowRecord> known = {stored("@p.csv:5", std::nullopt, "", state::RowState::invalid)};
  const Plan plan = make_plan(rows, known);
  REQUIRE(plan.items.size() == 1);  // the stored placeholder is not reported removed
  CHECK(plan.items[0].action == PlanAction::invalid);
  CHECK(store_id(no_id) == "@p.csv:5");
}

TEST_CASE("planner: gone and needs_review rows are held, not re-sent") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "new"), valid("E-2", "p.csv:3", "x")};
  const std::vector<state::RowRecord> known = {stored("E-1", 1, "old", state::RowState::gone),
                                               stored("E-2", std::nullopt, "", state::RowState::needs_review)};
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "E-1").action == PlanAction::held);
  CHECK(item_for(plan, "E-2").action == PlanAction::held);
}

TEST_CASE("keys: stable, sanitised and bounded; changed ids never collide") {
  CHECK(create_key("acme", "E-1001") == "pinsync-acme-E-1001-create");
  CHECK(update_key("acme", "E-1001", "0123456789abcdef0123") == "pinsync-acme-E-1001-update-0123456789abcdef");
  const auto spaced = create_key("acme", "row 12/a");
  CHECK(spaced.starts_with("pinsync-acme-row_12_a-"));
  CHECK(spaced != create_key("acme", "row_12_a"));
  CHECK(spaced == create_key("acme", "row 12/a"));
  const auto long_key = create_key("acme", std::string(500, 'x'));
  CHECK(long_key.size() < 120);
  CHECK(long_key != create_key("acme", std::string(499, 'x')));
}

TEST_CASE("planner: after an incremental read, rows not in it are unchanged, not removed") {
  MappedRow unapproved = valid("E-2", "rec2", "h2");
  unapproved.approved = false;
  std::vector<MappedRow> rows = {valid("E-1", "rec1", "h1-new"), unapproved};
  std::vector<state::RowRecord> known = {stored("E-1", 1, "h1"), stored("E-2", 2, "h2"), stored("E-3", 3, "h3")};
  const Plan partial = make_plan(rows, known, PlanOptions{SourceRead::changes_only});
  CHECK(item_for(partial, "E-1").action == PlanAction::update);
  CHECK(item_for(partial, "E-2").action == PlanAction::removed);  // present and unapproved
  CHECK(partial.items.size() == 2);                                // E-3 simply did not change
  const Plan full = make_plan(rows, known, PlanOptions{SourceRead::complete});
  CHECK(item_for(full, "E-3").action == PlanAction::removed);
}

namespace {

state::RowRecord in_queue(const std::string& id, state::RowState st, const std::string& attempted,
                          int attempts, std::int64_t next_at, std::optional<std::int64_t> event = std::nullopt) {
  auto rec = stored(id, event, event ? "old" : "", st);
  rec.attempted_hash = attempted;
  rec.attempts = attempts;
  rec.next_attempt_at = next_at;
  rec.error_reason = "Pinned Events answered 503";
  return rec;
}

}  // namespace

TEST_CASE("planner: the retry queue — not yet due waits, due is retried, an edit goes at once") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "h1"), valid("E-2", "p.csv:3", "h2"),
                                 valid("E-3", "p.csv:4", "h3-edited")};
  std::vector<state::RowRecord> known = {in_queue("E-1", state::RowState::failed, "h1", 2, 1000),
                                         in_queue("E-2", state::RowState::failed, "h2", 2, 500),
                                         in_queue("E-3", state::RowState::failed, "h3", 2, 1000)};
  const Plan plan = make_plan(rows, known, PlanOptions{SourceRead::complete, 900});
  CHECK(item_for(plan, "E-1").action == PlanAction::waiting);
  CHECK_CONTAINS(item_for(plan, "E-1").note, "attempt 3 at 1970-01-01T00:16:40Z");
  CHECK(item_for(plan, "E-2").action == PlanAction::create);
  CHECK(item_for(plan, "E-2").retry);
  CHECK(item_for(plan, "E-3").action == PlanAction::create);

  PlanOptions manual{SourceRead::complete, 900};
  manual.retry_now = true;
  CHECK(item_for(make_plan(rows, known, manual), "E-1").action == PlanAction::create);
}

TEST_CASE("planner: dead and refused rows stay put until edited; gone rows are recreated only when asked") {
  std::vector<MappedRow> rows = {valid("E-1", "p.csv:2", "h1"), valid("E-2", "p.csv:3", "h2-edited"),
                                 valid("E-3", "p.csv:4", "h3"), valid("E-4", "p.csv:5", "h4")};
  std::vector<state::RowRecord> known = {in_queue("E-1", state::RowState::dead, "h1", 10, 0),
                                         in_queue("E-2", state::RowState::dead, "h2", 10, 0, 7),
                                         in_queue("E-3", state::RowState::invalid, "h3", 1, 0),
                                         stored("E-4", 9, "h4", state::RowState::gone)};
  known[2].error_field = "title";
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "E-1").action == PlanAction::dead);
  CHECK(item_for(plan, "E-2").action == PlanAction::update);  // edited: re-armed
  CHECK(item_for(plan, "E-3").action == PlanAction::invalid);
  CHECK(item_for(plan, "E-3").refused_before);
  CHECK(item_for(plan, "E-3").errors.front().field == "title");
  CHECK(item_for(plan, "E-4").action == PlanAction::held);

  PlanOptions recreate;
  recreate.recreate_deleted = true;
  const Plan again = make_plan(rows, known, recreate);
  CHECK(item_for(again, "E-4").action == PlanAction::create);
  CHECK(item_for(again, "E-4").recreate);
}

namespace {

// A new row carrying `event` in its write-back event-ID cell (a pasted or kept "Pinned ID").
MappedRow carrying(std::string id, std::string ref, std::string hash, std::string event) {
  MappedRow r = valid(std::move(id), std::move(ref), std::move(hash));
  r.written_event_id = std::move(event);
  return r;
}

}  // namespace

TEST_CASE("planner: a re-added row takes over the event of the row it replaces, when that row left the source") {
  // recOLD was deleted in this read; recNEW carries its event 1 (the partner pasted the row
  // back). E-5 was removed an earlier pass; E-9 carries its event 5 (a row cut and pasted
  // with a new ID).
  std::vector<MappedRow> rows = {carrying("recNEW", "recNEW", "h1", "1"), carrying("E-9", "p.csv:4", "h5", "5")};
  std::vector<state::RowRecord> known = {stored("recOLD", 1, "h1"), stored("E-5", 5, "h5", state::RowState::removed)};
  const Plan plan = make_plan(rows, known);
  const auto& readded = item_for(plan, "recNEW");
  CHECK(readded.action == PlanAction::update);
  REQUIRE(readded.taken_from != nullptr);
  CHECK(readded.taken_from->source_id == "recOLD");
  CHECK(readded.note == "re-added: takes over event 1 from recOLD, which is no longer in the source");
  CHECK(item_for(plan, "recOLD").action == PlanAction::removed);  // reported removed, in the same pass
  CHECK(item_for(plan, "E-9").action == PlanAction::update);
  REQUIRE(item_for(plan, "E-9").taken_from != nullptr);
  CHECK(*item_for(plan, "E-9").taken_from->event_id == 5);
  CHECK(plan.count(PlanAction::create) == 0);

  // An owner that is unapproved in this read has left too.
  MappedRow unapproved = valid("recOLD", "recOLD", "h1");
  unapproved.approved = false;
  std::vector<MappedRow> with_old = {unapproved, carrying("recNEW", "recNEW", "h1", "1")};
  const Plan again = make_plan(with_old, known);
  CHECK(item_for(again, "recNEW").action == PlanAction::update);
  CHECK_CONTAINS(item_for(again, "recNEW").note, "which is no longer approved");
}

TEST_CASE("planner: a row never takes over an event a present row owns: it is a create, and says whose event it carried") {
  // E-7 is a copy of E-2 (its Pinned ID 2 included), and E-2 is still there.
  std::vector<MappedRow> rows = {valid("E-2", "p.csv:2", "h2"), carrying("E-7", "p.csv:3", "h2", "2")};
  std::vector<state::RowRecord> known = {stored("E-2", 2, "h2")};
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "E-2").action == PlanAction::unchanged);
  const auto& copy = item_for(plan, "E-7");
  CHECK(copy.action == PlanAction::create);
  CHECK(copy.taken_from == nullptr);
  CHECK(copy.note == "it carries event 2, which belongs to E-2, still in the source: a new event is created for it");

  // After an incremental read a row left out is unchanged, so still present: no takeover.
  std::vector<MappedRow> only_new = {carrying("E-7", "rec7", "h2", "2")};
  const Plan partial = make_plan(only_new, known, PlanOptions{SourceRead::changes_only});
  CHECK(item_for(partial, "E-7").action == PlanAction::create);

  // Two new rows with the same event: the first in source order takes it, the other is new.
  std::vector<MappedRow> twins = {carrying("E-8", "p.csv:2", "h2", "2"), carrying("E-9", "p.csv:3", "h2", "2")};
  const Plan both = make_plan(twins, known);
  CHECK(item_for(both, "E-8").action == PlanAction::update);
  CHECK(item_for(both, "E-9").action == PlanAction::create);
  CHECK(item_for(both, "E-9").note == "it carries event 2, which E-8 took over in this pass: a new event is created for it");

  // An event whose row's event was deleted, or a cell that is not an event id: an ordinary create.
  std::vector<state::RowRecord> deleted = {stored("E-2", 2, "h2", state::RowState::gone)};
  std::vector<MappedRow> odd = {carrying("E-4", "p.csv:3", "h4", "abc"), carrying("E-5", "p.csv:4", "h5", "2")};
  const Plan ordinary = make_plan(odd, deleted);
  for (const char* id : {"E-4", "E-5"}) {
    CHECK(item_for(ordinary, id).action == PlanAction::create);
    CHECK(item_for(ordinary, id).taken_from == nullptr);
    CHECK_FALSE(item_for(ordinary, id).adopted_event);
    CHECK(item_for(ordinary, id).note.empty());
  }
}

TEST_CASE("planner: a new row whose event-ID cell names an event no row of the source ever had adopts it") {
  // The state file was lost or put back: E-3's cell still says event 99, E-6's event 7, and
  // the store knows neither. E-8 carries 99 too: the first in source order adopts it.
  std::vector<MappedRow> rows = {carrying("E-3", "p.csv:2", "h3", "99"), carrying("E-6", "p.csv:3", "h6", "7"),
                                 carrying("E-8", "p.csv:4", "h8", "99")};
  std::vector<state::RowRecord> known = {stored("E-1", 1, "h1")};
  const Plan plan = make_plan(rows, known);
  const auto& adopted = item_for(plan, "E-3");
  CHECK(adopted.action == PlanAction::update);
  CHECK(adopted.adopted_event == 99);
  CHECK(adopted.taken_from == nullptr);
  CHECK(adopted.stored == nullptr);
  CHECK(adopted.note ==
        "the state file had no record of this row; its event-ID cell names event 99, which it takes as its own");
  CHECK(item_for(plan, "E-6").adopted_event == 7);
  CHECK(item_for(plan, "E-8").action == PlanAction::create);
  CHECK_FALSE(item_for(plan, "E-8").adopted_event);
  CHECK(item_for(plan, "E-8").note == "it carries event 99, which E-3 took over in this pass: a new event is created for it");
}

TEST_CASE("planner: a removed row back in the source is marked back; if its event went to another row, it gets a new one") {
  std::vector<MappedRow> rows = {valid("recOLD", "recOLD", "h1")};
  std::vector<state::RowRecord> known = {stored("recOLD", 1, "h1", state::RowState::removed)};
  const Plan plan = make_plan(rows, known);
  CHECK(item_for(plan, "recOLD").action == PlanAction::unchanged);
  CHECK(item_for(plan, "recOLD").back);
  CHECK(item_for(plan, "recOLD").note == "back in the source after it was reported removed");

  // recNEW took event 1 over in an earlier pass and is still there: recOLD is a second row
  // with its own event now, created under a key of its own.
  std::vector<MappedRow> both = {valid("recOLD", "recOLD", "h1"), valid("recNEW", "recNEW", "h1")};
  std::vector<state::RowRecord> taken = {stored("recOLD", 1, "h1", state::RowState::removed), stored("recNEW", 1, "h1")};
  const Plan again = make_plan(both, taken);
  CHECK(item_for(again, "recNEW").action == PlanAction::unchanged);
  const auto& old = item_for(again, "recOLD");
  CHECK(old.action == PlanAction::create);
  CHECK(old.recreate);
  CHECK_FALSE(old.back);
  CHECK(old.note == "back in the source, but its event 1 belongs to recNEW now: a new event is created for it");
}

TEST_CASE("planner: on_removed: draft takes a published event down once, and a returning row brings it back") {
  PlanOptions draft;
  draft.unpublish_removed = true;
  auto published = stored("E-1", 1, "h1");
  published.event_status = "published";
  auto draft_event = stored("E-2", 2, "h2");
  draft_event.event_status = "draft";
  auto unknown = stored("E-3", 3, "h3");
  auto gone = stored("E-4", 4, "h4", state::RowState::gone);
  gone.event_status = "published";
  auto taken_down = stored("E-5", 5, unpublished_hash("h5"), state::RowState::removed);
  taken_down.event_status = "unpublished";
  auto removed_earlier = stored("E-6", 6, "h6", state::RowState::removed);
  removed_earlier.event_status = "published";
  std::vector<state::RowRecord> known = {published, draft_event, unknown, gone, taken_down, removed_earlier};
  std::vector<MappedRow> none;

  const Plan plan = make_plan(none, known, draft);
  CHECK(item_for(plan, "E-1").action == PlanAction::unpublish);
  CHECK_CONTAINS(item_for(plan, "E-1").note, "its event 1 is taken down to draft (on_removed: draft)");
  CHECK(item_for(plan, "E-2").action == PlanAction::removed);    // a draft already
  CHECK(item_for(plan, "E-3").action == PlanAction::unpublish);  // unknown: may be published
  CHECK(item_for(plan, "E-4").action == PlanAction::removed);    // deleted: nothing to take down
  CHECK(item_for(plan, "E-6").action == PlanAction::unpublish);  // removed before the option
  CHECK(plan.count(PlanAction::unpublish) == 3);
  CHECK(plan.items.size() == 5);  // E-5 is down already: not planned again

  // keep (the default): removed, nothing taken down.
  const Plan kept = make_plan(none, known);
  CHECK(kept.count(PlanAction::unpublish) == 0);
  CHECK(item_for(kept, "E-1").action == PlanAction::removed);

  // A source whose events are all drafts: an unknown status is not a published event.
  PlanOptions drafts_only = draft;
  drafts_only.unknown_may_be_published = false;
  CHECK(item_for(make_plan(none, known, drafts_only), "E-3").action == PlanAction::removed);

  // E-5 back with its payload: republished, whatever on_removed says now.
  std::vector<MappedRow> back = {valid("E-5", "p.csv:6", "h5")};
  std::vector<state::RowRecord> only_down = {taken_down};
  const Plan returning = make_plan(back, only_down);
  CHECK(item_for(returning, "E-5").action == PlanAction::republish);
  CHECK(item_for(returning, "E-5").back);
  CHECK_CONTAINS(item_for(returning, "E-5").note, "its event 5, taken down to draft when the row was removed");
}

TEST_CASE("planner: an unpublish in doubt is sent again if the row stays removed, and brought back if it returns") {
  PlanOptions draft;
  draft.unpublish_removed = true;
  draft.status_in_doubt = [](std::string_view id) { return id == "E-1"; };
  auto pending = stored("E-1", 1, "h1", state::RowState::pending);
  pending.event_status = "published";
  std::vector<state::RowRecord> known = {pending};
  std::vector<MappedRow> none;
  CHECK(item_for(make_plan(none, known, draft), "E-1").action == PlanAction::unpublish);
  // Approved again with the very payload the store holds: not unchanged, the event may be a draft.
  std::vector<MappedRow> back = {valid("E-1", "p.csv:2", "h1")};
  CHECK(item_for(make_plan(back, known, draft), "E-1").action == PlanAction::republish);
}

TEST_CASE("planner: a failed unpublish follows the retry queue's rules") {
  PlanOptions draft;
  draft.unpublish_removed = true;
  draft.now = 1000;
  auto failed = stored("E-1", 1, "h1", state::RowState::failed);
  failed.event_status = "published";
  failed.attempted_hash = unpublished_hash("h1");
  failed.next_attempt_at = 2000;
  failed.attempts = 1;
  auto dead = stored("E-2", 2, "h2", state::RowState::dead);
  dead.event_status = "published";
  dead.attempted_hash = unpublished_hash("h2");
  std::vector<state::RowRecord> known = {failed, dead};
  std::vector<MappedRow> none;
  const Plan waiting = make_plan(none, known, draft);
  CHECK(item_for(waiting, "E-1").action == PlanAction::waiting);
  CHECK(item_for(waiting, "E-2").action == PlanAction::dead);
  draft.now = 2000;
  const Plan due = make_plan(none, known, draft);
  CHECK(item_for(due, "E-1").action == PlanAction::unpublish);
  CHECK(item_for(due, "E-1").retry);
}

TEST_CASE("keys: an unpublish and a republish have keys of their own") {
  CHECK(unpublish_key("acme", "E-1", 1) == "pinsync-acme-E-1-unpublish-1");
  CHECK(republish_key("acme", "E-1", 2, "0123456789abcdef0123") == "pinsync-acme-E-1-republish-2-0123456789abcdef");
  CHECK(is_status_key(unpublish_key("acme", "E-1", 1)));
  CHECK(is_status_key(republish_key("acme", "E-1", 1, "ab")));
  CHECK_FALSE(is_status_key(update_key("acme", "E-1", "0123456789abcdef")));
  CHECK_FALSE(is_status_key(create_key("acme", "E-1")));
  CHECK(unpublished_hash("h1").size() == 64);
  CHECK(unpublished_hash("h1") != unpublished_hash("h2"));
}

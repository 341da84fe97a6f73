// on_removed: draft, with a scripted API: a removed row's published event is taken down to
// draft by one PATCH with a key of its own, only past the suspect-read guard; a row that
// comes back brings the same event back; a lost answer is resent with the same key; and
// on_removed: keep (the default) sends nothing.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "agent/pinned/keys.h"
#include "agent/sync/report.h"
#include "pass_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

namespace {

constexpr const char* k_draft_body = R"({"status":"draft"})";

state::RowRecord row_record(Pass& p, const std::string& id) {
  auto rec = p.store->row("acme", id);
  REQUIRE(rec);
  REQUIRE(*rec);
  return **rec;
}

const RowOutcome& row_outcome(const PassReport& r, std::string_view id) {
  for (const auto& o : r.rows) {
    if (o.source_id == id) return o;
  }
  FAIL("no row " << id << " in the report");
  throw 0;
}

// Five published rows E-1…E-5, created as events 1…5: taking one down is 20% of them, at
// the default max_removed_share, not beyond it.
void five_synced(Pass& p) {
  p.config.status = EventStatus::published;
  p.config.on_removed = OnRemoved::draft;
  for (int i = 1; i <= 5; ++i) {
    const std::string n = std::to_string(i);
    p.connector.table.rows.push_back(row("s:" + std::to_string(i + 1), "E-" + n, "Show " + n));
    p.transport.reply(201, R"({"doc":{"id":)" + n + "}}");
  }
  REQUIRE(p.run().created == 5);
  REQUIRE(row_record(p, "E-1").event_status == "published");
}

void set_approved(Pass& p, const std::string& id, const std::string& ok) {
  for (auto& r : p.connector.table.rows) {
    if (r.cells.at(0) == id) r.cells.at(1) = ok;
  }
}

}  // namespace

TEST_CASE("unpublish: remove → unpublish → nothing more → re-approve → republish, the same event throughout") {
  Pass p;
  five_synced(p);
  const std::string first_hash = row_record(p, "E-1").payload_hash;

  set_approved(p, "E-1", "no");
  p.transport.reply(200, R"({"doc":{"id":1,"status":"draft"}})");
  auto down = p.run();
  REQUIRE(p.transport.requests.size() == 6);
  CHECK(p.transport.requests[5].method == "PATCH");
  CHECK_CONTAINS(p.transport.requests[5].url, "/api/public/v1/events/1");
  CHECK(p.transport.requests[5].body == k_draft_body);
  // Its own key: one successful write (the create) before it, never an update key.
  CHECK(p.header(5, "Idempotency-Key") == "pinsync-acme-E-1-unpublish-1");
  CHECK(down.removed == 1);
  CHECK(down.unpublished == 1);
  CHECK(down.updated == 0);
  CHECK(row_outcome(down, "E-1").action == RowAction::unpublished);
  CHECK(row_outcome(down, "E-1").event_id == 1);
  CHECK_CONTAINS(row_outcome(down, "E-1").detail, "its event 1 is taken down to draft (on_removed: draft)");
  auto rec = row_record(p, "E-1");
  CHECK(rec.state == state::RowState::removed);
  CHECK(rec.event_status == "unpublished");
  CHECK(rec.payload_hash == unpublished_hash(first_hash));
  CHECK(rec.event_title == "Show 1");  // the event keeps its show for when it comes back
  CHECK(p.store->outbox_entries("acme")->empty());

  // Nothing more while it stays removed.
  auto still = p.run();
  CHECK(p.transport.requests.size() == 6);
  CHECK(still.removed == 0);
  CHECK(still.unpublished == 0);

  set_approved(p, "E-1", "yes");
  p.transport.reply(200, R"({"doc":{"id":1}})");
  auto back = p.run();
  REQUIRE(p.transport.requests.size() == 7);
  CHECK(p.transport.requests[6].method == "PATCH");
  CHECK_CONTAINS(p.transport.requests[6].url, "/api/public/v1/events/1");
  CHECK_CONTAINS(p.transport.requests[6].body, R"("status":"published")");
  CHECK_CONTAINS(p.transport.requests[6].body, R"("title":"Show 1")");
  // Its own key too: the create's and the first update key may still be cached.
  CHECK(p.header(6, "Idempotency-Key") == "pinsync-acme-E-1-republish-2-" + first_hash.substr(0, 16));
  CHECK(back.created == 0);
  CHECK(back.updated == 1);
  CHECK(back.republished == 1);
  CHECK(row_outcome(back, "E-1").action == RowAction::republished);
  CHECK_CONTAINS(row_outcome(back, "E-1").detail, "its event 1, taken down to draft when the row was removed, is "
                                                  "published again");
  rec = row_record(p, "E-1");
  CHECK(rec.state == state::RowState::synced);
  CHECK(rec.event_status == "published");
  CHECK(rec.payload_hash == first_hash);
  CHECK(rec.event_id == 1);

  // Settled again: nothing sent.
  auto after = p.run();
  CHECK(p.transport.requests.size() == 7);
  CHECK(after.unchanged == 5);

  // Taken down a second time: a key of its own again (three successful writes before it).
  set_approved(p, "E-1", "no");
  p.transport.reply(200, R"({"doc":{"id":1}})");
  p.run();
  REQUIRE(p.transport.requests.size() == 8);
  CHECK(p.header(7, "Idempotency-Key") == "pinsync-acme-E-1-unpublish-3");
  // Never a second event.
  int posts = 0;
  for (const auto& r : p.transport.requests) posts += r.method == "POST" ? 1 : 0;
  CHECK(posts == 5);
}

TEST_CASE("unpublish: a row deleted from the source is taken down too") {
  Pass p;
  five_synced(p);
  p.connector.table.rows.erase(p.connector.table.rows.begin() + 2);  // E-3
  p.transport.reply(200, R"({"doc":{"id":3}})");
  auto down = p.run();
  REQUIRE(p.transport.requests.size() == 6);
  CHECK(p.transport.requests[5].body == k_draft_body);
  CHECK(down.unpublished == 1);
  CHECK_CONTAINS(row_outcome(down, "E-3").detail, "the row is no longer in the source");
  CHECK(row_record(p, "E-3").event_status == "unpublished");

  // Added again with the same ID (and an edit): the same event, brought back with the edit.
  p.connector.table.rows.push_back(row("s:9", "E-3", "Show 3 late"));
  p.transport.reply(200, R"({"doc":{"id":3}})");
  auto back = p.run();
  REQUIRE(p.transport.requests.size() == 7);
  CHECK(p.transport.requests[6].method == "PATCH");
  CHECK_CONTAINS(p.transport.requests[6].url, "/api/public/v1/events/3");
  CHECK_CONTAINS(p.transport.requests[6].body, R"("title":"Show 3 late")");
  CHECK_CONTAINS(p.transport.requests[6].body, R"("status":"published")");
  CHECK(back.republished == 1);
  CHECK(back.created == 0);
  CHECK(row_record(p, "E-3").event_id == 3);
  CHECK(row_record(p, "E-3").row_ref == "s:9");
}

TEST_CASE("unpublish: a lost answer is resent with the same key; the row waits in the retry queue meanwhile") {
  Pass p;
  p.queue.jitter = Jitter::none;  // the first retry 30 s later, exactly
  five_synced(p);
  set_approved(p, "E-1", "no");
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  auto lost = p.run();
  REQUIRE(p.transport.requests.size() == 7);
  CHECK(p.header(5, "Idempotency-Key") == "pinsync-acme-E-1-unpublish-1");
  CHECK(p.header(6, "Idempotency-Key") == "pinsync-acme-E-1-unpublish-1");
  CHECK(lost.failed == 1);
  CHECK(lost.unpublished == 0);
  auto rec = row_record(p, "E-1");
  CHECK(rec.state == state::RowState::failed);
  CHECK(rec.attempted_hash == unpublished_hash(rec.payload_hash));
  // The request stays in the outbox: its outcome is unknown.
  REQUIRE(testing::outbox_entry(*p.store, "acme", "E-1")->has_value());

  // Before its time: waiting, nothing sent.
  auto waiting = p.run();
  CHECK(p.transport.requests.size() == 7);
  CHECK(row_outcome(waiting, "E-1").action == RowAction::waiting);

  p.clock.advance(std::chrono::hours(2));
  p.transport.reply(200, R"({"doc":{"id":1}})");
  auto resent = p.run();
  REQUIRE(p.transport.requests.size() == 8);
  CHECK(p.transport.requests[7].body == k_draft_body);
  CHECK(p.header(7, "Idempotency-Key") == "pinsync-acme-E-1-unpublish-1");
  CHECK(resent.unpublished == 1);
  CHECK(row_record(p, "E-1").state == state::RowState::removed);
  CHECK(row_record(p, "E-1").event_status == "unpublished");
  CHECK(p.store->outbox_entries("acme")->empty());
}

TEST_CASE("unpublish: approved again while the unpublish's outcome is unknown: republished, not left a draft") {
  Pass p;
  five_synced(p);
  const std::string first_hash = row_record(p, "E-1").payload_hash;
  set_approved(p, "E-1", "no");
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.run();
  REQUIRE(p.transport.requests.size() == 7);

  // The event may be a draft by now, though the store still holds its published payload.
  set_approved(p, "E-1", "yes");
  p.transport.reply(200, R"({"doc":{"id":1}})");
  auto back = p.run();
  REQUIRE(p.transport.requests.size() == 8);
  CHECK(p.transport.requests[7].method == "PATCH");
  CHECK_CONTAINS(p.transport.requests[7].body, R"("status":"published")");
  CHECK(p.header(7, "Idempotency-Key") == "pinsync-acme-E-1-republish-1-" + first_hash.substr(0, 16));
  CHECK(back.republished == 1);
  CHECK(row_record(p, "E-1").state == state::RowState::synced);
  CHECK(row_record(p, "E-1").event_status == "published");
  CHECK(p.store->outbox_entries("acme")->empty());
}

TEST_CASE("unpublish: a suspect read takes nothing down; --accept-removals does") {
  Pass p;
  five_synced(p);
  set_approved(p, "E-1", "no");
  set_approved(p, "E-2", "no");  // 2 of 5: 40%, beyond max_removed_share (20%)
  auto suspect = p.run();
  CHECK(p.transport.requests.size() == 5);
  CHECK_CONTAINS(suspect.suspect, "2 of 5 approved rows (40%) would be marked removed");
  CHECK(suspect.unpublished == 0);
  CHECK(row_record(p, "E-1").state == state::RowState::synced);
  CHECK(row_record(p, "E-1").event_status == "published");

  p.options.accept_removals = true;
  p.options.manual = true;
  p.transport.reply(200, R"({"doc":{"id":1}})");
  p.transport.reply(200, R"({"doc":{"id":2}})");
  auto accepted = p.run();
  REQUIRE(p.transport.requests.size() == 7);
  CHECK(p.transport.requests[5].body == k_draft_body);
  CHECK(p.transport.requests[6].body == k_draft_body);
  CHECK(accepted.unpublished == 2);
  CHECK(accepted.removed == 2);
}

TEST_CASE("unpublish: on_removed: keep (the default) reports the row removed and sends nothing") {
  Pass p;
  five_synced(p);
  p.config.on_removed = OnRemoved::keep;
  set_approved(p, "E-1", "no");
  auto removed = p.run();
  CHECK(p.transport.requests.size() == 5);
  CHECK(removed.removed == 1);
  CHECK(removed.unpublished == 0);
  CHECK(row_outcome(removed, "E-1").action == RowAction::removed);
  CHECK(row_record(p, "E-1").state == state::RowState::removed);
  CHECK(row_record(p, "E-1").event_status == "published");
  p.run();
  CHECK(p.transport.requests.size() == 5);

  // Turned on later: the removed row's published event is taken down then.
  p.config.on_removed = OnRemoved::draft;
  p.transport.reply(200, R"({"doc":{"id":1}})");
  auto later = p.run();
  REQUIRE(p.transport.requests.size() == 6);
  CHECK(p.transport.requests[5].body == k_draft_body);
  CHECK(later.unpublished == 1);
}

TEST_CASE("unpublish: a draft event is not sent anything when its row is removed") {
  Pass p;
  five_synced(p);
  // E-1 was created a draft (its row says so): nothing to take down.
  p.config.status = EventStatus::draft;
  p.transport.reply(200, R"({"doc":{"id":1}})");
  p.transport.reply(200, R"({"doc":{"id":2}})");
  p.transport.reply(200, R"({"doc":{"id":3}})");
  p.transport.reply(200, R"({"doc":{"id":4}})");
  p.transport.reply(200, R"({"doc":{"id":5}})");
  REQUIRE(p.run().updated == 5);
  REQUIRE(row_record(p, "E-1").event_status == "draft");
  set_approved(p, "E-1", "no");
  auto removed = p.run();
  CHECK(p.transport.requests.size() == 10);
  CHECK(removed.removed == 1);
  CHECK(removed.unpublished == 0);
}

TEST_CASE("unpublish: refused (400): not sent again until the row changes") {
  Pass p;
  five_synced(p);
  set_approved(p, "E-1", "no");
  p.transport.reply(400, R"({"error":{"code":"invalid_request","message":"status: not allowed"}})");
  auto refused = p.run();
  REQUIRE(p.transport.requests.size() == 6);
  CHECK(refused.invalid == 1);
  CHECK(row_record(p, "E-1").state == state::RowState::invalid);
  p.run();
  CHECK(p.transport.requests.size() == 6);
}

TEST_CASE("unpublish: the plan shows what would be taken down and brought back, and sends nothing") {
  Pass p;
  five_synced(p);
  set_approved(p, "E-1", "no");
  auto plan = p.run(PassMode::dry_run);
  CHECK(p.transport.requests.size() == 5);
  CHECK(plan.unpublished == 1);
  CHECK(row_outcome(plan, "E-1").action == RowAction::would_unpublish);
  CHECK_CONTAINS(report_text(plan, PassMode::dry_run), "would unpublish");
  CHECK_CONTAINS(report_text(plan, PassMode::dry_run), "1 to take down");

  p.transport.reply(200, R"({"doc":{"id":1}})");
  p.run();
  set_approved(p, "E-1", "yes");
  auto plan_back = p.run(PassMode::dry_run);
  CHECK(p.transport.requests.size() == 6);
  CHECK(plan_back.republished == 1);
  CHECK(row_outcome(plan_back, "E-1").action == RowAction::would_republish);
  CHECK_CONTAINS(reports_json({plan_back}), R"("action":"would republish")");
  CHECK_CONTAINS(reports_json({plan_back}), R"("republished":1)");
}

TEST_CASE("unpublish: an event deleted in Pinned Events is not taken down again and again") {
  Pass p;
  five_synced(p);
  set_approved(p, "E-1", "no");
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  p.transport.reply(200, R"({"doc":{"id":2,"title":"Show 2"}})");  // another event still answers
  auto deleted = p.run();
  REQUIRE(p.transport.requests.size() == 7);
  CHECK(p.transport.requests[6].method == "GET");
  CHECK(deleted.removed == 1);
  CHECK(deleted.unpublished == 0);
  CHECK(deleted.held == 0);
  CHECK_CONTAINS(row_outcome(deleted, "E-1").detail,
                 "the row is no longer approved; event 1 (\"Show 1\", 2026-06-12 20:00) was deleted in Pinned Events: "
                 "nothing to take down");
  CHECK(row_record(p, "E-1").state == state::RowState::removed);
  p.run();
  p.run();
  CHECK(p.transport.requests.size() == 7);

  // Back in the source: its bring-back meets the 404, and the row is held as gone.
  set_approved(p, "E-1", "yes");
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  p.transport.reply(200, R"({"doc":{"id":2,"title":"Show 2"}})");
  auto back = p.run();
  CHECK(back.held == 1);
  CHECK(row_record(p, "E-1").state == state::RowState::gone);
}

// An event deleted in Pinned Events, with a scripted API: when a 404 is believed (another
// event of the source, or the channel's list, still answers), what the held row says was
// lost (the title and start pinsync last sent), and the operator's two answers — resync
// --row ID --forget (the row is let go: never held, alerted on or sent again by itself) and
// --recreate (one new event).
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "agent/alerts/alerts.h"
#include "agent/sync/report.h"
#include "pass_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

namespace {

constexpr const char* k_not_found = R"({"error":{"code":"not_found","message":"no such event"}})";
constexpr const char* k_empty_list = R"({"docs":[],"totalDocs":0,"limit":1,"page":1})";

state::RowRecord gone_record(Pass& p, const std::string& id) {
  auto rec = p.store->row("acme", id);
  REQUIRE(rec);
  REQUIRE(*rec);
  return **rec;
}

const RowOutcome& outcome_of(const PassReport& r, std::string_view id) {
  for (const auto& o : r.rows) {
    if (o.source_id == id) return o;
  }
  FAIL("no row " << id << " in the report");
  throw 0;
}

// E-1 ("Jazz", event 7) is synced, then edited to "Jazz night"; the update meets a 404 and
// the channel's event list (no other synced event to ask) still answers: E-1 is gone.
void make_gone(Pass& p) {
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  REQUIRE(p.run().created == 1);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night")};
  p.transport.reply(404, k_not_found);
  p.transport.reply(200, k_empty_list);
  REQUIRE(p.run().held == 1);
  REQUIRE(gone_record(p, "E-1").state == state::RowState::gone);
}

}  // namespace

TEST_CASE("gone: the held row names the event as pinsync last sent it, and both commands that decide") {
  Pass p;
  make_gone(p);
  CHECK(gone_record(p, "E-1").event_title == "Jazz");
  CHECK(gone_record(p, "E-1").event_start == "2026-06-12T20:00:00-04:00");
  // The 404 was checked against the channel's event list before it was believed.
  REQUIRE(p.transport.requests.size() == 3);
  CHECK(p.transport.requests[2].method == "GET");
  CHECK_CONTAINS(p.transport.requests[2].url, "/api/public/v1/events?channelId=42&limit=1&page=1");

  const std::string reason = gone_record(p, "E-1").error_reason;
  // The show that was lost is the one last sent ("Jazz"), not the edit that met the 404.
  CHECK(reason.starts_with("event 7 (\"Jazz\", 2026-06-12 20:00) was deleted in Pinned Events"));
  CHECK_CONTAINS(reason, "pinsync resync --source acme --row E-1 --recreate creates it again");
  CHECK_CONTAINS(reason, "pinsync resync --source acme --row E-1 --forget lets it go");

  // A later pass shows the same line and sends nothing.
  const std::size_t before = p.transport.requests.size();
  const auto again = p.run();
  CHECK(p.transport.requests.size() == before);
  CHECK(again.held == 1);
  CHECK(outcome_of(again, "E-1").action == RowAction::held);
  CHECK(outcome_of(again, "E-1").detail == reason);
  CHECK_CONTAINS(report_text(again, PassMode::apply), "event 7 (\"Jazz\", 2026-06-12 20:00) was deleted");
}

TEST_CASE("gone: --forget lets the event go — not held, not alerted, nothing sent, an edit said and not sent") {
  Pass p;
  make_gone(p);
  const std::size_t before = p.transport.requests.size();

  p.options = manual_pass({.rows = {"E-1"}, .forget = true});
  const auto forgot = p.run();
  CHECK_FALSE(forgot.stopped);
  CHECK(forgot.held == 0);
  CHECK(forgot.created == 0);
  CHECK(forgot.unchanged == 1);
  CHECK(outcome_of(forgot, "E-1").action == RowAction::forgotten);
  CHECK_CONTAINS(outcome_of(forgot, "E-1").detail, "event 7 (\"Jazz\", 2026-06-12 20:00) was deleted in Pinned "
                                                   "Events and let go by resync --forget at ");
  CHECK_CONTAINS(report_text(forgot, PassMode::apply), "forgotten");
  CHECK(p.transport.requests.size() == before);

  const auto rec = gone_record(p, "E-1");
  CHECK(rec.state == state::RowState::forgotten);
  CHECK(rec.event_id == 7);  // kept, for the record
  CHECK_FALSE(state::needs_attention(rec.state));
  CHECK(pass_health(forgot, p.store.get()).bad_rows.empty());  // no alert

  // A scheduled pass: nothing sent, nothing held, nothing listed.
  p.options = {};
  const auto quiet = p.run();
  CHECK(quiet.held == 0);
  CHECK(quiet.rows.empty());
  CHECK(quiet.clean());
  CHECK(p.transport.requests.size() == before);

  // An edit is not sent (it would make a second show), and the report says so.
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night, new date")};
  const auto edited = p.run();
  CHECK(p.transport.requests.size() == before);
  CHECK(edited.created == 0);
  CHECK(outcome_of(edited, "E-1").action == RowAction::forgotten);
  CHECK(outcome_of(edited, "E-1").detail.starts_with("edited since, not sent: event 7"));

  // Unapproved or gone from the source, it stays forgotten (no event to keep).
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night, new date", "no")};
  p.config.max_removed_share = 1.0;
  CHECK(p.run().removed == 0);
  CHECK(gone_record(p, "E-1").state == state::RowState::forgotten);
  // recreate_deleted is for rows nobody decided on: it never recreates a forgotten one.
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night, new date")};
  p.config.recreate_deleted = true;
  CHECK(p.run().created == 0);
  CHECK(p.transport.requests.size() == before);

  // The person changes their mind: --recreate gives it exactly one new event.
  p.options = manual_pass({.rows = {"E-1"}, .recreate = true});
  p.transport.reply(201, R"({"doc":{"id":9}})");
  const auto recreated = p.run();
  CHECK(recreated.created == 1);
  REQUIRE(p.transport.requests.size() == before + 1);
  CHECK(p.transport.requests[before].method == "POST");
  CHECK(p.header(before, "Idempotency-Key") == "pinsync-acme-E-1-recreate-7-create");
  CHECK(gone_record(p, "E-1").state == state::RowState::synced);
  CHECK(gone_record(p, "E-1").event_id == 9);
  CHECK(gone_record(p, "E-1").event_title == "Jazz night, new date");
}

TEST_CASE("gone: --forget on a row that is not gone is refused, naming the row and its state; nothing changes") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "Blues")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(201, R"({"doc":{"id":8}})");
  REQUIRE(p.run().created == 2);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night"), row("s:3", "E-2", "Blues")};
  p.transport.reply(404, k_not_found);                          // PATCH E-1
  p.transport.reply(200, R"({"doc":{"id":8,"title":"Blues"}})");  // GET 8: the API knows the source's events
  REQUIRE(p.run().held == 1);
  const std::size_t before = p.transport.requests.size();

  p.options = manual_pass({.rows = {"E-1", "E-2"}, .forget = true});
  const auto refused = p.run();
  REQUIRE(refused.stopped);
  CHECK(refused.stopped->kind == ErrorKind::invalid);
  CHECK_CONTAINS(refused.stopped->message, "acme: --forget: row E-2 is synced, not gone");
  CHECK_CONTAINS(refused.stopped->message, "nothing was changed");
  CHECK(gone_record(p, "E-1").state == state::RowState::gone);  // all or nothing
  CHECK(p.transport.requests.size() == before);

  // Forgetting twice is no error: the decision stands.
  p.options = manual_pass({.rows = {"E-1"}, .forget = true});
  CHECK_FALSE(p.run().stopped);
  const auto first_reason = gone_record(p, "E-1").error_reason;
  CHECK_FALSE(p.run().stopped);
  CHECK(gone_record(p, "E-1").error_reason == first_reason);
  // A plain resync of the row leaves the decision alone.
  p.options = manual_pass({.rows = {"E-1"}});
  CHECK(p.run().created == 0);
  CHECK(gone_record(p, "E-1").state == state::RowState::forgotten);
  CHECK(p.transport.requests.size() == before);
}

TEST_CASE("gone: a 404 is not believed when checking another event fails otherwise: the row waits in the queue") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "Blues")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(201, R"({"doc":{"id":8}})");
  REQUIRE(p.run().created == 2);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night"), row("s:3", "E-2", "Blues")};
  p.transport.reply(404, k_not_found);
  for (int i = 0; i < 2; ++i) p.transport.reply(502, "<html>Bad Gateway</html>");  // GET 8, and its retry
  const auto doubted = p.run();
  REQUIRE(doubted.stopped);
  CHECK_CONTAINS(doubted.stopped->message, "Pinned Events answered 404 for event 7, and checking event 8");
  CHECK_CONTAINS(doubted.stopped->message, "cannot tell a deleted event from an API that does not answer");
  CHECK(doubted.held == 0);
  CHECK(doubted.failed == 1);
  const auto rec = gone_record(p, "E-1");
  CHECK(rec.state == state::RowState::failed);
  CHECK(rec.attempts == 1);
  CHECK(rec.next_attempt_at > unix_seconds(p.clock));  // the retry queue's backoff, not at once
  CHECK_CONTAINS(rec.error_reason, "nothing was marked deleted");
}

TEST_CASE("gone: with no other synced event, a 404 from the channel's event list too means a wrong base_url") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  REQUIRE(p.run().created == 1);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night")};
  p.transport.reply(404, k_not_found);  // PATCH
  p.transport.reply(404, k_not_found);  // GET /events?channelId=42
  const auto doubted = p.run();
  REQUIRE(doubted.stopped);
  CHECK(doubted.stopped->kind == ErrorKind::config);
  CHECK_CONTAINS(doubted.stopped->message,
                 "Pinned Events answered 404 for event 7 and reading the events of channel 42 failed too");
  CHECK_CONTAINS(doubted.stopped->message, "pinned.base_url is probably wrong");
  CHECK(gone_record(p, "E-1").state == state::RowState::failed);
}

TEST_CASE("gone: a 404 to a create is never taken for a deleted event") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(404, k_not_found);
  const auto r = p.run();
  REQUIRE(r.stopped);
  CHECK_CONTAINS(r.stopped->message, "Pinned Events answered 404 to a create (POST /events)");
  CHECK(r.held == 0);
  CHECK(p.transport.requests.size() == 1);  // no check needed: a create has no event to lose
  const auto rec = gone_record(p, "E-1");
  CHECK(rec.state == state::RowState::failed);
  CHECK_FALSE(rec.event_id);
}

TEST_CASE("gone: a witness refused for want of events:read still proves the API answers: the 404 is believed") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "Blues")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(201, R"({"doc":{"id":8}})");
  REQUIRE(p.run().created == 2);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night"), row("s:3", "E-2", "Blues")};
  p.transport.reply(404, k_not_found);
  p.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"events:read"}})");
  CHECK(p.run().held == 1);
  CHECK(gone_record(p, "E-1").state == state::RowState::gone);
}

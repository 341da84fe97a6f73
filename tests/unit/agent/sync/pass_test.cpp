// The sync pass with a scripted connector and API, the real store on a temp file and a
// fake clock: outbox resumption, ID assignment, write-back, stopping on a refused key.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "agent/sync/report.h"
#include "pass_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

TEST_CASE("pass: a create in doubt is resent next pass with the same key and the exact stored body") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  const auto first = p.run();
  CHECK(first.failed == 1);
  CHECK(first.created == 0);
  auto pending = p.store->outbox("acme", "E-1");
  REQUIRE(pending);
  REQUIRE(pending->has_value());
  const std::string body = (*pending)->body;

  // The retry queue holds it until its backoff (at most retry_delay, 30 s, the first time) has passed.
  const auto early = p.run();
  CHECK(early.failed == 1);
  CHECK(early.rows.at(0).action == RowAction::waiting);
  CHECK(p.transport.requests.size() == 2);
  p.clock.advance(std::chrono::seconds(31));
  p.transport.reply(201, R"({"doc":{"id":7}})");
  const auto second = p.run();
  CHECK(second.created == 1);
  REQUIRE(p.transport.requests.size() == 3);
  CHECK(p.transport.requests[2].body == body);
  CHECK(p.header(2, "Idempotency-Key") == "pinsync-acme-E-1-create");
  CHECK(p.header(2, "Idempotency-Key") == p.header(0, "Idempotency-Key"));
  auto rec = p.store->row("acme", "E-1");
  REQUIRE(rec);
  CHECK((*rec)->event_id == 7);
  CHECK((*rec)->state == state::RowState::synced);
}

TEST_CASE("pass: a row edited while its create is in doubt gets the create finished first, then an update") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  p.run();
  const std::string old_body = p.transport.requests[0].body;

  p.connector.table.rows = {row("s:2", "E-1", "Jazz (late show)")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(200, R"({"doc":{"id":7}})");
  const auto second = p.run();
  CHECK(second.updated == 1);
  REQUIRE(p.transport.requests.size() == 4);
  CHECK(p.transport.requests[2].method == "POST");
  CHECK(p.transport.requests[2].body == old_body);
  CHECK(p.transport.requests[3].method == "PATCH");
  CHECK(p.transport.requests[3].url.ends_with("/events/7"));
  CHECK_CONTAINS(p.transport.requests[3].body, "Jazz (late show)");
}

TEST_CASE("pass: a refused key stops the source after the first write; nothing else is sent") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "A"), row("s:3", "E-2", "B"), row("s:4", "E-3", "C")};
  p.transport.reply(401, R"({"error":{"code":"invalid_api_key","message":"revoked"}})");
  const auto r = p.run();
  REQUIRE(r.stopped);
  CHECK(r.stopped->kind == ErrorKind::auth);
  CHECK(p.transport.requests.size() == 1);
  CHECK_FALSE(r.clean());
}

TEST_CASE("pass: approved rows without an ID get one written into the source before their event is created") {
  Pass p;
  p.connector.table.rows = {row("s:2", "", "New row"), row("s:3", "", "Not approved", "no")};
  p.transport.reply(201, R"({"doc":{"id":3}})");
  const auto r = p.run();
  REQUIRE(p.connector.assigned.size() == 1);
  const auto& a = p.connector.assigned[0];
  CHECK(a.row_ref == "s:2");
  CHECK(a.new_id.starts_with("PS-"));
  CHECK(a.cells.at(2) == "New row");
  CHECK(r.created == 1);
  CHECK(r.invalid == 0);
  CHECK(p.header(0, "Idempotency-Key") == "pinsync-acme-" + a.new_id + "-create");
}

TEST_CASE("pass: results are written back; a write-back failure is reported and the sync still counts") {
  Pass p;
  p.connector.write_back_enabled = true;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "")};
  p.transport.reply(201, R"({"doc":{"id":11}})");
  const auto r = p.run();
  CHECK(r.created == 1);
  CHECK(r.invalid == 1);
  REQUIRE(p.connector.written.size() == 2);
  CHECK(p.connector.written[0].source_id == "E-1");
  CHECK(p.connector.written[0].event_id == "11");
  CHECK(p.connector.written[0].status == "synced");
  CHECK(p.connector.written[1].status == "invalid");
  CHECK_FALSE(p.connector.written[1].error.empty());
  CHECK(r.write_back_cells == 2);

  p.connector.write_back_failure = "beta: write-back failed: the service account can only read this sheet";
  const auto again = p.run();
  CHECK_CONTAINS(again.write_back_error, "can only read");
  CHECK_FALSE(again.stopped);
  CHECK(again.unchanged == 1);

  // Rows the source could not tell apart any more are named in the report, in its words.
  p.connector.write_back_failure.clear();
  p.connector.write_back_skipped = {"ID \"E-1\" ('Events'!A2 when read): no row of 'Events' holds this ID any more"};
  const auto skipped = p.run();
  CHECK(skipped.write_back_skipped == p.connector.write_back_skipped);
  CHECK_CONTAINS(report_text(skipped, PassMode::apply),
                 "  not written back: ID \"E-1\" ('Events'!A2 when read): no row of 'Events' holds this ID any more\n");
  CHECK(skipped.clean() == again.clean());  // a note, not a failure of the pass
}

TEST_CASE("pass: a 409 on a create keeps the stored create; the next pass resends it with the same key") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(409, R"({"error":{"code":"conflict","message":"A request with this Idempotency-Key is still in progress"}})");
  const auto first = p.run();
  CHECK(first.failed == 1);
  auto pending = p.store->outbox("acme", "E-1");
  REQUIRE(pending);
  REQUIRE(pending->has_value());
  p.transport.reply(201, R"({"doc":{"id":4}})", {{"idempotent-replayed", "true"}});
  p.clock.advance(std::chrono::seconds(31));
  const auto second = p.run();
  CHECK(second.created == 1);
  CHECK(p.header(1, "Idempotency-Key") == p.header(0, "Idempotency-Key"));
  CHECK(p.transport.requests[1].body == p.transport.requests[0].body);
}

// The sync pass with a scripted connector and API, the real store on a temp file and a
// fake clock: outbox resumption, ID assignment, write-back, stopping on a refused key.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "agent/sync/report.h"
#include "pass_fixture.h"
#include "tests/support/outbox_entry.h"

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
  auto pending = testing::outbox_entry(*p.store, "acme", "E-1");
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

namespace {

// The fixture's source as one that writes event ids back to a column "Pinned" (an Airtable
// table), and a row of it carrying `pinned` there.
void write_back_event_ids(Pass& p) {
  connectors::AirtableSettings airtable;
  airtable.write_back.event_id_column = "Pinned";
  p.config.settings = airtable;
  p.connector.table.columns.push_back("Pinned");
}
connectors::Row row_carrying(std::string ref, std::string id, std::string title, std::string pinned) {
  auto r = row(std::move(ref), std::move(id), std::move(title));
  r.cells.push_back(std::move(pinned));
  return r;
}

}  // namespace

TEST_CASE("pass: a row back in the source gets a line saying so; a re-added row takes over its event, never twice") {
  Pass p;
  write_back_event_ids(p);
  p.connector.table.rows = {row_carrying("rec1", "E-1", "Jazz", "")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  REQUIRE(p.run().created == 1);

  // E-1 deleted, then restored with its id: back, and said so, without a request.
  p.options.accept_removals = true;
  p.connector.table.rows.clear();
  REQUIRE(p.run().removed == 1);
  p.connector.table.rows = {row_carrying("rec1", "E-1", "Jazz", "7")};
  const auto back = p.run();
  CHECK(back.unchanged == 1);
  REQUIRE(back.rows.size() == 1);
  CHECK(back.rows[0].source_id == "E-1");
  CHECK(back.rows[0].event_id == 7);
  CHECK(back.rows[0].detail == "back in the source after it was reported removed; synced to its event 7 again");
  CHECK(p.transport.requests.size() == 1);

  // E-1 deleted and added again as E-9 with its Pinned ID: a suspect read holds it...
  p.options.accept_removals = false;
  p.connector.table.rows = {row_carrying("rec9", "E-9", "Jazz", "7")};
  const auto held = p.run();
  CHECK_FALSE(held.suspect.empty());
  CHECK(held.held == 1);
  CHECK_CONTAINS(held.rows.at(0).detail, "re-added with event 7 of E-1, whose removal waits with this suspect read");
  CHECK(p.transport.requests.size() == 1);
  // ...until the removal is accepted: then one update of event 7 under E-9's own key.
  p.options.accept_removals = true;
  p.transport.reply(200, R"({"doc":{"id":7}})");
  const auto readded = p.run();
  CHECK(readded.created == 0);
  CHECK(readded.updated == 1);
  CHECK(readded.removed == 1);
  REQUIRE(p.transport.requests.size() == 2);
  CHECK(p.transport.requests[1].method == "PATCH");
  CHECK(p.transport.requests[1].url.ends_with("/events/7"));
  CHECK(p.header(1, "Idempotency-Key").starts_with("pinsync-acme-E-9-update-"));
  bool said = false;
  for (const auto& r : readded.rows) {
    if (r.source_id == "E-9") said = r.detail == "re-added: takes over event 7 from E-1, which is no longer in the source";
  }
  CHECK(said);
  auto e9 = p.store->row("acme", "E-9");
  REQUIRE(e9);
  REQUIRE(e9->has_value());
  CHECK((*e9)->event_id == 7);
  CHECK((*e9)->state == state::RowState::synced);

  // E-1 comes back from the trash too: event 7 is E-9's now, so E-1 gets its own, under a
  // key that was never used for event 7.
  p.connector.table.rows = {row_carrying("rec1", "E-1", "Jazz", "7"), row_carrying("rec9", "E-9", "Jazz", "7")};
  p.transport.reply(201, R"({"doc":{"id":8}})");
  const auto both = p.run();
  CHECK(both.created == 1);
  CHECK(both.unchanged == 1);
  REQUIRE(p.transport.requests.size() == 3);
  CHECK(p.transport.requests[2].method == "POST");
  CHECK(p.header(2, "Idempotency-Key") == "pinsync-acme-E-1-recreate-7-create");
}

TEST_CASE("pass: a 409 on a create keeps the stored create; the next pass resends it with the same key") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(409, R"({"error":{"code":"conflict","message":"A request with this Idempotency-Key is still in progress"}})");
  const auto first = p.run();
  CHECK(first.failed == 1);
  auto pending = testing::outbox_entry(*p.store, "acme", "E-1");
  REQUIRE(pending);
  REQUIRE(pending->has_value());
  p.transport.reply(201, R"({"doc":{"id":4}})", {{"idempotent-replayed", "true"}});
  p.clock.advance(std::chrono::seconds(31));
  const auto second = p.run();
  CHECK(second.created == 1);
  CHECK(p.header(1, "Idempotency-Key") == p.header(0, "Idempotency-Key"));
  CHECK(p.transport.requests[1].body == p.transport.requests[0].body);
}

TEST_CASE("pass: an invalid row is warned about once, when it becomes invalid; later passes only count it") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "")};
  const auto count_warnings = [&p] {
    const std::string text = p.log_text.str();
    std::size_t n = 0;
    for (auto at = text.find("row invalid"); at != std::string::npos; at = text.find("row invalid", at + 1)) ++n;
    return n;
  };
  CHECK(p.run().invalid == 1);
  CHECK(count_warnings() == 1);
  CHECK(p.run().invalid == 1);
  CHECK(p.run().invalid == 1);
  CHECK(count_warnings() == 1);  // still invalid for the same reason: counted, not warned again
  CHECK_CONTAINS(p.log_text.str(), "row still invalid");  // at debug level

  // Invalid for another reason: a new warning.
  p.connector.table.rows = {row("s:2", "E-1", "Jazz", "yes")};
  p.connector.table.rows[0].cells[5] = "Atlantis";  // a city the config does not place
  CHECK(p.run().invalid == 1);
  CHECK(count_warnings() == 2);
}

TEST_CASE("pass: a row left invalid is not written again each pass; a new reason or place is") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "")};
  CHECK(p.run().invalid == 1);
  const auto written_at = [&p] {
    auto rec = p.store->row("acme", "E-1");
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    return (*rec)->updated_at;
  };
  const auto first = written_at();
  p.clock.advance(std::chrono::hours(1));
  CHECK(p.run().invalid == 1);
  CHECK(written_at() == first);  // stored as it is: no write, no disk flush

  p.connector.table.rows = {row("s:9", "E-1", "")};  // moved
  CHECK(p.run().invalid == 1);
  CHECK(written_at() > first);
  auto moved = p.store->row("acme", "E-1");
  CHECK((*moved)->row_ref == "s:9");
}

TEST_CASE("pass: two rows with one ID share its stored record: warned and written once, not in turn every pass") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:5", "E-1", "Blues")};
  const auto warnings = [&p] {
    const std::string text = p.log_text.str();
    std::size_t n = 0;
    for (auto at = text.find("row invalid"); at != std::string::npos; at = text.find("row invalid", at + 1)) ++n;
    return n;
  };
  const auto written_at = [&p] {
    auto rec = p.store->row("acme", "E-1");
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    return (*rec)->updated_at;
  };
  CHECK(p.run().invalid == 2);
  CHECK(warnings() == 2);  // each row, once
  const auto first = written_at();
  for (int i = 0; i < 3; ++i) {
    p.clock.advance(std::chrono::hours(1));
    const auto again = p.run();
    CHECK(again.invalid == 2);  // still both in the report
    CHECK_CONTAINS(again.rows[1].detail, "(also s:2)");
  }
  CHECK(warnings() == 2);
  CHECK(written_at() == first);

  // A third row with the ID changes both reasons: warned and stored again.
  p.connector.table.rows.push_back(row("s:7", "E-1", "Folk"));
  CHECK(p.run().invalid == 3);
  CHECK(warnings() == 5);
  CHECK(written_at() > first);
}

TEST_CASE("pass: a paused source's skipped pass is told at info once per pause, at debug on later polls") {
  Pass p;
  REQUIRE(p.store->set_pause("acme", "partner on holiday", "", state::PausedBy::operator_));
  const auto told_at_info = [&p] {
    const std::string text = p.log_text.str();
    std::size_t n = 0;
    for (auto at = text.find("pass skipped"); at != std::string::npos; at = text.find("pass skipped", at + 1)) {
      const auto line = text.rfind('\n', at);
      n += text.substr(line == std::string::npos ? 0 : line, at - (line == std::string::npos ? 0 : line)).find(" info ") !=
                   std::string::npos
               ? 1
               : 0;
    }
    return n;
  };
  for (int i = 0; i < 3; ++i) REQUIRE(check_pause(*p.store, p.config, "", false, p.log));
  CHECK(told_at_info() == 1);
  // A new pause (a later start) is told again.
  REQUIRE(p.store->clear_pause("acme"));
  p.clock.advance(std::chrono::minutes(5));
  REQUIRE(p.store->set_pause("acme", "again", "", state::PausedBy::operator_));
  REQUIRE(check_pause(*p.store, p.config, "", false, p.log));
  CHECK(told_at_info() == 2);
}

TEST_CASE("run log: a pass that sends begins its entry before its first write; one that changes nothing logs it whole") {
  Pass p;
  p.connector.table.rows = {row("ref1", "E-1", "Show 1")};
  p.transport.reply(201, R"({"doc":{"id":1}})");
  std::optional<std::vector<state::RunRecord>> during;
  p.transport.on_send = [&](const http::Request&) {
    if (!during) during = p.store->recent_runs("acme", 5).value();
  };
  REQUIRE(p.run().created == 1);
  REQUIRE(during);
  REQUIRE(during->size() == 1);
  CHECK(during->front().finished_at == 0);  // "(unfinished)" in the history, should the agent die now
  p.transport.on_send = nullptr;

  p.clock.advance(std::chrono::seconds(60));
  const auto again = p.run();
  CHECK(again.unchanged == 1);
  const auto runs = p.store->recent_runs("acme", 5).value();
  REQUIRE(runs.size() == 2);
  CHECK(runs.front().started_at == during->front().started_at + 60);
  CHECK(runs.front().finished_at == runs.front().started_at);
  CHECK(runs.front().unchanged == 1);
  CHECK(runs.front().result == "ok");
  CHECK(runs.front().trigger == "test");
  CHECK(runs.back().created == 1);
  CHECK(runs.back().finished_at != 0);

  // A pass stopped by its source is logged whole too, with its reason.
  p.connector.table.columns = {"Nope"};
  const auto stopped = p.run();
  REQUIRE(stopped.stopped);
  const auto last = p.store->recent_runs("acme", 1).value();
  REQUIRE(last.size() == 1);
  CHECK(last.front().result == "stopped");
  CHECK_FALSE(last.front().detail.empty());
}

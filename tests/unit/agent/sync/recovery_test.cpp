// When a pass must look for existing events before it creates (agent/sync/recovery.h): a
// store with no record of the source, one put back from a `pinsync backup` copy, and one a
// pass settled; and what such a pass does (Executor): two equal events hold the row, a key
// without events:read creates nothing until a person confirms, and an event-ID cell naming
// another source's event never shares it.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <map>
#include <string>
#include <vector>

#include "agent/sync/recovery.h"
#include "core/datetime.h"
#include "pass_fixture.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace pinsync::agent {

namespace {

// The body pinsync creates `row` with, as a settled store sends it.
std::string create_body(const connectors::Row& row) {
  test::Pass p;
  p.connector.table.rows = {row};
  p.transport.reply(201, R"({"doc":{"id":1}})");
  REQUIRE(p.run().created == 1);
  return p.transport.requests.back().body;
}

// `body` as GET /events lists it, with its id.
std::string listed(std::int64_t id, const std::string& body) { return R"({"id":)" + std::to_string(id) + "," + body.substr(1); }

std::size_t posts(const test::Pass& p) {
  std::size_t n = 0;
  for (const auto& r : p.transport.requests) n += r.method == "POST" ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("recovery_reason: no record of the source, a restored backup, settled, an old store with rows") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto opened = state::Store::open(dir / "state.db", clock);
  REQUIRE(opened);
  auto& store = **opened;

  // Nothing known of the source: its rows may have events from a lost state file.
  auto fresh = recovery_reason(store, "acme", false);
  REQUIRE(fresh);
  CHECK(*fresh == "the state file has no record of this source (a new or lost state file, or a new source)");
  // A store from before this rule, with rows and no mark: nothing to look for.
  CHECK(recovery_reason(store, "acme", true).value().empty());

  // A backup copy put back: rows created since the copy are unknown to it.
  REQUIRE(store.set_fact("acme", state::k_recovery_fact, "backup 1780000000"));
  auto restored = recovery_reason(store, "acme", true);
  REQUIRE(restored);
  CHECK(*restored == "the state file was put back from a backup taken " + format_utc(1780000000) +
                         ", so rows created since are unknown to it");

  // A pass looked: settled, with rows or without.
  REQUIRE(settle_recovery(store, "acme"));
  CHECK(recovery_reason(store, "acme", true).value().empty());
  CHECK(recovery_reason(store, "acme", false).value().empty());
  // Another source is not settled by it.
  CHECK_FALSE(recovery_reason(store, "beta", false).value().empty());
}

TEST_CASE("recovery pass: two unowned events equal to an unknown row hold it naming both; the source stays in recovery") {
  const auto show = test::row("p.csv:2", "E-1", "Show one");
  const std::string body = create_body(show);
  test::Pass p;
  p.restored_backup();
  p.connector.table.rows = {show};
  p.transport.reply(200, R"({"docs":[)" + listed(7, body) + "," + listed(8, body) + R"(],"totalDocs":2,"limit":100,"page":1})");
  const auto r = p.run();
  CHECK(r.created == 0);
  CHECK(r.adopted == 0);
  CHECK(r.held == 1);
  CHECK_FALSE(r.stopped);
  CHECK_CONTAINS(r.rows.at(0).detail, "the state file was put back from a backup taken");
  CHECK_CONTAINS(r.rows.at(0).detail, "events 7, 8 in Pinned Events each equal this row");
  CHECK(posts(p) == 0);
  CHECK(p.store->row("acme", "E-1").value().value().state == state::RowState::needs_review);
  // Not settled: a later resync of the row still looks before it creates.
  CHECK_FALSE(recovery_reason(*p.store, "acme", true).value().empty());
}

TEST_CASE("recovery pass: one equal event is adopted, not created; the next pass creates new rows without looking") {
  const auto show = test::row("p.csv:2", "E-1", "Show one");
  const std::string body = create_body(show);
  test::Pass p;
  p.restored_backup();
  p.connector.table.rows = {show, test::row("p.csv:3", "E-2", "Show two")};
  p.transport.reply(200, R"({"docs":[)" + listed(7, body) + R"(],"totalDocs":1,"limit":100,"page":1})");
  p.transport.reply(201, R"({"doc":{"id":9}})");
  const auto r = p.run();
  CHECK(r.adopted == 1);
  CHECK(r.created == 1);
  CHECK_CONTAINS(r.recovering, "put back from a backup");
  CHECK(p.store->row("acme", "E-1").value().value().event_id == 7);
  CHECK(p.store->row("acme", "E-2").value().value().event_id == 9);
  CHECK(posts(p) == 1);
  CHECK(recovery_reason(*p.store, "acme", true).value().empty());  // settled

  p.connector.table.rows.push_back(test::row("p.csv:4", "E-3", "Show three"));
  const auto before = p.transport.requests.size();
  p.transport.reply(201, R"({"doc":{"id":10}})");
  const auto next = p.run();
  CHECK(next.created == 1);
  CHECK(next.recovering.empty());
  CHECK(p.transport.requests.size() == before + 1);  // the create alone: no look-up
}

TEST_CASE("recovery pass: a key without events:read and no event-ID column creates nothing until accepted") {
  test::Pass p;
  p.restored_backup();
  p.connector.table.rows = {test::row("p.csv:2", "E-1", "Show one"), test::row("p.csv:3", "E-2", "Show two")};
  p.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"This key lacks the events:read scope"}})");
  const auto refused = p.run();
  REQUIRE(refused.stopped);
  CHECK(refused.stopped->kind == ErrorKind::config);
  CHECK_CONTAINS(refused.stopped->message, "2 rows were not created");
  CHECK_CONTAINS(refused.stopped->message, "pinsync recover --source acme --accept-new-state");
  CHECK(refused.held == 2);
  CHECK(posts(p) == 0);
  CHECK_FALSE(p.store->row("acme", "E-1").value().has_value());  // still unknown: asked again next pass

  p.options.accept_new_state = true;
  p.transport.reply(201, R"({"doc":{"id":1}})");
  p.transport.reply(201, R"({"doc":{"id":2}})");
  const auto accepted = p.run();
  CHECK_FALSE(accepted.stopped);
  CHECK(accepted.created == 2);
  CHECK(recovery_reason(*p.store, "acme", true).value().empty());
}

TEST_CASE("adoption by event-ID cell: an event another source's row owns is never shared — a create, saying whose") {
  test::Pass p;
  connectors::GoogleSheetsSettings sheets;
  sheets.write_back.event_id_column = "Pinned ID";
  p.config.settings = sheets;
  p.connector.table.columns.push_back("Pinned ID");
  // beta's row B-1 owns event 7.
  state::OutboxEntry theirs;
  theirs.source = "beta";
  theirs.source_id = "B-1";
  theirs.action = state::WriteAction::create;
  theirs.idempotency_key = "pinsync-beta-B-1-create";
  theirs.body = "{}";
  theirs.payload_hash = "h";
  REQUIRE(p.store->record_outcomes(std::vector<state::Outcome>{{theirs, state::WriteOutcome{201, "", 7}, std::nullopt, {}}}));

  auto mine = test::row("p.csv:2", "E-1", "Show one");
  mine.cells.push_back("7");
  auto adopt = test::row("p.csv:3", "E-2", "Show two");
  adopt.cells.push_back("8");  // no row has event 8: adopted (read first; it differs, so updated)
  auto foreign = test::row("p.csv:4", "E-3", "Show three");
  foreign.cells.push_back("12");  // event 12 is in channel 43, not this source's 42
  p.connector.table.rows = {mine, adopt, foreign};
  std::int64_t next_id = 20;
  p.transport.answer = [&next_id](const http::Request& req) -> testing::FakeTransport::Step {
    if (req.method == "GET" && req.url.ends_with("/events/12")) {
      return http::Response{200, {}, R"({"doc":{"id":12,"channelId":43,"title":"Elsewhere"}})"};
    }
    if (req.method == "GET") return http::Response{200, {}, R"({"doc":{"id":8,"channelId":42,"title":"Old title"}})"};
    if (req.method == "PATCH") return http::Response{200, {}, R"({"doc":{"id":8}})"};
    return http::Response{201, {}, R"({"doc":{"id":)" + std::to_string(next_id++) + "}}"};
  };
  const auto r = p.run();
  CHECK(r.created == 2);
  CHECK(r.updated == 1);
  CHECK(p.store->row("acme", "E-2").value().value().event_id == 8);
  const auto e1 = p.store->row("acme", "E-1").value().value().event_id;
  const auto e3 = p.store->row("acme", "E-3").value().value().event_id;
  CHECK((e1 >= 20 && e3 >= 20 && e1 != e3));
  for (const auto& req : p.transport.requests) CHECK_FALSE((req.url.ends_with("/events/12") && req.method == "PATCH"));
  std::map<std::string, std::string> said;
  for (const auto& row : r.rows) said[row.source_id] = row.detail;
  CHECK(said["E-1"] == "its event-ID cell names event 7, which belongs to B-1 of beta: a new event is created for it");
  CHECK(said["E-3"] == "its event-ID cell names event 12 of channel 43, not this source's channel 42: a new event is created for it");
}

}  // namespace pinsync::agent

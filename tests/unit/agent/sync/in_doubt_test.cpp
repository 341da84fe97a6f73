// Creates in doubt past the idempotency window: the key may have expired, so before a
// resend pinsync looks in Pinned Events for the event the create may have made. It adopts
// only an event equal to the whole stored body that no other row owns, holds the row for a
// person when several fit, reads the channel once for every create in doubt of a pass, and
// commits what it learned before it sends anything else.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <map>
#include <string>
#include <vector>

#include "pass_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

namespace {

// Leaves the creates of the rows new to the store in doubt (each answer lost twice), then
// moves the clock past the idempotency window. Returns each in-doubt row's create body, as
// stored in the outbox, by source id.
std::map<std::string, std::string> creates_in_doubt_then_wait(Pass& p, std::vector<connectors::Row> rows) {
  p.connector.table.rows = std::move(rows);
  std::vector<std::string> fresh;
  for (const auto& r : p.connector.table.rows) {
    auto stored = p.store->row("acme", r.cells.at(0));
    REQUIRE(stored);
    if (!stored->has_value()) fresh.push_back(r.cells.at(0));
  }
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
    p.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  }
  p.run();
  p.clock.advance(std::chrono::minutes(20));
  std::map<std::string, std::string> bodies;
  for (const auto& id : fresh) {
    auto entry = testing::outbox_entry(*p.store, "acme", id);
    REQUIRE(entry);
    REQUIRE(entry->has_value());
    bodies[id] = (*entry)->body;
  }
  return bodies;
}

// `body` as GET /events lists it: with its id, and extra fields only the event has.
std::string listed(std::int64_t id, const std::string& body) {
  return R"({"id":)" + std::to_string(id) + R"(,"createdAt":"2026-01-01T00:00:00.000Z",)" + body.substr(1);
}

std::string page(const std::vector<std::string>& docs) {
  std::string out = R"({"docs":[)";
  for (std::size_t i = 0; i < docs.size(); ++i) out += (i == 0 ? "" : ",") + docs[i];
  return out + R"(],"totalDocs":)" + std::to_string(docs.size()) + R"(,"limit":100,"page":1})";
}

// A row like pass_fixture's row(), with its own venue (location name) column value.
connectors::Row row_at(std::string ref, std::string id, std::string title, std::string venue) {
  auto r = row(std::move(ref), std::move(id), std::move(title));
  r.cells.push_back(std::move(venue));
  return r;
}

std::size_t count(const Pass& p, const std::string& method) {
  std::size_t n = 0;
  for (const auto& r : p.transport.requests) n += r.method == method ? 1 : 0;
  return n;
}

void add_venue_column(Pass& p) {
  p.connector.table.columns.push_back("Venue");
  p.config.mapping.location_name = "Venue";
}

}  // namespace

TEST_CASE("in doubt: past the window the create is looked up and adopted, never resent") {
  Pass p;
  auto bodies = creates_in_doubt_then_wait(p, {row("s:2", "E-1", "Jazz")});
  // Event 9 is the row's, its start written in UTC; event 5 has another title.
  std::string utc = bodies["E-1"];
  utc.replace(utc.find("2026-06-12T20:00:00-04:00"), 25, "2026-06-13T00:00:00Z");
  p.transport.reply(200, page({R"({"id":5,"title":"Other","startAt":"2026-06-12T20:00:00-04:00"})", listed(9, utc)}));
  const auto r = p.run();
  CHECK(r.created == 1);
  REQUIRE(p.transport.requests.size() == 3);
  CHECK(p.transport.requests[2].method == "GET");
  CHECK_CONTAINS(p.transport.requests[2].url, "/events?channelId=42");
  auto rec = p.store->row("acme", "E-1");
  REQUIRE(rec);
  CHECK((*rec)->event_id == 9);
  CHECK((*rec)->state == state::RowState::synced);
  auto outbox = testing::outbox_entry(*p.store, "acme", "E-1");
  REQUIRE(outbox);
  CHECK_FALSE(outbox->has_value());
}

TEST_CASE("in doubt: past the window with no such event, the stored create is sent again") {
  Pass p;
  auto bodies = creates_in_doubt_then_wait(p, {row("s:2", "E-1", "Jazz")});
  p.transport.reply(200, page({}));
  p.transport.reply(201, R"({"doc":{"id":12}})");
  const auto r = p.run();
  CHECK(r.created == 1);
  REQUIRE(p.transport.requests.size() == 4);
  CHECK(p.transport.requests[3].method == "POST");
  CHECK(p.transport.requests[3].body == bodies["E-1"]);
}

// Regression: the look-up took the first event with the same title and start, so a show
// listed twice (two venues) ended on the other row's event.
TEST_CASE("in doubt: an event with the same title and start but another venue is not the row's") {
  Pass p;
  add_venue_column(p);
  p.connector.table.rows = {row_at("s:2", "X-1", "Jazz", "Main stage")};
  p.transport.reply(201, R"({"doc":{"id":1}})");
  REQUIRE(p.run().created == 1);
  const auto x1_body = p.transport.requests.back().body;

  const auto bodies = creates_in_doubt_then_wait(
      p, {row_at("s:2", "X-1", "Jazz", "Main stage"), row_at("s:3", "X-2", "Jazz", "Side stage")});
  // X-2's create did make event 2; event 1 (X-1's) comes first in the channel.
  p.transport.reply(200, page({listed(1, x1_body), listed(2, bodies.at("X-2"))}));
  const auto r = p.run();
  CHECK(r.created == 1);
  CHECK(count(p, "POST") == 3);  // X-1's create and X-2's two lost attempts, nothing since
  auto x2 = p.store->row("acme", "X-2");
  REQUIRE(x2);
  CHECK((*x2)->event_id == 2);
  auto x1 = p.store->row("acme", "X-1");
  REQUIRE(x1);
  CHECK((*x1)->event_id == 1);
}

TEST_CASE("in doubt: an event equal in every field that another row owns is never adopted") {
  Pass p;
  // Two rows alike in every mapped field: a show listed twice. X-1 owns event 1.
  p.connector.table.rows = {row("s:2", "X-1", "Jazz")};
  p.transport.reply(201, R"({"doc":{"id":1}})");
  REQUIRE(p.run().created == 1);
  const auto bodies = creates_in_doubt_then_wait(p, {row("s:2", "X-1", "Jazz"), row("s:3", "X-2", "Jazz")});
  p.transport.reply(200, page({listed(1, bodies.at("X-2"))}));  // X-2's create made nothing
  p.transport.reply(201, R"({"doc":{"id":2}})");
  const auto r = p.run();
  CHECK(r.created == 1);
  CHECK(p.transport.requests.back().method == "POST");
  CHECK(p.transport.requests.back().body == bodies.at("X-2"));
  auto x2 = p.store->row("acme", "X-2");
  REQUIRE(x2);
  CHECK((*x2)->event_id == 2);
}

TEST_CASE("in doubt: two unowned events equal to the row hold it for a person, naming both") {
  Pass p;
  auto bodies = creates_in_doubt_then_wait(p, {row("s:2", "E-1", "Jazz")});
  p.transport.reply(200, page({listed(4, bodies["E-1"]), listed(8, bodies["E-1"])}));
  const auto r = p.run();
  CHECK(r.held == 1);
  CHECK(r.created == 0);
  CHECK(count(p, "POST") == 2);
  auto rec = p.store->row("acme", "E-1");
  REQUIRE(rec);
  CHECK((*rec)->state == state::RowState::needs_review);
  CHECK_FALSE((*rec)->event_id.has_value());
  CHECK_CONTAINS((*rec)->error_reason, "events 4, 8");
  CHECK_CONTAINS((*rec)->error_reason, "pinsync resync --source acme --row E-1");

  // The person deleted the duplicate; resync --row looks again and adopts the one left.
  p.options = manual_pass({.rows = {"E-1"}});
  p.transport.reply(200, page({listed(8, bodies["E-1"])}));
  const auto reviewed = p.run();
  CHECK(reviewed.created == 1);
  CHECK(count(p, "POST") == 2);
  rec = p.store->row("acme", "E-1");
  REQUIRE(rec);
  CHECK((*rec)->event_id == 8);
}

TEST_CASE("in doubt: one scan of the channel for every create in doubt, committed before any send") {
  Pass p;
  auto bodies = creates_in_doubt_then_wait(
      p, {row("s:2", "A", "Jazz"), row("s:3", "B", "Blues"), row("s:4", "C", "Soul")});
  // A and B were created; C was not. One listing answers all three.
  p.transport.reply(200, page({listed(3, bodies["A"]), listed(6, bodies["B"])}));
  p.transport.reply(201, R"({"doc":{"id":7}})");
  bool adopted_before_send = false;
  p.transport.on_send = [&](const http::Request& request) {
    if (request.method != "POST") return;
    auto a = p.store->row("acme", "A");
    auto b = p.store->row("acme", "B");
    adopted_before_send = a && *a && (*a)->event_id == 3 && b && *b && (*b)->event_id == 6;
  };
  const auto r = p.run();
  CHECK(r.created == 3);
  CHECK(count(p, "GET") == 1);
  CHECK(adopted_before_send);
  auto c = p.store->row("acme", "C");
  REQUIRE(c);
  CHECK((*c)->event_id == 7);
}

TEST_CASE("in doubt: past the window without events:read, the row is held for review, never resent blindly") {
  Pass p;
  auto bodies = creates_in_doubt_then_wait(p, {row("s:2", "E-1", "Jazz")});
  p.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"needs events:read"}})");
  const auto r = p.run();
  CHECK(r.held == 1);
  CHECK(r.created == 0);
  REQUIRE(p.transport.requests.size() == 3);
  auto rec = p.store->row("acme", "E-1");
  REQUIRE(rec);
  CHECK((*rec)->state == state::RowState::needs_review);
  CHECK_CONTAINS((*rec)->error_reason, "events:read");
  // The next pass holds it without any request.
  const auto again = p.run();
  CHECK(again.held == 1);
  CHECK(p.transport.requests.size() == 3);

  // The person looked: the event is not there. resync --row tries the look-up once more
  // and, as the key still may not read events, sends the stored create as it is, with its key.
  p.options = manual_pass({.rows = {"E-1"}});
  p.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"needs events:read"}})");
  p.transport.reply(201, R"({"doc":{"id":12}})");
  const auto reviewed = p.run();
  CHECK(reviewed.created == 1);
  REQUIRE(p.transport.requests.size() == 5);
  CHECK(p.transport.requests[4].method == "POST");
  CHECK(p.transport.requests[4].body == bodies["E-1"]);
  CHECK(p.header(4, "Idempotency-Key") == "pinsync-acme-E-1-create");
}

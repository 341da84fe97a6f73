// The pass's settled rows: rows read again exactly as stored are counted as unchanged and
// dropped while the source is read (a no-change pass holds one digest per stored row, not
// the rows). What a plan decides from all rows must not change: duplicate IDs, the suspect
// read's counts, events owned by a row still in the source.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <map>
#include <optional>
#include <string>

#include "agent/mapping/mapper.h"
#include "pass_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

namespace {

// Creates events 1..n for rows ref1..refn (IDs E-1..E-n) and checks the pass made them.
void sync_rows(Pass& p, int n) {
  p.connector.table.rows.clear();
  for (int i = 1; i <= n; ++i) {
    p.connector.table.rows.push_back(row("ref" + std::to_string(i), "E-" + std::to_string(i), "Show " + std::to_string(i)));
    p.transport.reply(201, R"({"doc":{"id":)" + std::to_string(i) + "}}");
  }
  REQUIRE(p.run().created == n);
}

}  // namespace

TEST_CASE("settled rows: a pass over unchanged rows counts them, sends nothing and stores nothing") {
  Pass p;
  sync_rows(p, 5);
  const auto requests = p.transport.requests.size();
  const auto again = p.run();
  CHECK(again.unchanged == 5);
  CHECK(again.created + again.updated + again.invalid + again.removed == 0);
  CHECK(again.rows.empty());
  CHECK(p.transport.requests.size() == requests);

  // One edited row among them is the only one planned and sent.
  p.connector.table.rows[2].cells[2] = "Show 3, moved";
  p.transport.reply(200, R"({"doc":{"id":3}})");
  const auto edited = p.run();
  CHECK(edited.unchanged == 4);
  CHECK(edited.updated == 1);
  REQUIRE(p.transport.requests.size() == requests + 1);
  CHECK(p.transport.requests.back().url.ends_with("/events/3"));
}

TEST_CASE("settled rows: a later row with a settled row's ID makes both invalid, in source order") {
  Pass p;
  sync_rows(p, 3);
  p.connector.table.rows.push_back(row("ref9", "E-2", "Another show"));
  const auto r = p.run();
  CHECK(r.invalid == 2);
  CHECK(r.unchanged == 2);
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].row_ref == "ref2");
  CHECK(r.rows[1].row_ref == "ref9");
  CHECK_CONTAINS(r.rows[0].detail, "the ID \"E-2\" is used by more than one row (also ref9)");
  CHECK_CONTAINS(r.rows[1].detail, "(also ref2)");
  // An unapproved row with the ID counts as well, as it always did.
  p.connector.table.rows.back() = row("ref9", "E-1", "Draft copy", "no");
  const auto unapproved = p.run();
  CHECK(unapproved.invalid == 1);
  REQUIRE(unapproved.rows.size() == 1);
  CHECK(unapproved.rows[0].row_ref == "ref1");
}

TEST_CASE("settled rows: the suspect-read guard counts them among the rows approved before and now") {
  Pass p;
  p.config.max_removed_share = 0.3;
  sync_rows(p, 10);
  p.connector.table.rows.resize(6);  // 4 of 10 gone: 40 % > 30 %
  const auto r = p.run();
  CHECK(r.unchanged == 6);
  CHECK(r.removed == 0);
  CHECK_CONTAINS(r.suspect, "4 of 10 approved rows (40%) would be marked removed");
  p.connector.table.rows.resize(8);  // 2 of 10: within the share
  for (int i = 7; i <= 8; ++i) {
    p.connector.table.rows[static_cast<std::size_t>(i - 1)] =
        row("ref" + std::to_string(i), "E-" + std::to_string(i), "Show " + std::to_string(i));
  }
  const auto fine = p.run();
  CHECK(fine.suspect.empty());
  CHECK(fine.removed == 2);
  CHECK(fine.unchanged == 8);
}

TEST_CASE("settled rows: a new row carrying a settled row's event gets its own event, saying whose it is") {
  Pass p;
  connectors::AirtableSettings airtable;
  airtable.write_back.event_id_column = "Pinned";
  p.config.settings = airtable;
  p.connector.table.columns.push_back("Pinned");
  p.connector.table.rows = {row("rec1", "E-1", "Jazz")};
  p.connector.table.rows[0].cells.push_back("");
  p.transport.reply(201, R"({"doc":{"id":7}})");
  REQUIRE(p.run().created == 1);

  p.connector.table.rows[0].cells.back() = "7";
  auto copy = row("rec2", "E-2", "Jazz copy");
  copy.cells.push_back("7");  // pasted with E-1's event ID
  p.connector.table.rows.push_back(copy);
  p.transport.reply(201, R"({"doc":{"id":8}})");
  const auto r = p.run();
  CHECK(r.unchanged == 1);
  CHECK(r.created == 1);
  REQUIRE(p.transport.requests.size() == 2);
  CHECK(p.transport.requests[1].method == "POST");
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].detail == "it carries event 7, which belongs to E-1, still in the source: a new event is created for it");
}

namespace {

// The cells token the store holds for each row of the source, by ID.
std::map<std::string, std::optional<Digest128>> stored_tokens(Pass& p) {
  auto digests = p.store->row_digests("acme");
  REQUIRE(digests);
  std::map<std::string, std::optional<Digest128>> out;
  for (std::size_t i = 0; i < digests->size(); ++i) {
    out.emplace(std::string((*digests)[i].source_id), (*digests)[i].cells_token);
  }
  return out;
}

}  // namespace

TEST_CASE("settled by their cells: a pass that sends rows stores their cells tokens; the next settles by them") {
  Pass p;
  sync_rows(p, 4);
  const auto tokens = stored_tokens(p);
  auto mapper = RowMapper::open(p.config, p.connector.table, p.slugs);
  REQUIRE(mapper);
  for (const auto& r : p.connector.table.rows) {
    const auto record = p.store->row("acme", r.cells[0]);
    REQUIRE(record);
    REQUIRE(record->has_value());
    CHECK(tokens.at(r.cells[0]) == mapper->cells_token(r, (*record)->payload_hash));
  }
  const auto again = p.run();
  CHECK(again.unchanged == 4);
  CHECK(again.rows.empty());
  CHECK(stored_tokens(p) == tokens);

  // A token lost (or stored by an older pinsync) is stored again by the next pass.
  REQUIRE(p.store->set_cells_tokens("acme", std::vector<state::CellsToken>{{"E-2", sha256_128("stale")}}));
  CHECK(p.run().unchanged == 4);
  CHECK(stored_tokens(p) == tokens);
}

TEST_CASE("settled by their cells: the token stored with a write that failed does not settle the row") {
  Pass p;
  sync_rows(p, 1);
  p.connector.table.rows[0].cells[2] = "Show 1, late";
  for (int i = 0; i < 2; ++i) p.transport.reply(503, R"({"errors":[{"message":"down"}]})");
  const auto failed = p.run();
  CHECK(failed.updated == 0);
  CHECK(failed.failed == 1);
  // The edited cells' token was stored with the pass, but the event still holds the first
  // payload (and the store its hash): the row is sent again, not settled.
  p.transport.reply(200, R"({"doc":{"id":1}})");
  p.options.manual = true;  // a resync: the queued row is tried at once
  const auto retried = p.run();
  CHECK(retried.updated == 1);
  CHECK(retried.unchanged == 0);
  CHECK_CONTAINS(p.transport.requests.back().body, "Show 1, late");
}

TEST_CASE("settled by their cells: a config change the cells do not show updates every row") {
  Pass p;
  sync_rows(p, 3);
  REQUIRE(p.run().unchanged == 3);  // tokens stored
  p.config.mapping.city.places = {{"New York", Place{"place-nyc", "US"}}};
  for (int i = 1; i <= 3; ++i) p.transport.reply(200, R"({"doc":{"id":)" + std::to_string(i) + "}}");
  const auto moved = p.run();
  CHECK(moved.updated == 3);
  CHECK_CONTAINS(p.transport.requests.back().body, "place-nyc");
  CHECK(p.run().unchanged == 3);

  p.config.channel_id = 43;
  for (int i = 1; i <= 3; ++i) p.transport.reply(200, R"({"doc":{"id":)" + std::to_string(i) + "}}");
  CHECK(p.run().updated == 3);
}

TEST_CASE("settled by their cells: a classification Pinned Events no longer knows makes the same cells invalid") {
  Pass p;
  sync_rows(p, 2);
  REQUIRE(p.run().unchanged == 2);
  p.slugs = std::set<std::string>{"theatre"};
  const auto r = p.run();
  CHECK(r.invalid == 2);
  CHECK(r.unchanged == 0);
}

TEST_CASE("settled by their cells: an edit taken back after its update went out is sent again") {
  Pass p;
  sync_rows(p, 2);
  REQUIRE(p.run().unchanged == 2);  // tokens of the first cells and payloads
  const std::string first_title = p.connector.table.rows[0].cells[2];
  p.connector.table.rows[0].cells[2] = "Show 1, late";
  p.transport.reply(200, R"({"doc":{"id":1}})");
  REQUIRE(p.run().updated == 1);
  // The stored token still names the first cells, with the payload they gave then: back to
  // those cells, the row must not settle against the event that now holds the edit.
  p.connector.table.rows[0].cells[2] = first_title;
  p.transport.reply(200, R"({"doc":{"id":1}})");
  const auto back = p.run();
  CHECK(back.updated == 1);
  CHECK_CONTAINS(p.transport.requests.back().body, "\"title\":\"" + first_title + "\"");
}

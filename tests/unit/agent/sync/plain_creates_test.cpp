// A plan's plain creates: rows a dry run can only create are kept as their place and ID,
// not as mapped rows and plan items, so a plan of a new million-row source fits in a few
// hundred megabytes. What the plan says must not change: every row in source order,
// duplicate IDs invalid (the first row given back), the suspect read's counts.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <string>
#include <vector>

#include "agent/sync/source_read.h"
#include "pass_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;

namespace {

MappedRow mapped(std::string ref, std::string id, bool approved = true) {
  MappedRow m;
  m.row_ref = std::move(ref);
  m.source_id = std::move(id);
  m.approved = approved;
  m.payload = "{}";
  m.payload_hash = "h";
  return m;
}

std::vector<std::string> lines(const PassReport& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row.row_ref + " " + row.source_id + " " + std::string(to_string(row.action)));
  return out;
}

}  // namespace

TEST_CASE("plain creates: kept by ID past many rows, given back once when the ID comes again") {
  PlainCreates creates;
  for (int i = 0; i < 3000; ++i) REQUIRE(creates.take(mapped("r" + std::to_string(i), "N-" + std::to_string(i)), i));
  CHECK(creates.size() == 3000);
  CHECK_FALSE(creates.take(mapped("again", "N-17"), 5000));  // the ID was seen: not plain

  const auto first = creates.give_back("N-17");
  REQUIRE(first);
  CHECK(first->first == 17);
  CHECK(first->second.row_ref == "r17");
  CHECK(first->second.source_id == "N-17");
  CHECK(first->second.approved);
  CHECK(first->second.errors.empty());
  CHECK(creates.size() == 2999);
  CHECK(creates.rows()[17].given_back);
  CHECK_FALSE(creates.give_back("N-17"));  // once
  CHECK_FALSE(creates.give_back("N-99999"));

  // A row that is no plain create still marks its ID seen.
  CHECK_FALSE(creates.take(mapped("u", "U-1", false), 6000));
  CHECK_FALSE(creates.take(mapped("u2", "U-1"), 6001));
  CHECK_FALSE(creates.give_back("U-1"));
  auto invalid = mapped("bad", "B-1");
  invalid.errors.push_back({"Title", "", "empty"});
  CHECK_FALSE(creates.take(invalid, 6002));
  auto carrying = mapped("carry", "C-1");
  carrying.written_event_id = "12";
  CHECK_FALSE(creates.take(carrying, 6003));
  CHECK(creates.size() == 2999);
}

TEST_CASE("plain creates: a plan reports every row in source order, duplicates of new IDs invalid") {
  Pass p;
  p.connector.table.rows = {row("ref1", "E-1", "Show 1"), row("ref2", "E-2", "Show 2")};
  p.transport.reply(201, R"({"doc":{"id":1}})");
  p.transport.reply(201, R"({"doc":{"id":2}})");
  REQUIRE(p.run().created == 2);
  const auto requests = p.transport.requests.size();

  auto bad = row("ref6", "N-3", "Bad start");
  bad.cells[3] = "not a date";
  p.connector.table.rows = {
      row("ref3", "N-1", "New 1"),          row("ref4", "E-1", "Show 1, moved"),  row("ref5", "N-2", "New 2"),
      bad,                                  row("ref7", "N-1", "New 1 again"),    row("ref8", "N-4", "Draft", "no"),
      row("ref9", "N-4", "Approved copy"),  row("ref10", "", "No ID yet"),        row("ref11", "E-2", "Show 2"),
      row("ref12", "N-5", "New 5"),
  };
  const auto r = p.run(PassMode::dry_run);
  CHECK(p.transport.requests.size() == requests);
  CHECK(lines(r) == std::vector<std::string>{
                        "ref3 N-1 invalid", "ref4 E-1 would update", "ref5 N-2 would create", "ref6 N-3 invalid",
                        "ref7 N-1 invalid", "ref9 N-4 invalid", "ref10 (new ID 1) would create",
                        "ref12 N-5 would create"});
  CHECK(r.created == 3);
  CHECK(r.updated == 1);
  CHECK(r.unchanged == 1);
  CHECK(r.invalid == 4);
  CHECK_CONTAINS(r.rows[0].detail, "the ID \"N-1\" is used by more than one row (also ref7)");
  CHECK_CONTAINS(r.rows[5].detail, "(also ref8)");
  REQUIRE_FALSE(r.rows[1].changes.empty());  // a row the store knows keeps its payload for the changes
  CHECK(r.rows[1].changes[0].field == "title");
}

TEST_CASE("plain creates: a plan's suspect read counts them among the rows approved now, as a sync does") {
  Pass p;
  p.config.max_removed_share = 0.3;
  for (int i = 1; i <= 10; ++i) {
    p.connector.table.rows.push_back(row("ref" + std::to_string(i), "E-" + std::to_string(i), "Show"));
    p.transport.reply(201, R"({"doc":{"id":)" + std::to_string(i) + "}}");
  }
  REQUIRE(p.run().created == 10);
  // Eight rows replaced by eight new ones: 80 % of the known rows would be removed.
  for (int i = 0; i < 8; ++i) {
    p.connector.table.rows[i] = row("new" + std::to_string(i), "N-" + std::to_string(i), "New show");
  }
  const auto planned = p.run(PassMode::dry_run);
  CHECK(planned.created == 8);
  CHECK(planned.removed == 0);
  CHECK_CONTAINS(planned.suspect, "8 of 10 approved rows (80%) would be marked removed");
  for (int i = 11; i <= 18; ++i) p.transport.reply(201, R"({"doc":{"id":)" + std::to_string(i) + "}}");
  const auto synced = p.run();
  CHECK(synced.created == 8);
  CHECK(synced.suspect == planned.suspect);

  // Every approved row gone, only new ones there: the same message in a plan as in a sync.
  p.connector.table.rows = {row("other", "Z-1", "Other show")};
  const auto only_new = p.run(PassMode::dry_run);
  CHECK_CONTAINS(only_new.suspect, "18 of 18 approved rows (100%) would be marked removed");
}

// A partner reshapes a Google Sheet while pinsync syncs it, with the Sheets API a partner's own
// script uses: rows inserted above synced ones, rows appended, a tab hidden. pinsync must
// create no duplicate event and say what changed.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <string>
#include <vector>

#include "tests/support/partner_worlds.h"

using pinsync::test::http;
using pinsync::test::SheetsWorld;

namespace {

const std::string k_two_rows = R"({"Partner Events":[)" + SheetsWorld::k_header + "," +
                               SheetsWorld::row("E-1", "Rooftop Jazz", "6/12/2026") + "," +
                               SheetsWorld::row("E-2", "Late Jazz", "6/13/2026") + "]}";

std::string insert_rows(std::int64_t sheet, int start, int end) {
  return R"({"requests":[{"insertDimension":{"range":{"sheetId":)" + std::to_string(sheet) +
         R"(,"dimension":"ROWS","startIndex":)" + std::to_string(start) + R"(,"endIndex":)" + std::to_string(end) + "}}}]}";
}

// The row of the events tab whose Event ID is `id` (0-based, header included), or -1.
int row_of(SheetsWorld& s, const std::string& id) {
  auto rows = s.cells();
  for (unsigned r = 0; r < rows->size(); ++r) {
    auto cells = rows->getArray(r);
    if (cells && cells->size() > 0 && cells->get(0).toString() == id) return static_cast<int>(r);
  }
  return -1;
}

// Runs pinsync with `args` (a command and its options) on the world's config.
pinsync::test::ProcessResult run_pinsync_args(SheetsWorld& s, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", s.config.string()});
  auto r = pinsync::test::run_process(argv, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}});
  INFO("pinsync stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK_NOT_CONTAINS(r.out + r.err, "sandbox-key");
  return r;
}

}  // namespace

TEST_CASE("partner inserts rows above synced ones (insertDimension) and fills one: one create, nothing else, write-back follows the rows") {
  SheetsWorld s;
  s.put(k_two_rows);
  REQUIRE(s.pinsync("sync").exit_code == 0);
  REQUIRE(s.events()->size() == 2);
  const std::string e1_event = s.cell(1, 9);
  REQUIRE_FALSE(e1_event.empty());

  // Two rows inserted under the header; the partner types a new event into the first of them.
  s.partner_batch_update(insert_rows(s.sheet_id("Partner Events"), 1, 3));
  REQUIRE(http(s.sandbox.base_url(), "PUT",
               "/v4/spreadsheets/1AbCdEf/values/%27Partner%20Events%27%21A2?valueInputOption=USER_ENTERED",
               R"({"values":[)" + SheetsWorld::row("E-3", "Early Jazz", "6/11/2026") + "]}",
               {{"Authorization", "Bearer " + s.partner_token()}}).status == 200);
  const int creates = s.creates(), updates = s.updates();
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "1 created, 0 updated, 2 unchanged, 0 invalid, 0 removed");
  CHECK(s.creates() == creates + 1);
  CHECK(s.updates() == updates);
  CHECK(s.events()->size() == 3);
  // E-1 moved from row 2 to row 4 and kept its cells; E-3's row got its own.
  CHECK(row_of(s, "E-1") == 3);
  CHECK(s.cell(3, 9) == e1_event);
  CHECK(s.cell(3, 10) == "synced");
  CHECK_FALSE(s.cell(1, 9).empty());
  CHECK(s.cell(1, 9) != e1_event);
  CHECK(s.cell(2, 9).empty());  // the empty inserted row stays empty

  // A third pass changes nothing anywhere.
  const int sheet_writes = s.requests("POST", "/v4/spreadsheets/{id}/values:batchUpdate");
  CHECK(s.pinsync("sync").exit_code == 0);
  CHECK(s.creates() == creates + 1);
  CHECK(s.requests("POST", "/v4/spreadsheets/{id}/values:batchUpdate") == sheet_writes);
}

TEST_CASE("partner appends rows with values.append: each becomes one event, written back below the others") {
  SheetsWorld s;
  s.put(k_two_rows);
  REQUIRE(s.pinsync("sync").exit_code == 0);
  auto appended = s.partner_append("'Partner Events'!A1:L", "[" + SheetsWorld::row("E-3", "Encore", "6/14/2026") + "]");
  CHECK(pinsync::test::parse_object(appended.body)->getValue<std::string>("tableRange") == "'Partner Events'!A1:L3");
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "1 created, 0 updated, 2 unchanged");
  CHECK(s.events()->size() == 3);
  CHECK(row_of(s, "E-3") == 3);
  CHECK(s.cell(3, 10) == "synced");
}

TEST_CASE("partner hides the synced tab: pinsync keeps reading it by name, removes nothing, creates nothing twice") {
  SheetsWorld s;
  s.put(R"({"Partner Events":[)" + SheetsWorld::k_header + "," + SheetsWorld::row("E-1", "Rooftop Jazz", "6/12/2026") +
        "," + SheetsWorld::row("E-2", "Late Jazz", "6/13/2026") + R"(],"Notes":[["scratch"]]})");
  REQUIRE(s.pinsync("sync").exit_code == 0);
  s.partner_batch_update(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"hidden":true},"fields":"hidden"}}]})");
  // A hidden tab can still be edited by a script: one more event arrives.
  s.partner_append("'Partner Events'!A1:L", "[" + SheetsWorld::row("E-3", "Encore", "6/14/2026") + "]");
  const int creates = s.creates();
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "1 created, 0 updated, 2 unchanged, 0 invalid, 0 removed");
  CHECK(s.creates() == creates + 1);
  CHECK(s.events()->size() == 3);
}

// Regression test for write-back into rows that moved: the sandbox inserts a row under the
// header just before pinsync's write-back lands, so the write goes to the positions of the
// read. pinsync reads the ID column after writing, writes each row's cells again where its
// ID is now and clears what landed in the partner's new row.
TEST_CASE("partner inserts a row between pinsync's read and its write-back: the results still land on their own rows") {
  SheetsWorld s;
  s.put(k_two_rows);
  // Armed now, applied by the sandbox just before pinsync's next write to the sheet.
  REQUIRE(http(s.sandbox.base_url(), "POST", "/_sandbox/sheets/1AbCdEf/before-next-write", insert_rows(0, 1, 2)).status == 200);
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  REQUIRE(s.events()->size() == 2);
  CHECK(row_of(s, "E-1") == 2);
  CHECK(row_of(s, "E-2") == 3);
  CHECK(s.cell(2, 10) == "synced");
  CHECK(s.cell(3, 10) == "synced");
  // Each row holds its own event's id.
  auto events = s.events();
  for (unsigned i = 0; i < events->size(); ++i) {
    const auto e = events->getObject(i);
    const int row = row_of(s, e->getValue<std::string>("title") == "Rooftop Jazz" ? "E-1" : "E-2");
    CHECK(s.cell(static_cast<unsigned>(row), 9) == std::to_string(e->getValue<int>("id")));
  }
  // The partner's inserted row holds nothing pinsync wrote.
  CHECK(s.cell(1, 9).empty());
  CHECK(s.cell(1, 10).empty());
}

// Regression test for a range that names no sheet: pinsync remembers which tab it read
// (by sheetId, in the state file) and, when the first visible tab is another one, stops
// the pass — no event created, nothing written — naming both tabs and the fix.
TEST_CASE("a range without a sheet name: when the partner hides that tab, pinsync does not switch to another tab") {
  SheetsWorld s("    range: A1:L\n");
  s.put(R"({"Events":[)" + SheetsWorld::k_header + "," + SheetsWorld::row("E-1", "Rooftop Jazz", "6/12/2026") + "," +
        SheetsWorld::row("E-2", "Late Jazz", "6/13/2026") + R"(],"Archive":[)" + SheetsWorld::k_header + "," +
        SheetsWorld::row("A-1", "Old Show 1", "6/12/2025") + "," + SheetsWorld::row("A-2", "Old Show 2", "6/13/2025") + "," +
        SheetsWorld::row("A-3", "Old Show 3", "6/14/2025") + "]}");
  REQUIRE(s.pinsync("sync").exit_code == 0);
  REQUIRE(s.events()->size() == 2);
  s.partner_batch_update(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"hidden":true},"fields":"hidden"}}]})");
  const int creates = s.creates();
  const auto r = s.pinsync("sync");
  CHECK(s.creates() == creates);
  CHECK(s.events()->size() == 2);
  CHECK_CONTAINS(r.out, "0 removed");
  CHECK_CONTAINS((r.out + r.err), "Events");
}

TEST_CASE("partner gives a synced row a new ID but keeps its Pinned ID: the row takes over its event, no second one") {
  SheetsWorld s;
  s.put(k_two_rows);
  REQUIRE(s.pinsync("sync").exit_code == 0);
  const std::string e1_event = s.cell(1, 9);
  REQUIRE_FALSE(e1_event.empty());
  // The partner retypes E-1's ID as E-9 (the rest of the row, Pinned ID included, stays).
  REQUIRE(http(s.sandbox.base_url(), "PUT",
               "/v4/spreadsheets/1AbCdEf/values/%27Partner%20Events%27%21A2?valueInputOption=USER_ENTERED",
               R"({"values":[["E-9"]]})", {{"Authorization", "Bearer " + s.partner_token()}})
              .status == 200);
  const int creates = s.creates(), updates = s.updates();
  // One of two rows gone is more than max_removed_share (20 %): the read is suspect, E-1 is
  // not marked removed, so its event is not free yet and E-9 waits, held.
  const auto held = s.pinsync("sync");
  CHECK_CONTAINS(held.out, "SUSPECT READ");
  CHECK_CONTAINS(held.out, "re-added with event " + e1_event + " of E-1, whose removal waits with this suspect read");
  CHECK(s.creates() == creates);
  CHECK(s.updates() == updates);
  // The operator accepts the removal: E-9 takes the event over, no second event.
  const auto r = run_pinsync_args(s, {"resync", "--source", "beta", "--accept-removals", "--local"});
  CHECK(r.exit_code == 0);
  CHECK(s.creates() == creates);
  CHECK(s.updates() == updates + 1);
  CHECK(s.events()->size() == 2);
  CHECK_CONTAINS(r.out, "0 created, 1 updated, 1 unchanged, 0 invalid, 1 removed");
  CHECK_CONTAINS(r.out, "re-added: takes over event " + e1_event + " from E-1, which is no longer in the source");
  CHECK(row_of(s, "E-9") == 1);
  CHECK(s.cell(1, 9) == e1_event);
  CHECK(s.cell(1, 10) == "synced");
  CHECK_CONTAINS(s.pinsync("sync").out, "0 created, 0 updated, 2 unchanged");
}

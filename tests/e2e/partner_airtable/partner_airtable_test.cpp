// A partner changes an Airtable base between pinsync's passes, with the Web API a partner's own
// script uses and the base's UI: records deleted and re-added, a select field's options
// renamed and deleted, a write-back field made a single select. pinsync must create no
// duplicate event and report every change in words an operator can act on.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <string>

#include "tests/support/partner_worlds.h"

using pinsync::test::AirtableWorld;

namespace {

std::string two_records() {
  return "[" + std::string(R"({"id":")") + AirtableWorld::record_id(1) + R"(","fields":)" + AirtableWorld::fields(1) + "}," +
         R"({"id":")" + AirtableWorld::record_id(2) + R"(","fields":)" + AirtableWorld::fields(2) + "}]";
}

// The fields a partner pastes when re-adding record 1: everything it had, write-back included.
std::string pasted_back(AirtableWorld& a) {
  auto old = a.fields_of(AirtableWorld::record_id(1));
  return AirtableWorld::fields(1, R"(["Jazz","Stand-up"])",
                               R"(,"Pinned ID":")" + old->getValue<std::string>("Pinned ID") + R"(","Sync status":"synced")");
}

}  // namespace

TEST_CASE("a deleted record is reported removed, its event kept; restored with its id, it is synced again, not created") {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  REQUIRE(a.events() == 2);
  a.partner("DELETE", "?records%5B%5D=" + AirtableWorld::record_id(1));
  const auto removed = a.pinsync("sync");
  CHECK(removed.exit_code == 0);
  CHECK_CONTAINS(removed.out, "1 removed");
  CHECK_CONTAINS(removed.out, "no longer in the source");
  CHECK_CONTAINS(removed.out, AirtableWorld::record_id(1));
  CHECK(a.events() == 2);

  // Airtable's trash gives the record back with its id (the control route puts it back).
  const int creates = a.creates();
  a.put(two_records());
  const auto restored = a.pinsync("sync");
  CHECK(restored.exit_code == 0);
  CHECK(a.creates() == creates);
  CHECK(a.events() == 2);
}

// DEFECT (pinsync: the pass report, agent/sync/pass.cpp, for a stored row in state "removed"
// whose record is read again with the same payload): the pass counts it "1 unchanged" and
// prints no line for it, so the operator, told one pass earlier that rec…1 was "removed … no
// longer in the source", never learns that it came back (its write-back cells are rewritten
// silently: "wrote 4 cells back"). Expected: a row line naming rec…1 that says it is back in
// the source (and synced to event 1 again).
TEST_CASE("a record restored with its id is reported as back, not silently counted unchanged" * doctest::skip()) {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  a.partner("DELETE", "/" + AirtableWorld::record_id(1));
  REQUIRE(a.pinsync("sync").out.find("1 removed") != std::string::npos);
  a.put(two_records());
  const auto restored = a.pinsync("sync");
  CHECK(a.creates() == 2);
  CHECK_CONTAINS(restored.out, AirtableWorld::record_id(1));
}

// DEFECT (pinsync: the planner, agent/sync/planner.cpp make_plan, with identity by Airtable
// record id): a record deleted and added again gets a new record id, so pinsync creates a
// second event for it — even when the re-added record carries the first event's id in the
// write-back field "Pinned ID" (the partner pasted the whole row back) and the old record is
// reported removed in the same pass. Input: records rec…1 and rec…2 synced (events 1 and 2);
// the partner deletes rec…1 and POSTs its fields again, "Pinned ID" 1 included. pinsync: "1
// created, 0 updated, 1 unchanged, 0 invalid, 1 removed", event 3 created for the new record
// (the same show as event 1) and the pasted "Pinned ID" overwritten with 3 ("wrote 1 cells
// back"). Expected: no new event; the new record takes over event 1 (its "Pinned ID" names an
// event whose row was just removed and that no other row owns), and the report says the record
// was re-added, naming both ids.
TEST_CASE("a record deleted and re-added (new record id, same fields, Pinned ID pasted back) creates no duplicate" *
          doctest::skip()) {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  REQUIRE(a.events() == 2);
  const std::string body = R"({"records":[{"fields":)" + pasted_back(a) + "}]}";
  a.partner("DELETE", "?records%5B%5D=" + AirtableWorld::record_id(1));
  const auto added = a.partner("POST", "", body);
  const std::string new_id =
      pinsync::test::parse_object(added.body)->getArray("records")->getObject(0)->getValue<std::string>("id");
  const int creates = a.creates();
  const auto r = a.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK(a.creates() == creates);
  CHECK(a.events() == 2);
  CHECK_CONTAINS(r.out, new_id);
  CHECK_CONTAINS(r.out, AirtableWorld::record_id(1));
}

TEST_CASE("select options renamed and deleted between passes: a harmless rename changes nothing, the rest is an update or an invalid row in plain words") {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  const int creates = a.creates(), updates = a.updates();

  // "Stand-up" becomes "Comedy": the slug is the same (comedy), so nothing changes.
  a.change_choices(R"({"fields":{"Genre":{"choices":["Jazz","Comedy"],"renamed":{"Stand-up":"Comedy"}}}})");
  const auto renamed = a.pinsync("sync");
  CHECK(renamed.exit_code == 0);
  CHECK_CONTAINS(renamed.out, "0 created, 0 updated, 2 unchanged");
  CHECK(a.updates() == updates);

  // "Jazz" becomes "Jazz & Blues", which maps to no classification: both rows are invalid,
  // their events untouched, and the report says what to do.
  a.change_choices(R"({"fields":{"Genre":{"choices":["Jazz & Blues","Comedy"],"renamed":{"Jazz":"Jazz & Blues"}}}})");
  const auto unknown = a.pinsync("sync");
  CHECK_CONTAINS(unknown.out, "2 invalid");
  CHECK(unknown.out.find("\"Jazz & Blues\" becomes the classification \"jazz & blues\", which Pinned Events does not know: "
                         "map it under mapping.classifications.map") != std::string::npos);
  CHECK(a.updates() == updates);
  CHECK(a.fields_of(AirtableWorld::record_id(1))->getValue<std::string>("Sync status") == "invalid");

  // The option is deleted instead: the cells keep only "Comedy", and both events are updated
  // once to drop music.
  a.change_choices(R"({"fields":{"Genre":{"choices":["Comedy"]}}})");
  const auto deleted = a.pinsync("sync");
  CHECK(deleted.exit_code == 0);
  CHECK_CONTAINS(deleted.out, "0 created, 2 updated");
  CHECK(a.updates() == updates + 2);
  CHECK(a.creates() == creates);
  CHECK(a.events() == 2);
  CHECK(a.fields_of(AirtableWorld::record_id(1))->getValue<std::string>("Sync status") == "synced");
  CHECK_CONTAINS(a.pinsync("sync").out, "0 created, 0 updated, 2 unchanged");
}

TEST_CASE("the write-back status field is a single select: a creator's typecast adds options; an editor's write-back fails in plain words, events stay") {
  AirtableWorld a;
  const std::string select = R"({"type":"singleSelect","choices":["synced"]})";
  // Record 3 maps to no classification: pinsync writes "invalid", an option the field lacks.
  const std::string records = "[" + std::string(R"({"id":")") + AirtableWorld::record_id(1) + R"(","fields":)" +
                              AirtableWorld::fields(1) + "}," + R"({"id":")" + AirtableWorld::record_id(3) +
                              R"(","fields":)" + AirtableWorld::fields(3, R"(["Polka"])") + "}]";
  a.put(records, select);
  a.settings(R"({"user_role":"editor"})");
  const auto editor = a.pinsync("sync");
  CHECK(a.events() == 1);
  CHECK_CONTAINS(editor.out, "write-back failed");
  CHECK_CONTAINS(editor.out, "INVALID_MULTIPLE_CHOICE_OPTIONS");
  CHECK_CONTAINS(editor.out, "write_back");

  a.settings(R"({"user_role":"creator"})");
  const auto creator = a.pinsync("sync");
  CHECK_NOT_CONTAINS(creator.out, "write-back failed");
  CHECK(a.fields_of(AirtableWorld::record_id(3))->getValue<std::string>("Sync status") == "invalid");
  CHECK(a.events() == 1);
}

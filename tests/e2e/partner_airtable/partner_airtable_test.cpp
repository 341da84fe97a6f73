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

// Regression test for a record back from the trash with its id: the pass gives it a row
// line naming it and saying it is back and synced to its event again, not a silent count.
TEST_CASE("a record restored with its id is reported as back, not silently counted unchanged") {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  const std::string event = a.fields_of(AirtableWorld::record_id(1))->getValue<std::string>("Pinned ID");
  a.partner("DELETE", "/" + AirtableWorld::record_id(1));
  REQUIRE_CONTAINS(a.pinsync("sync").out, "1 removed");
  a.put(two_records());
  const auto restored = a.pinsync("sync");
  CHECK(a.creates() == 2);
  CHECK_CONTAINS(restored.out, AirtableWorld::record_id(1));
  CHECK_CONTAINS(restored.out, "back in the source after it was reported removed; synced to its event " + event + " again");
}

// Regression test for a record deleted and added again with its "Pinned ID" pasted back:
// the new record takes over the event of the removed one (an update, no second event),
// and the report names both record ids.
TEST_CASE("a record deleted and re-added (new record id, same fields, Pinned ID pasted back) creates no duplicate") {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  REQUIRE(a.events() == 2);
  const std::string event = a.fields_of(AirtableWorld::record_id(1))->getValue<std::string>("Pinned ID");
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
  CHECK_CONTAINS(r.out, "re-added: takes over event " + event + " from " + AirtableWorld::record_id(1));
  CHECK(a.fields_of(new_id)->getValue<std::string>("Pinned ID") == event);
  // The next pass has nothing to do: the new record owns the event now.
  const auto next = a.pinsync("sync");
  CHECK_CONTAINS(next.out, "0 created, 0 updated, 2 unchanged");
  CHECK(a.creates() == creates);
}

TEST_CASE("a record copied with the Pinned ID of a record still in the base gets its own event; the report says whose it carried") {
  AirtableWorld a;
  a.put(two_records());
  REQUIRE(a.pinsync("sync").exit_code == 0);
  const std::string pinned_2 = a.fields_of(AirtableWorld::record_id(2))->getValue<std::string>("Pinned ID");
  // The partner duplicates record 2, "Pinned ID" included, and keeps record 2.
  const auto added = a.partner("POST", "", R"({"records":[{"fields":)" +
                                              AirtableWorld::fields(2, R"(["Jazz"])", R"(,"Pinned ID":")" + pinned_2 + "\"") +
                                              "}]}");
  const std::string copy_id =
      pinsync::test::parse_object(added.body)->getArray("records")->getObject(0)->getValue<std::string>("id");
  const int creates = a.creates();
  const auto r = a.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK(a.creates() == creates + 1);
  CHECK(a.events() == 3);
  CHECK_CONTAINS(r.out, "it carries event " + pinned_2 + ", which belongs to " + AirtableWorld::record_id(2) +
                            ", still in the source: a new event is created for it");
  CHECK(a.fields_of(AirtableWorld::record_id(2))->getValue<std::string>("Pinned ID") == pinned_2);
  CHECK(a.fields_of(copy_id)->getValue<std::string>("Pinned ID") != pinned_2);
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

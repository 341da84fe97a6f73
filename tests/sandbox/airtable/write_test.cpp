// Conformance of PATCH /v0/{baseId}/{table}: batches of at most 10, all-or-nothing, full
// records in the answer, null clears, and last-modified times that move only on real change.
#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

std::string records_body(int count) {
  std::string body = R"({"fields":{"Pinned ID":"singleLineText","Lookup":"multipleLookupValues"},"records":[)";
  for (int i = 0; i < count; ++i) {
    if (i) body += ",";
    body += R"({"id":")" + rec_id(i) + R"(","fields":{"Name":"Row )" + std::to_string(i) + R"(","Seats":)" +
            std::to_string(i) + R"(,"Approved":true,"Lookup":[1,2]}})";
  }
  return body + "]}";
}

std::string patch_body(int from, int count, const std::string& fields_json) {
  std::string body = R"({"records":[)";
  for (int i = from; i < from + count; ++i) {
    if (i > from) body += ",";
    body += R"({"id":")" + rec_id(i) + R"(","fields":)" + fields_json + "}";
  }
  return body + R"(],"typecast":false})";
}

HttpReply patch(const std::string& base, const std::string& body, const std::string& token = k_token) {
  return http(base, "PATCH", "/v0/" + k_base + "/Submissions", body, bearer(token));
}

Obj control_record(const std::string& base, int index) {
  return control_table(base)->getArray("records")->getObject(static_cast<unsigned>(index));
}

}  // namespace

TEST_CASE("PATCH of 10 records updates them and answers the whole records; 11 is 422 INVALID_RECORDS") {
  std::string base = fresh_sandbox();
  put_table(base, records_body(12));
  HttpReply ok = patch(base, patch_body(0, 10, R"({"Pinned ID":"evt-1"})"));
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  Arr records = parse(ok.body)->getArray("records");
  REQUIRE(records->size() == 10);
  Obj first = records->getObject(0);
  CHECK(first->getValue<std::string>("id") == rec_id(0));
  CHECK(first->has("createdTime"));
  Obj fields = first->getObject("fields");
  CHECK(fields->getValue<std::string>("Pinned ID") == "evt-1");
  CHECK(fields->getValue<std::string>("Name") == "Row 0");   // untouched fields come back too
  CHECK(fields->getArray("Lookup")->size() == 2);           // computed ones included

  HttpReply too_many = patch(base, patch_body(0, 11, R"({"Pinned ID":"evt-2"})"));
  check_error(too_many, 422, "INVALID_RECORDS");
  CHECK(error_message(too_many) == "A maximum of 10 records can be updated per request but you have provided 11.");
  CHECK(control_record(base, 0)->getObject("fields")->getValue<std::string>("Pinned ID") == "evt-1");  // nothing written
  CHECK(stat_count(base, "PATCH", "/v0/{baseId}/{table}", 422) == 1);
}

TEST_CASE("a batch is all-or-nothing; unknown records, fields, computed fields and wrong types are 422") {
  std::string base = fresh_sandbox();
  put_table(base, records_body(2));
  std::string unknown_record = R"({"records":[{"id":")" + rec_id(0) + R"(","fields":{"Pinned ID":"x"}},)"
                               R"({"id":"recDOESNOTEXIST00","fields":{"Pinned ID":"y"}}]})";
  HttpReply r = patch(base, unknown_record);
  check_error(r, 422, "ROW_DOES_NOT_EXIST");
  CHECK(!control_record(base, 0)->getObject("fields")->has("Pinned ID"));

  HttpReply unknown_field = patch(base, patch_body(0, 1, R"({"Pinned Id":"x"})"));
  check_error(unknown_field, 422, "UNKNOWN_FIELD_NAME");
  CHECK(error_message(unknown_field) == "Unknown field name: \"Pinned Id\"");
  HttpReply computed = patch(base, patch_body(0, 1, R"({"Lookup":[3]})"));
  check_error(computed, 422, "INVALID_VALUE_FOR_COLUMN");
  CHECK(error_message(computed) == "Field \"Lookup\" cannot accept a value because the field is computed");
  check_error(patch(base, patch_body(0, 1, R"({"Seats":"many"})")), 422, "INVALID_VALUE_FOR_COLUMN");
  check_error(patch(base, R"({"records":[]})"), 422, "INVALID_RECORDS");
  check_error(patch(base, R"({"records":[{"fields":{}}]})"), 422, "INVALID_RECORDS");
  check_error(patch(base, R"({"records":[],"performUpsert":{"fieldsToMergeOn":["Name"]}})"), 422, "INVALID_REQUEST_UNKNOWN");
  CHECK(patch(base, "{not json").status == 400);

  // typecast converts a numeric string; null and false clear fields.
  HttpReply typecast = patch(base, R"({"typecast":true,"records":[{"id":")" + rec_id(0) +
                                       R"(","fields":{"Seats":"42","Approved":false,"Name":null}}]})");
  INFO(typecast.body);
  REQUIRE(typecast.status == 200);
  Obj fields = parse(typecast.body)->getArray("records")->getObject(0)->getObject("fields");
  CHECK(fields->getValue<int>("Seats") == 42);
  CHECK(!fields->has("Approved"));
  CHECK(!fields->has("Name"));
}

TEST_CASE("writing changes last-modified time only when a value really changes, and only for that record") {
  std::string base = fresh_sandbox();
  settings(base, R"({"now":"2026-06-01T10:00:00.000Z"})");
  put_table(base, records_body(3));
  settings(base, R"({"advance_seconds":60})");
  REQUIRE(patch(base, patch_body(0, 1, R"({"Name":"Row 0","Seats":0})")).status == 200);  // same values
  CHECK(control_record(base, 0)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:00:00.000Z");
  REQUIRE(patch(base, patch_body(0, 1, R"({"Pinned ID":"evt-9"})")).status == 200);
  CHECK(control_record(base, 0)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:01:00.000Z");
  CHECK(control_record(base, 1)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:00:00.000Z");
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME(), '2026-06-01T10:00:30.000Z')") == std::vector<std::string>{rec_id(0)});
  // The written-back field is visible through the control route.
  CHECK(control_record(base, 0)->getObject("fields")->getValue<std::string>("Pinned ID") == "evt-9");

  // The single-record form behaves the same way.
  settings(base, R"({"advance_seconds":60})");
  HttpReply one = http(base, "PATCH", "/v0/" + k_base + "/Submissions/" + rec_id(1), R"({"fields":{"Pinned ID":"evt-10"}})",
                       bearer());
  REQUIRE(one.status == 200);
  CHECK(parse(one.body)->getObject("fields")->getValue<std::string>("Pinned ID") == "evt-10");
  CHECK(control_record(base, 1)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:02:00.000Z");
  check_error(http(base, "PATCH", "/v0/" + k_base + "/Submissions/recDOESNOTEXIST00", R"({"fields":{}})", bearer()), 404,
              "MODEL_ID_NOT_FOUND");
}

TEST_CASE("control PUT replaces the table: absent records deleted, ids generated, times move only on change") {
  std::string base = fresh_sandbox();
  settings(base, R"({"now":"2026-06-01T10:00:00.000Z"})");
  Obj first = put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}},
      {"id":"rec00000000000002","fields":{"Name":"b"}},{"fields":{"Name":"generated"}}]})");
  std::string generated = first->getArray("records")->getObject(2)->getValue<std::string>("id");
  CHECK(generated.size() == 17);
  CHECK(generated.rfind("rec", 0) == 0);
  settings(base, R"({"advance_seconds":3600})");
  Obj second = put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}},
      {"id":"rec00000000000003","fields":{"Name":"c"}}]})");
  Arr records = second->getArray("records");
  REQUIRE(records->size() == 2);
  CHECK(records->getObject(0)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:00:00.000Z");
  CHECK(records->getObject(1)->getValue<std::string>("createdTime") == "2026-06-01T11:00:00.000Z");
  CHECK(parse(list(base).body)->getArray("records")->size() == 2);
  HttpReply deleted = http(base, "GET", "/v0/" + k_base + "/Submissions/rec00000000000002", "", bearer());
  check_error(deleted, 404, "MODEL_ID_NOT_FOUND");
  // A bad body changes nothing.
  CHECK(http(base, "PUT", "/_sandbox/airtable/" + k_base + "/Submissions", R"({"records":[{"id":"bad"}]})").status == 400);
  CHECK(control_table(base)->getArray("records")->size() == 2);
}

// Field types on write: select options (INVALID_MULTIPLE_CHOICE_OPTIONS unless a creator's
// typecast adds them), a partner renaming or deleting options, the shapes attachments and
// collaborators need; cellFormat=string; and the 50 requests/s limit per token.
#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

const std::string k_table = R"({"fields":{"Genre":{"type":"multipleSelects","choices":["Jazz","Stand-up"]},
    "Status":{"type":"singleSelect","choices":["synced"]},"Files":"multipleAttachments","Owner":"singleCollaborator",
    "Approved":"checkbox"},
    "records":[{"id":"rec00000000000001","fields":{"Name":"Show 1","Genre":["Jazz","Stand-up"],"Status":"synced"}},
               {"id":"rec00000000000002","fields":{"Name":"Show 2","Genre":["Stand-up"]}}]})";

HttpReply patch(const std::string& base, const std::string& fields, bool typecast, const std::string& id = "rec00000000000001") {
  return http(base, "PATCH", "/v0/" + k_base + "/Submissions",
              R"({"records":[{"id":")" + id + R"(","fields":)" + fields + R"(}],"typecast":)" + (typecast ? "true" : "false") + "}",
              bearer());
}

std::vector<std::string> choices_of(const std::string& base, const std::string& field) {
  std::vector<std::string> out;
  Arr fields = control_table(base)->getArray("fields");
  for (unsigned i = 0; i < fields->size(); ++i) {
    Obj f = fields->getObject(i);
    if (f->getValue<std::string>("name") != field) continue;
    Arr c = f->getArray("choices");
    for (unsigned j = 0; j < c->size(); ++j) out.push_back(c->getElement<std::string>(j));
  }
  return out;
}

Obj fields_of(const std::string& base, unsigned index) {
  return control_table(base)->getArray("records")->getObject(index)->getObject("fields");
}

}  // namespace

TEST_CASE("select options: a new one is 422 INVALID_MULTIPLE_CHOICE_OPTIONS unless typecast by a base creator") {
  std::string base = fresh_sandbox();
  put_table(base, k_table);
  HttpReply refused = patch(base, R"({"Status":"invalid"})", false);
  check_error(refused, 422, "INVALID_MULTIPLE_CHOICE_OPTIONS");
  CHECK(error_message(refused) == "Insufficient permissions to create new select option \"\"invalid\"\"");
  check_error(patch(base, R"({"Genre":["Jazz","Comedy"]})", false), 422, "INVALID_MULTIPLE_CHOICE_OPTIONS");
  CHECK(patch(base, R"({"Genre":["Jazz"]})", false).status == 200);  // existing options are fine

  // typecast lets a creator add the option; a batch that fails adds none.
  HttpReply batch = http(base, "PATCH", "/v0/" + k_base + "/Submissions",
                         R"({"records":[{"id":"rec00000000000001","fields":{"Status":"invalid"}},
                                        {"id":"rec00000000000002","fields":{"Nope":1}}],"typecast":true})",
                         bearer());
  check_error(batch, 422, "UNKNOWN_FIELD_NAME");
  CHECK(choices_of(base, "Status") == std::vector<std::string>{"synced"});
  REQUIRE(patch(base, R"({"Status":"invalid"})", true).status == 200);
  CHECK(choices_of(base, "Status") == std::vector<std::string>{"synced", "invalid"});
  CHECK(fields_of(base, 0)->getValue<std::string>("Status") == "invalid");

  // An editor (not a creator of the base) cannot add options even with typecast.
  settings(base, R"({"user_role":"editor"})");
  check_error(patch(base, R"({"Status":"dead"})", true), 422, "INVALID_MULTIPLE_CHOICE_OPTIONS");
  CHECK(patch(base, R"({"Status":"synced"})", true).status == 200);
  CHECK(http(base, "POST", "/_sandbox/airtable/settings", R"({"user_role":"owner"})").status == 400);
}

TEST_CASE("a partner renames and deletes options: cells follow, modification times do not move") {
  std::string base = fresh_sandbox();
  settings(base, R"({"now":"2026-06-01T10:00:00.000Z"})");
  put_table(base, k_table);
  settings(base, R"({"advance_seconds":3600})");
  const std::string modified_before =
      control_table(base)->getArray("records")->getObject(0)->getValue<std::string>("lastModifiedTime");
  HttpReply r = http(base, "PATCH", "/_sandbox/airtable/" + k_base + "/Submissions",
                     R"({"fields":{"Genre":{"choices":["Jazz & Blues","Comedy"],"renamed":{"Stand-up":"Comedy"}}}})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(choices_of(base, "Genre") == std::vector<std::string>{"Jazz & Blues", "Comedy"});
  // "Jazz" was deleted (not renamed): it leaves the cells.
  Arr genre = fields_of(base, 0)->getArray("Genre");
  REQUIRE(genre->size() == 1);
  CHECK(genre->getElement<std::string>(0) == "Comedy");
  CHECK(control_table(base)->getArray("records")->getObject(0)->getValue<std::string>("lastModifiedTime") == modified_before);
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME(), '2026-06-01T10:30:00.000Z')").empty());
  // Deleting the last option of a single select empties the cell.
  REQUIRE(http(base, "PATCH", "/_sandbox/airtable/" + k_base + "/Submissions", R"({"fields":{"Status":{"choices":[]}}})").status == 200);
  CHECK_FALSE(fields_of(base, 0)->has("Status"));
  CHECK(http(base, "PATCH", "/_sandbox/airtable/" + k_base + "/Submissions", R"({"fields":{"Name":{"choices":[]}}})").status == 400);
  CHECK(http(base, "PATCH", "/_sandbox/airtable/" + k_base + "/Nope", R"({"fields":{}})").status == 404);
  // Typing a new option in the grid (the control PUT) creates it.
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Genre":["Folk"]}}]})");
  CHECK(choices_of(base, "Genre") == std::vector<std::string>{"Jazz & Blues", "Comedy", "Folk"});
}

TEST_CASE("attachments need a url, collaborators an id or email, a checkbox a boolean even with typecast") {
  std::string base = fresh_sandbox();
  put_table(base, k_table);
  check_error(patch(base, R"({"Files":[{"filename":"a.png"}]})", true), 422, "INVALID_VALUE_FOR_COLUMN");
  CHECK(patch(base, R"({"Files":[{"url":"https://example.com/a.png","filename":"a.png"}]})", false).status == 200);
  check_error(patch(base, R"({"Owner":{"name":"Ana"}})", true), 422, "INVALID_VALUE_FOR_COLUMN");
  CHECK(patch(base, R"({"Owner":{"email":"ana@example.com"}})", false).status == 200);
  check_error(patch(base, R"({"Approved":"true"})", true), 422, "INVALID_VALUE_FOR_COLUMN");
  check_error(patch(base, R"({"Owner":"ana@example.com"})", true), 422, "INVALID_VALUE_FOR_COLUMN");
}

TEST_CASE("cellFormat=string: every value a string, in the caller's time zone and locale") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"fields":{"When":"dateTime","Day":"date","Genre":"multipleSelects","Approved":"checkbox"},
      "records":[{"id":"rec00000000000001","fields":{"Name":"Jazz","Seats":40,"When":"2026-06-12T18:30:00.000Z",
      "Day":"2026-06-12","Genre":["Jazz","Stand-up"],"Approved":true}}]})");
  Obj us = parse(list(base, "cellFormat=string&timeZone=America%2FNew_York&userLocale=en-us").body)
               ->getArray("records")->getObject(0)->getObject("fields");
  CHECK(us->getValue<std::string>("When") == "6/12/2026 2:30pm");
  CHECK(us->getValue<std::string>("Day") == "6/12/2026");
  CHECK(us->getValue<std::string>("Seats") == "40");
  CHECK(us->getValue<std::string>("Genre") == "Jazz, Stand-up");
  CHECK(us->getValue<std::string>("Approved") == "checked");
  Obj gb = parse(list(base, "cellFormat=string&timeZone=Europe%2FLondon&userLocale=en-gb").body)
               ->getArray("records")->getObject(0)->getObject("fields");
  CHECK(gb->getValue<std::string>("When") == "12/6/2026 19:30");
  CHECK(gb->getValue<std::string>("Day") == "12/6/2026");
}

TEST_CASE("rate limit per token: all bases together, the same 429 and penalty; other tokens unaffected") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[]})");
  put_table(base, R"({"records":[]})", "Submissions", k_other_base);
  settings(base, R"({"requests_per_second":0,"requests_per_second_per_token":3,"rate_limit_wait_seconds":60})");
  CHECK(list(base).status == 200);
  CHECK(http(base, "GET", "/v0/" + k_other_base + "/Submissions", "", bearer()).status == 200);
  CHECK(list(base).status == 200);
  HttpReply limited = http(base, "GET", "/v0/" + k_other_base + "/Submissions", "", bearer());
  CHECK(limited.status == 429);
  CHECK(limited.body == R"({"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}]})");
  CHECK(list(base).status == 429);  // the penalty covers every base of the token
  CHECK(list(base, "", k_read_only).status == 200);
  // Changing the rate settings starts the windows afresh (no waiting on the clock).
  settings(base, R"({"requests_per_second_per_token":50})");
  CHECK(list(base).status == 200);
  CHECK(parse(http(base, "GET", "/_sandbox/airtable/settings").body)->getValue<double>("requests_per_second_per_token") == 50);
}

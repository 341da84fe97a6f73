// The structure of a sheet as partners change it: hidden tabs (control route and
// updateSheetProperties), spreadsheets.batchUpdate's insertDimension / deleteDimension /
// appendDimension with Google's error texts, atomic batches, and an edit armed to land just
// before a client's next write.
#include "tests/support/checks.h"
#include <string>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

struct Sheet {
  Sheet() : base(fresh_sandbox()) {
    put_sheet(base, "s1", R"({"sheets":{"Events":[["Event ID","Title"],["E-1","Rooftop Jazz"],["E-2","Late Show"]],
        "Archive":[["Old"]]},"grid":{"Events":{"rows":10,"columns":4}},"shared_with":[")" + std::string(k_sa_email) + "\"]}");
    token = sa_token(base);
    archive_id = parse(http(base, "GET", "/v4/spreadsheets/s1?" + k_key + "&prettyPrint=false", "", bearer(token)).body)
                     ->getArray("sheets")->getObject(1)->getObject("properties")->getValue<std::int64_t>("sheetId");
  }
  HttpReply batch(const std::string& body) {
    return http(base, "POST", "/v4/spreadsheets/s1:batchUpdate", body, bearer(token));
  }
  std::string values(const std::string& range) {
    HttpReply r = http(base, "GET", "/v4/spreadsheets/s1/values/" + enc(range), "", bearer(token));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    Obj vr = parse(r.body);
    return vr->has("values") ? canon(vr->get("values")) : "[]";
  }
  Obj sheet_properties(unsigned index) {
    HttpReply r = http(base, "GET", "/v4/spreadsheets/s1", "", bearer(token));
    return parse(r.body)->getArray("sheets")->getObject(index)->getObject("properties");
  }
  std::string base, token;
  std::int64_t archive_id = 0;
};

std::string insert_rows(std::int64_t sheet, int start, int end, bool inherit = false) {
  return R"({"requests":[{"insertDimension":{"range":{"sheetId":)" + std::to_string(sheet) +
         R"(,"dimension":"ROWS","startIndex":)" + std::to_string(start) + R"(,"endIndex":)" + std::to_string(end) +
         R"(},"inheritFromBefore":)" + (inherit ? "true" : "false") + "}}]}";
}

}  // namespace

TEST_CASE("hidden: the control route hides a tab; metadata says hidden:true after gridProperties; reads still work") {
  Sheet s;
  put_sheet(s.base, "s1", R"({"sheets":{"Events":[["E"]],"Archive":[["A"]]},"hidden":["Events"],"shared_with":[")" +
                              std::string(k_sa_email) + "\"]}");
  Obj events = s.sheet_properties(0);
  CHECK(events->getValue<bool>("hidden"));
  const std::string raw = http(s.base, "GET", "/v4/spreadsheets/s1?prettyPrint=false", "", bearer(s.token)).body;
  CHECK_CONTAINS(raw, R"("columnCount":26},"hidden":true})");
  CHECK_FALSE(s.sheet_properties(1)->has("hidden"));
  // A hidden sheet can still be read by name; a range without a sheet means the first visible one.
  CHECK(s.values("Events!A1") == canon(parse_any(R"([["E"]])")));
  CHECK(s.values("A1:B2") == canon(parse_any(R"([["A"]])")));
  CHECK(parse(http(s.base, "GET", "/_sandbox/sheets/s1").body)->getArray("hidden")->getElement<std::string>(0) == "Events");
  HttpReply all = http(s.base, "PUT", "/_sandbox/sheets/s1", R"({"sheets":{"Events":[]},"hidden":["Events"]})");
  CHECK(all.status == 400);
}

TEST_CASE("updateSheetProperties hides and shows a tab, renames it, and refuses what Sheets refuses") {
  Sheet s;
  const std::string hide = R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"hidden":true},"fields":"hidden"}}]})";
  HttpReply r = s.batch(hide);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(canon(parse_any(r.body)) == canon(parse_any(R"({"spreadsheetId":"s1","replies":[{}]})")));
  CHECK(s.sheet_properties(0)->getValue<bool>("hidden"));
  CHECK(s.values("A1") == canon(parse_any(R"([["Old"]])")));  // Archive is now the first visible sheet

  std::string hide_archive = R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":)" +
                             std::to_string(s.archive_id) + R"(,"hidden":true},"fields":"hidden"}}]})";
  check_google_error(s.batch(hide_archive), 400, "INVALID_ARGUMENT",
                     "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document.");
  REQUIRE(s.batch(R"({"requests":[{"updateSheetProperties":{"properties":{"hidden":false},"fields":"hidden"}}]})").status == 200);
  CHECK_FALSE(s.sheet_properties(0)->has("hidden"));

  check_google_error(s.batch(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"title":"archive"},"fields":"title"}}]})"),
                     400, "INVALID_ARGUMENT",
                     "Invalid requests[0].updateSheetProperties: A sheet with the name \"archive\" already exists. Please enter another name.");
  check_google_error(s.batch(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"hidden":true}}}]})"), 400,
                     "INVALID_ARGUMENT",
                     "Invalid requests[0].updateSheetProperties: At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)");
  HttpReply unknown = s.batch(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"headerValues":["a"]},"fields":"title"}}]})");
  check_google_error(unknown, 400, "INVALID_ARGUMENT",
                     "Invalid JSON payload received. Unknown name \"headerValues\" at 'requests[0].update_sheet_properties.properties': Cannot find field.");
  CHECK(error_of(unknown)->getArray("details")->getObject(0)->getArray("fieldViolations")->getObject(0)->getValue<std::string>(
            "field") == "requests[0].update_sheet_properties.properties");
  REQUIRE(s.batch(R"({"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"title":"Partner Events"},"fields":"title"}}]})").status == 200);
  CHECK(s.sheet_properties(0)->getValue<std::string>("title") == "Partner Events");
}

TEST_CASE("insertDimension moves the rows below down and grows the grid; deleteDimension takes them out") {
  Sheet s;
  REQUIRE(s.batch(insert_rows(0, 1, 3)).status == 200);
  CHECK(s.values("Events!A1:B5") == canon(parse_any(R"([["Event ID","Title"],[],[],["E-1","Rooftop Jazz"],["E-2","Late Show"]])")));
  CHECK(s.sheet_properties(0)->getObject("gridProperties")->getValue<int>("rowCount") == 12);
  // At the end of the grid only with inheritFromBefore.
  REQUIRE(s.batch(insert_rows(0, 12, 13, true)).status == 200);
  REQUIRE(s.batch(R"({"requests":[{"insertDimension":{"range":{"sheetId":0,"dimension":"COLUMNS","startIndex":0,"endIndex":1}}}]})").status == 200);
  CHECK(s.values("Events!A4:C4") == canon(parse_any(R"([["","E-1","Rooftop Jazz"]])")));
  REQUIRE(s.batch(R"({"requests":[{"deleteDimension":{"range":{"sheetId":0,"dimension":"ROWS","startIndex":1,"endIndex":3}}},
                                  {"deleteDimension":{"range":{"sheetId":0,"dimension":"COLUMNS","startIndex":0,"endIndex":1}}}]})").status == 200);
  CHECK(s.values("Events!A1:B3") == canon(parse_any(R"([["Event ID","Title"],["E-1","Rooftop Jazz"],["E-2","Late Show"]])")));
  Obj grid = s.sheet_properties(0)->getObject("gridProperties");
  CHECK(grid->getValue<int>("rowCount") == 11);
  CHECK(grid->getValue<int>("columnCount") == 4);
}

TEST_CASE("insertDimension and deleteDimension refuse with Google's words; a refused batch changes nothing") {
  Sheet s;
  struct Case {
    std::string body, message;
  };
  const Case cases[] = {
      {insert_rows(0, 10, 11), "Invalid requests[0].insertDimension: range.startIndex must be less than the grid size (10) if inheritFromBefore is false."},
      {insert_rows(99, 1, 2), "Invalid requests[0].insertDimension: No grid with id: 99"},
      {insert_rows(0, -1, 2), "Invalid requests[0].insertDimension: DimensionRange indexes must be >= 0"},
      {R"({"requests":[{"insertDimension":{"range":{"sheetId":0,"dimension":"ROWS","endIndex":1}}}]})",
       "Invalid requests[0].insertDimension: range.startIndex must be set"},
      {R"({"requests":[{"deleteDimension":{"range":{"sheetId":0,"dimension":"ROWS","startIndex":5,"endIndex":11}}}]})",
       "Invalid requests[0].deleteDimension: Cannot delete a row that doesn't exist. Tried to delete row index 10 but there are only 10 rows."},
      {R"({"requests":[{"deleteDimension":{"range":{"sheetId":0,"dimension":"COLUMNS","startIndex":0,"endIndex":4}}}]})",
       "Invalid requests[0].deleteDimension: Sorry, it is not possible to delete all non-frozen columns."},
      {R"({"requests":[]})", "Must specify at least one request."},
      {R"({"requests":[{"frobnicate":{}}]})", "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': Cannot find field."},
      {R"({"requests":[{"insertDimension":{"range":{"sheetId":0,"dimension":"ROWS","startIndex":1,"endIndex":2},"inheritBefore":true}}]})",
       "Invalid JSON payload received. Unknown name \"inheritBefore\" at 'requests[0].insert_dimension': Cannot find field."},
  };
  for (const Case& c : cases) {
    CAPTURE(c.body);
    check_google_error(s.batch(c.body), 400, "INVALID_ARGUMENT", c.message);
  }
  // A valid first request and an invalid second one: nothing is applied.
  HttpReply r = s.batch(R"({"requests":[{"insertDimension":{"range":{"sheetId":0,"dimension":"ROWS","startIndex":1,"endIndex":2}}},
                                        {"insertDimension":{"range":{"sheetId":7,"dimension":"ROWS","startIndex":1,"endIndex":2}}}]})");
  check_google_error(r, 400, "INVALID_ARGUMENT", "Invalid requests[1].insertDimension: No grid with id: 7");
  CHECK(s.values("Events!A2") == canon(parse_any(R"([["E-1"]])")));
  // Real requests the sandbox does not model are refused, not ignored.
  CHECK(s.batch(R"({"requests":[{"repeatCell":{"fields":"*"}}]})").status == 400);
  // Writes need a writer's token.
  CHECK(http(s.base, "POST", "/v4/spreadsheets/s1:batchUpdate?" + k_key, insert_rows(0, 1, 2)).status == 401);
}

TEST_CASE("before-next-write: a partner's insert lands between a client's read and its write") {
  Sheet s;
  HttpReply armed = http(s.base, "POST", "/_sandbox/sheets/s1/before-next-write", insert_rows(0, 1, 2));
  REQUIRE_MESSAGE(armed.status == 200, armed.body);
  CHECK(parse(http(s.base, "GET", "/_sandbox/sheets/s1").body)->getValue<int>("before_next_write") == 1);
  // Reads do not trigger it.
  CHECK(s.values("Events!A2") == canon(parse_any(R"([["E-1"]])")));
  // The client writes where E-1 was when it read: row 2 is now the partner's new row.
  REQUIRE(http(s.base, "PUT", "/v4/spreadsheets/s1/values/" + enc("Events!C2") + "?valueInputOption=RAW",
               R"({"values":[["synced"]]})", bearer(s.token)).status == 200);
  CHECK(s.values("Events!A2:C3") == canon(parse_any(R"([["","","synced"],["E-1","Rooftop Jazz"]])")));
  CHECK(parse(http(s.base, "GET", "/_sandbox/sheets/s1").body)->getValue<int>("before_next_write") == 0);
  // An edit that does not fit the sheet is refused when armed.
  CHECK(http(s.base, "POST", "/_sandbox/sheets/s1/before-next-write", insert_rows(42, 1, 2)).status == 400);
  CHECK(http(s.base, "POST", "/_sandbox/sheets/nope/before-next-write", insert_rows(0, 1, 2)).status == 404);
}

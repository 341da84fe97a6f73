// Partial responses: the `fields` mask on every Sheets method the sandbox serves, its grammar
// (`.` and `/` paths, parentheses, `*`) and the recorded 400 for a path the schema lacks.
#include "tests/support/checks.h"
#include <string>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

void put_public(const std::string& base, const std::string& id) {
  put_sheet(base, id, R"({"public":true,"time_zone":"Europe/Lisbon","sheets":{"Events":[["Event ID","Title"],["E-1","Rooftop Jazz"]],"Archive":[["Old"]]},"hidden":["Archive"]})");
}

HttpReply get(const std::string& base, const std::string& path_and_query) {
  return http(base, "GET", path_and_query + (path_and_query.find('?') == std::string::npos ? "?" : "&") + k_key);
}

std::string fields(const std::string& mask) { return "fields=" + form_value(mask); }

}  // namespace

TEST_CASE("fields: the recorded bad-mask 400 is reproduced exactly, on any spreadsheet id") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  Arr recorded = sample("sheets_errors_recorded.json").extract<Arr>();
  Obj expected;
  for (unsigned i = 0; i < recorded->size(); ++i) {
    if (recorded->getObject(i)->getValue<std::string>("request").find("bad field mask") != std::string::npos) {
      expected = recorded->getObject(i)->getObject("body");
    }
  }
  REQUIRE(expected);
  for (const std::string id : {"masked", "no-such-sheet"}) {
    HttpReply r = get(base, "/v4/spreadsheets/" + id + "?ranges=A1%3AA1&" + fields("sheets.sheetProperties"));
    CHECK(r.status == 400);
    CHECK(canon(parse_any(r.body)) == canon(expected));
  }
}

TEST_CASE("fields: pinsync's own mask keeps exactly the time zone and each sheet's title, index and hidden") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  HttpReply r = get(base, "/v4/spreadsheets/masked?" + fields("properties.timeZone,sheets.properties(title,index,hidden)"));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(canon(parse_any(r.body)) ==
        canon(parse_any(R"({"properties":{"timeZone":"Europe/Lisbon"},"sheets":[{"properties":{"title":"Events","index":0}},
                          {"properties":{"title":"Archive","index":1,"hidden":true}}]})")));
}

TEST_CASE("fields: '/' and '.' paths, nested parentheses and '*' select the same way") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  const std::string titles = canon(parse_any(R"({"sheets":[{"properties":{"title":"Events"}},{"properties":{"title":"Archive"}}]})"));
  for (const std::string mask : {"sheets/properties/title", "sheets.properties.title", "sheets(properties(title))",
                                 "sheets(properties/title)"}) {
    CAPTURE(mask);
    HttpReply r = get(base, "/v4/spreadsheets/masked?" + fields(mask));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(canon(parse_any(r.body)) == titles);
  }
  HttpReply all = get(base, "/v4/spreadsheets/masked?" + fields("*"));
  HttpReply plain = get(base, "/v4/spreadsheets/masked");
  CHECK(canon(parse_any(all.body)) == canon(parse_any(plain.body)));
  HttpReply star = get(base, "/v4/spreadsheets/masked?" + fields("sheets(properties(*)),spreadsheetId"));
  Obj body = parse(star.body);
  CHECK(body->has("spreadsheetId"));
  CHECK_FALSE(body->has("properties"));
  CHECK(body->getArray("sheets")->getObject(0)->getObject("properties")->getObject("gridProperties")->getValue<int>(
            "rowCount") == 1000);
  // The header form works too.
  HttpReply header = http(base, "GET", "/v4/spreadsheets/masked?" + k_key, "", {{"X-Goog-FieldMask", "spreadsheetId"}});
  CHECK(canon(parse_any(header.body)) == canon(parse_any(R"({"spreadsheetId":"masked"})")));
}

TEST_CASE("fields: a path below a scalar, an unknown nested field or broken syntax is refused, naming the path") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  struct Case {
    std::string mask, path;
  };
  for (const Case& c : {Case{"spreadsheetUrl.host", "spreadsheetUrl.host"},
                        Case{"sheets(properties(title,colour))", "sheets.properties.colour"},
                        Case{"sheets.data.rowData.values.effectiveFormat.type", "sheets.data.rowData.values.effectiveFormat.type"},
                        Case{"sheets(properties", "sheets(properties"}, Case{"spreadsheetId,,", "spreadsheetId,,"}}) {
    CAPTURE(c.mask);
    HttpReply r = get(base, "/v4/spreadsheets/masked?" + fields(c.mask));
    check_google_error(r, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
    Obj violation = error_of(r)->getArray("details")->getObject(0)->getArray("fieldViolations")->getObject(0);
    CHECK(violation->getValue<std::string>("field") == c.mask);
    CHECK(violation->getValue<std::string>("description") ==
          "Error expanding 'fields' parameter. Cannot find matching fields for path '" + c.path + "'.");
  }
}

TEST_CASE("fields: values.get, batchGet and the writes are masked by their own response messages") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  HttpReply one = get(base, "/v4/spreadsheets/masked/values/Events?" + fields("values"));
  CHECK(canon(parse_any(one.body)) == canon(parse_any(R"({"values":[["Event ID","Title"],["E-1","Rooftop Jazz"]]})")));
  HttpReply batch = get(base, "/v4/spreadsheets/masked/values:batchGet?ranges=Events&" + fields("valueRanges/range"));
  CHECK(canon(parse_any(batch.body)) == canon(parse_any(R"({"valueRanges":[{"range":"Events!A1:Z1000"}]})")));
  // A field of another message is not a field of this one.
  check_google_error(get(base, "/v4/spreadsheets/masked/values/Events?" + fields("sheets")), 400, "INVALID_ARGUMENT",
                     "Request contains an invalid argument.");

  put_sheet(base, "writable", R"({"sheets":{"Events":[["A"]]},"shared_with":[")" + std::string(k_sa_email) + "\"]}");
  std::string token = sa_token(base);
  HttpReply put = http(base, "PUT", "/v4/spreadsheets/writable/values/" + enc("Events!B1") +
                                        "?valueInputOption=RAW&" + fields("updatedCells"),
                       R"({"values":[["x"]]})", bearer(token));
  CHECK(canon(parse_any(put.body)) == canon(parse_any(R"({"updatedCells":1})")));
  HttpReply batch_write = http(base, "POST", "/v4/spreadsheets/writable/values:batchUpdate?" + fields("responses(updatedRange)"),
                               R"({"valueInputOption":"RAW","data":[{"range":"Events!C1","values":[["y"]]}]})", bearer(token));
  CHECK(canon(parse_any(batch_write.body)) == canon(parse_any(R"({"responses":[{"updatedRange":"Events!C1"}]})")));
  HttpReply structure = http(base, "POST", "/v4/spreadsheets/writable:batchUpdate?" + fields("replies"),
                             R"({"requests":[{"appendDimension":{"sheetId":0,"dimension":"ROWS","length":1}}]})", bearer(token));
  CHECK(canon(parse_any(structure.body)) == canon(parse_any(R"({"replies":[{}]})")));
  // A bad mask on a write changes nothing.
  HttpReply refused = http(base, "PUT", "/v4/spreadsheets/writable/values/" + enc("Events!D1") +
                                            "?valueInputOption=RAW&" + fields("updatedCellz"),
                           R"({"values":[["z"]]})", bearer(token));
  CHECK(refused.status == 400);
  CHECK_NOT_CONTAINS(http(base, "GET", "/_sandbox/sheets/writable").body, "\"z\"");
}

TEST_CASE("includeGridData=true is refused rather than answered without the grid") {
  std::string base = fresh_sandbox();
  put_public(base, "masked");
  HttpReply r = get(base, "/v4/spreadsheets/masked?includeGridData=true");
  CHECK(r.status == 400);
  CHECK(get(base, "/v4/spreadsheets/masked?includeGridData=false").status == 200);
}

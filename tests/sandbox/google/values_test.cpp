// Conformance of the emulated Sheets values routes against the recorded samples and
// docs/sandbox.md: render options × typed cells, omitted blanks, range echo and quoting, bad
// ranges, batchGet, values.update / values:batchUpdate and spreadsheets.get.
#include "tests/support/checks.h"
#include <chrono>
#include <string>

#include <date/date.h>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

HttpReply get_values(const std::string& base, const std::string& id, const std::string& range,
                     const std::string& query = "") {
  return http(base, "GET", "/v4/spreadsheets/" + id + "/values/" + enc(range) + "?" + k_key + query);
}

Obj values_of(const HttpReply& r) {
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return parse(r.body);
}

std::string values_json(const HttpReply& r) { return canon(values_of(r)->get("values")); }

// Removes spreadsheetId fields so recorded bodies compare with ours (their ids differ).
Poco::Dynamic::Var without_ids(Poco::Dynamic::Var v) {
  if (v.type() == typeid(Obj)) {
    Obj o = v.extract<Obj>();
    o->remove("spreadsheetId");
    for (const auto& name : o->getNames()) o->set(name, without_ids(o->get(name)));
  } else if (v.type() == typeid(Arr)) {
    Arr a = v.extract<Arr>();
    for (unsigned i = 0; i < a->size(); ++i) a->set(i, without_ids(a->get(i)));
  }
  return v;
}

}  // namespace

TEST_CASE("render options: every recorded exchange of the gspread cassette is reproduced exactly") {
  std::string base = fresh_sandbox();
  // The cassette's worksheet was resized to 2 x 4, hence the echoed "Sheet1!A1:D2" for 'Sheet1'.
  put_sheet(base, "render", R"({"sheets":{"Sheet1":[]},"grid":{"Sheet1":{"rows":2,"columns":4}},"public":true,"shared_with":[")" + std::string(k_sa_email) + "\"]}");
  std::string token = sa_token(base);
  Arr exchanges = sample("sheets_values_render_options_exchanges.json").extract<Arr>();
  REQUIRE(exchanges->size() == 7);
  for (unsigned i = 0; i < exchanges->size(); ++i) {
    Obj ex = exchanges->getObject(i);
    std::string url = ex->getValue<std::string>("url");
    std::string tail = url.substr(url.find("/values/") + 8);
    std::string method = ex->getValue<std::string>("method");
    CAPTURE(url);
    HttpReply r;
    if (method == "PUT") {
      r = http(base, "PUT", "/v4/spreadsheets/render/values/" + tail, stringify(ex->get("request_body")), bearer(token));
    } else {
      r = http(base, "GET", "/v4/spreadsheets/render/values/" + tail + (tail.find('?') == std::string::npos ? "?" : "&") + k_key);
    }
    REQUIRE_MESSAGE(r.status == ex->getValue<int>("status"), r.body);
    CHECK(canon(without_ids(parse_any(r.body))) == canon(without_ids(ex->get("response_body"))));
    CHECK(r.headers.at("content-type") == "application/json; charset=UTF-8");
  }
}

TEST_CASE("typed cells render per valueRenderOption x dateTimeRenderOption as docs/sandbox.md states") {
  std::string base = fresh_sandbox();
  put_sheet(base, "typed", R"({"public":true,"sheets":{"Events":[
    ["TRUE","false","6/12/2026","2026-06-12","8:00 PM","20:00","12.5","50%","$12.50","Rooftop Jazz","#REF!","=1/0","2026-06-12 20:00","53","'0042"]]}})");
  SUBCASE("FORMATTED_VALUE (default): display strings in en-US, dateTimeRenderOption ignored") {
    std::string expected =
        R"([["TRUE","FALSE","6/12/2026","2026-06-12","8:00 PM","20:00:00","12.5","50%","$12.50","Rooftop Jazz","#REF!","#DIV/0!","2026-06-12 20:00:00","53","0042"]])";
    CHECK(values_json(get_values(base, "typed", "Events")) == canon(parse_any(expected)));
    CHECK(values_json(get_values(base, "typed", "Events", "&dateTimeRenderOption=SERIAL_NUMBER")) == canon(parse_any(expected)));
  }
  SUBCASE("UNFORMATTED_VALUE + SERIAL_NUMBER: JSON numbers and booleans, dates as serials from 1899-12-30") {
    Arr row = values_of(get_values(base, "typed", "Events", "&valueRenderOption=UNFORMATTED_VALUE"))->getArray("values")->getArray(0);
    CHECK(row->get(0).extract<bool>() == true);
    CHECK(row->get(1).extract<bool>() == false);
    CHECK(row->get(2).convert<double>() == 46185.0);  // 2026-06-12
    CHECK(row->get(3).convert<double>() == 46185.0);  // both spellings, one date
    CHECK(row->get(4).convert<double>() == doctest::Approx(20.0 / 24.0));
    CHECK(row->get(5).convert<double>() == doctest::Approx(20.0 / 24.0));
    CHECK(row->get(6).convert<double>() == 12.5);
    CHECK(row->get(7).convert<double>() == 0.5);
    CHECK(row->get(8).convert<double>() == 12.5);
    CHECK(row->get(9).toString() == "Rooftop Jazz");
    CHECK(row->get(10).toString() == "#REF!");
    CHECK(row->get(11).toString() == "#DIV/0!");
    CHECK(row->get(12).convert<double>() == doctest::Approx(46185.0 + 20.0 / 24.0));
    CHECK(row->get(13).isInteger());  // whole numbers without ".0"
  }
  SUBCASE("UNFORMATTED_VALUE + FORMATTED_STRING: dates and times as strings, numbers stay numbers") {
    Arr row = values_of(get_values(base, "typed", "Events", "&valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING"))
                  ->getArray("values")->getArray(0);
    CHECK(row->get(2).toString() == "6/12/2026");
    CHECK(row->get(3).toString() == "2026-06-12");
    CHECK(row->get(4).toString() == "8:00 PM");
    CHECK(row->get(6).convert<double>() == 12.5);
    CHECK(row->get(0).extract<bool>() == true);
  }
  SUBCASE("FORMULA: formulas as typed, everything else unformatted") {
    Arr row = values_of(get_values(base, "typed", "Events", "&valueRenderOption=FORMULA"))->getArray("values")->getArray(0);
    CHECK(row->get(11).toString() == "=1/0");
    CHECK(row->get(2).convert<double>() == 46185.0);
    CHECK(row->get(0).extract<bool>() == true);
  }
  SUBCASE("bad enum values are 400 INVALID_ARGUMENT with a BadRequest detail") {
    HttpReply r = get_values(base, "typed", "Events", "&valueRenderOption=PRETTY");
    check_google_error(r, 400, "INVALID_ARGUMENT",
                       "Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), \"PRETTY\"");
    CHECK(error_of(r)->getArray("details")->getObject(0)->getValue<std::string>("@type") ==
          "type.googleapis.com/google.rpc.BadRequest");
  }
}

TEST_CASE("blanks: interior kept as \"\" and [], trailing cells and rows dropped, empty range without values") {
  std::string base = fresh_sandbox();
  put_sheet(base, "blanks", R"({"public":true,"sheets":{"Sheet1":[["A1","B1","","D1",""],["1","b2","1.45"],[],["A4","0.4","","4"],[],["",""]]}})");
  // The recorded ValueRange, byte for byte in structure.
  CHECK(canon(values_of(get_values(base, "blanks", "Sheet1!A1:D4"))) ==
        canon(sample("sheets_values_get_blanks_and_empty_row.json")));
  CHECK(values_of(get_values(base, "blanks", "Sheet1"))->getArray("values")->size() == 4);

  HttpReply empty = get_values(base, "blanks", "Sheet1!F1:G5");
  CHECK(canon(values_of(empty)) == canon(parse_any(R"({"range":"Sheet1!F1:G5","majorDimension":"ROWS"})")));
  CHECK_NOT_CONTAINS(empty.body, "\"values\"");

  CHECK(values_json(get_values(base, "blanks", "Sheet1!B3:B4")) == canon(parse_any(R"([[],["0.4"]])")));
  CHECK(values_json(get_values(base, "blanks", "Sheet1!A1:D4", "&majorDimension=COLUMNS")) ==
        canon(parse_any(R"([["A1","1","","A4"],["B1","b2","","0.4"],["","1.45"],["D1","","","4"]])")));
  CHECK(values_of(get_values(base, "blanks", "Sheet1!A1:B2", "&majorDimension=COLUMNS"))->getValue<std::string>("majorDimension") ==
        "COLUMNS");
}

TEST_CASE("range echo: clipped to the grid, sheet names quoted only when needed") {
  std::string base = fresh_sandbox();
  put_sheet(base, "echo", R"({"public":true,"sheets":{"Partner Events":[["a","b"]],"Sheet1":[["x"]],"It's":[["q"]],"D3":[["d"]]}})");
  auto echo = [&](const std::string& range) { return values_of(get_values(base, "echo", range))->getValue<std::string>("range"); };
  CHECK(echo("'Partner Events'!A1:K") == "'Partner Events'!A1:K1000");
  CHECK(echo("Partner Events!A1:B2") == "'Partner Events'!A1:B2");  // unquoted but unambiguous
  CHECK(echo("A1:C") == "'Partner Events'!A1:C1000");               // no sheet: the first one
  CHECK(echo("Sheet1") == "Sheet1!A1:Z1000");
  CHECK(echo("'Sheet1'") == "Sheet1!A1:Z1000");
  CHECK(echo("Sheet1!A:A") == "Sheet1!A1:A1000");
  CHECK(echo("Sheet1!A5:A") == "Sheet1!A5:A1000");
  CHECK(echo("Sheet1!2:3") == "Sheet1!A2:Z3");
  CHECK(echo("Sheet1!b2:a1") == "Sheet1!A1:B2");
  CHECK(echo("Sheet1!C3") == "Sheet1!C3");
  CHECK(echo("'It''s'!A1") == "'It''s'!A1");
  CHECK(echo("'It's'!A1:B1") == "'It''s'!A1:B1");  // the concepts page's undoubled form
  CHECK(echo("'D3'!A1:B2") == "'D3'!A1:B2");      // looks like a cell, so quoted
  CHECK(values_json(get_values(base, "echo", "'It''s'!A1")) == canon(parse_any(R"([["q"]])")));
}

TEST_CASE("bad ranges and unknown sheets: 400 INVALID_ARGUMENT as Google words it") {
  std::string base = fresh_sandbox();
  put_sheet(base, "bad", R"({"public":true,"sheets":{"Sheet1":[["x"]]}})");
  for (const std::string range : {"NOPE!A5:F15", "Sheet1!", "'Sheet1!A1", "Sheet1!A0", "Sheet1!A1:", "Sheet1!ABCD1", "''!A1"}) {
    CAPTURE(range);
    check_google_error(get_values(base, "bad", range), 400, "INVALID_ARGUMENT", "Unable to parse range: " + range);
  }
  check_google_error(get_values(base, "bad", "Sheet1!A1:AA5"), 400, "INVALID_ARGUMENT",
                     "Range (Sheet1!A1:AA5) exceeds grid limits. Max rows: 1000, max columns: 26");
  check_google_error(http(base, "GET", "/v4/spreadsheets/bad/values:batchGet?ranges=Sheet1!A1&ranges=NOPE!A1&" + k_key), 400,
                     "INVALID_ARGUMENT", "Unable to parse range: NOPE!A1");
  check_google_error(http(base, "GET", "/v4/spreadsheets/bad?ranges=NOPE%21A5%3AF15&" + k_key), 400, "INVALID_ARGUMENT",
                     "Unable to parse range: NOPE!A5:F15");
  check_google_error(get_values(base, "missing", "Sheet1"), 404, "NOT_FOUND", "Requested entity was not found.");
}

TEST_CASE("batchGet: repeated ranges= answered in request order like the recorded response") {
  std::string base = fresh_sandbox();
  put_sheet(base, "batch", R"({"public":true,"sheets":{"Sheet1":[["A1","B1"],[],[],["","B4","","D4"]]}})");
  HttpReply r = http(base, "GET", "/v4/spreadsheets/batch/values:batchGet?ranges=Sheet1!A1:B1&ranges=" + enc("Sheet1!B4:D4") + "&" + k_key);
  REQUIRE(r.status == 200);
  CHECK(canon(without_ids(parse_any(r.body))) == canon(without_ids(sample("sheets_values_batchGet_response.json"))));
  CHECK(parse(r.body)->getValue<std::string>("spreadsheetId") == "batch");
  HttpReply none = http(base, "GET", "/v4/spreadsheets/batch/values:batchGet?prettyPrint=false&" + k_key);
  CHECK(none.body == R"({"spreadsheetId":"batch"})");
}

TEST_CASE("values:batchUpdate: recorded response shape, then the cells read back as written") {
  std::string base = fresh_sandbox();
  put_sheet(base, "write", R"({"sheets":{"Sheet1":[["old","keep","x"]],"Other":[]},"shared_with":[")" + std::string(k_sa_email) + "\"]}");
  std::string token = sa_token(base);
  Obj ex = sample("sheets_values_write_exchanges.json").extract<Arr>()->getObject(0);
  HttpReply r = http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate", stringify(ex->get("request_body")), bearer(token));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(canon(without_ids(parse_any(r.body))) == canon(without_ids(ex->get("response_body"))));
  CHECK(values_json(http(base, "GET", "/v4/spreadsheets/write/values/Sheet1", "", bearer(token))) ==
        canon(parse_any(R"([["A1","B1","","D1"],[],[],["A4","B4","","D4"]])")));

  SUBCASE("USER_ENTERED types values, null leaves a cell, \"\" clears it; GET /_sandbox/sheets shows them as written") {
    std::string body = R"({"valueInputOption":"USER_ENTERED","data":[{"range":"Other!A1","values":[["TRUE","6/12/2026",null,7],["=2*3","",false]]}]})";
    REQUIRE(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate", body, bearer(token)).status == 200);
    HttpReply read = http(base, "GET", "/v4/spreadsheets/write/values/Other?valueRenderOption=UNFORMATTED_VALUE", "", bearer(token));
    CHECK(values_json(read) == canon(parse_any(R"([[true,46185,"",7],[6,"",false]])")));
    Obj dump = parse(http(base, "GET", "/_sandbox/sheets/write").body);
    CHECK(canon(dump->getObject("sheets")->get("Other")) == canon(parse_any(R"([["TRUE","6/12/2026","",7],["=2*3","",false]])")));
  }
  SUBCASE("RAW keeps text verbatim") {
    std::string body = R"({"valueInputOption":"RAW","data":[{"range":"Other!A1:B1","values":[["TRUE","=1+1"]]}]})";
    REQUIRE(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate", body, bearer(token)).status == 200);
    CHECK(values_json(http(base, "GET", "/v4/spreadsheets/write/values/Other?valueRenderOption=FORMULA", "", bearer(token))) ==
          canon(parse_any(R"([["TRUE","=1+1"]])")));
  }
  SUBCASE("a batch with one bad entry changes nothing") {
    std::string body = R"({"valueInputOption":"RAW","data":[{"range":"Other!A1","values":[["new"]]},{"range":"Nope!A1","values":[["x"]]}]})";
    check_google_error(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate", body, bearer(token)), 400,
                       "INVALID_ARGUMENT", "Unable to parse range: Nope!A1");
    CHECK(parse(http(base, "GET", "/v4/spreadsheets/write/values/Other", "", bearer(token)).body)->has("values") == false);
  }
  SUBCASE("writing past a closed range, a missing valueInputOption and non-list values are 400s") {
    check_google_error(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate",
                            R"({"valueInputOption":"RAW","data":[{"range":"Other!A1:B1","values":[["a","b","c"]]}]})", bearer(token)),
                       400, "INVALID_ARGUMENT", "Requested writing within range [Other!A1:B1], but tried writing to column [C]");
    check_google_error(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate", R"({"data":[]})", bearer(token)), 400,
                       "INVALID_ARGUMENT", "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED");
    check_google_error(http(base, "POST", "/v4/spreadsheets/write/values:batchUpdate",
                            R"({"valueInputOption":"RAW","data":[{"range":"Other!A1","values":["X"]}]})", bearer(token)),
                       400, "INVALID_ARGUMENT",
                       "Invalid value at 'data[0].values[0]' (type.googleapis.com/google.protobuf.ListValue), \"X\"");
  }
}

TEST_CASE("spreadsheets.get: titles, sheet ids, grid size and the spreadsheet's timeZone") {
  std::string base = fresh_sandbox();
  std::string wide = "[";
  for (int i = 0; i < 30; ++i) wide += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
  wide += "]";
  put_sheet(base, "meta", R"({"public":true,"title":"Partner feed","time_zone":"Europe/Paris","sheets":{"Events":[)" + wide +
                              R"(],"Archive":[]}})");
  HttpReply r = http(base, "GET", "/v4/spreadsheets/meta?includeGridData=false&" + k_key);
  REQUIRE(r.status == 200);
  CHECK(r.body.rfind("{\n  \"spreadsheetId\": \"meta\",", 0) == 0);  // prettyPrint=true is Google's default
  Obj meta = parse(r.body);
  CHECK(meta->getObject("properties")->getValue<std::string>("title") == "Partner feed");
  CHECK(meta->getObject("properties")->getValue<std::string>("timeZone") == "Europe/Paris");
  CHECK(meta->getValue<std::string>("spreadsheetUrl") == "https://docs.google.com/spreadsheets/d/meta/edit");
  Arr sheets = meta->getArray("sheets");
  REQUIRE(sheets->size() == 2);
  Obj first = sheets->getObject(0)->getObject("properties");
  CHECK(first->getValue<std::string>("title") == "Events");
  CHECK(first->getValue<int>("sheetId") == 0);
  CHECK(first->getValue<std::string>("sheetType") == "GRID");
  CHECK(first->getObject("gridProperties")->getValue<int>("rowCount") == 1000);
  CHECK(first->getObject("gridProperties")->getValue<int>("columnCount") == 30);
  Obj second = sheets->getObject(1)->getObject("properties");
  CHECK(second->getValue<std::string>("title") == "Archive");
  CHECK(second->getValue<int>("index") == 1);
  CHECK(second->getValue<Poco::Int64>("sheetId") > 0);

  put_sheet(base, "default-tz", R"({"public":true,"sheets":{"S":[]}})");
  CHECK(parse(http(base, "GET", "/v4/spreadsheets/default-tz?" + k_key).body)->getObject("properties")->getValue<std::string>("timeZone") ==
        "America/New_York");
  CHECK(http(base, "PUT", "/_sandbox/sheets/badtz", R"({"time_zone":"Mars/Base","sheets":{"S":[]}})").status == 400);
  check_google_error(http(base, "GET", "/v4/spreadsheets/nope?" + k_key), 404, "NOT_FOUND", "Requested entity was not found.");
}

TEST_CASE("a formula the emulator cannot compute carries the value Sheets would show, set by the control route") {
  std::string base = fresh_sandbox();
  put_sheet(base, "formulas", R"json({"public":true,"sheets":{"Events":[
    [{"formula":"=TODAY()","value":"6/12/2026"},{"formula":"=SUM(C1:C3)","value":42},{"formula":"=A1>0","value":true}]]}})json");
  CHECK(values_json(get_values(base, "formulas", "Events", "&valueRenderOption=UNFORMATTED_VALUE")) ==
        canon(parse_any(R"([[46185,42,true]])")));
  CHECK(values_json(get_values(base, "formulas", "Events")) == canon(parse_any(R"([["6/12/2026","42","TRUE"]])")));
  CHECK(values_json(get_values(base, "formulas", "Events", "&valueRenderOption=FORMULA")) ==
        canon(parse_any(R"json([["=TODAY()","=SUM(C1:C3)","=A1>0"]])json")));
  for (const char* bad : {R"json({"formula":"TODAY()","value":1})json", R"json({"formula":"=A1","value":"=B1"})json",
                          R"json({"formula":"=A1"})json"}) {
    CAPTURE(bad);
    CHECK(http(base, "PUT", "/_sandbox/sheets/bad", std::string(R"({"sheets":{"S":[[)") + bad + "]]}}").status == 400);
  }
}

TEST_CASE("typed thousands separators, dates without a year and durations become numbers, as in the Sheets UI") {
  std::string base = fresh_sandbox();
  put_sheet(base, "typed2", R"({"public":true,"sheets":{"Events":[["1,234","-12,345.50","6/12","25:00","1,23"]]}})");
  Arr row = values_of(get_values(base, "typed2", "Events", "&valueRenderOption=UNFORMATTED_VALUE"))->getArray("values")->getArray(0);
  CHECK(row->get(0).convert<double>() == 1234.0);
  CHECK(row->get(1).convert<double>() == -12345.5);
  auto year = static_cast<int>(date::year_month_day(date::floor<date::days>(std::chrono::system_clock::now())).year());
  CHECK(row->get(2).convert<double>() ==
        static_cast<double>((date::sys_days{date::year{year} / 6 / 12} - date::sys_days{date::year{1899} / 12 / 30}).count()));
  CHECK(row->get(3).convert<double>() == doctest::Approx(25.0 / 24.0));
  CHECK(row->get(4).convert<std::string>() == "1,23");  // not a grouping: stays text
  CHECK(values_json(get_values(base, "typed2", "Events")) ==
        canon(parse_any(R"([["1,234","-12,345.50","6/12","25:00:00","1,23"]])")));
}

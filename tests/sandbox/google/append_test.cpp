// values.append and values.clear: the recorded exchanges, how append finds the table in its
// range (tableRange), OVERWRITE vs INSERT_ROWS, and includeValuesInResponse on the writes.
#include <string>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

Obj recorded(const std::string& method, const std::string& url_part) {
  Arr exchanges = sample("sheets_values_write_exchanges.json").extract<Arr>();
  for (unsigned i = 0; i < exchanges->size(); ++i) {
    Obj ex = exchanges->getObject(i);
    if (ex->getValue<std::string>("method") == method &&
        ex->getValue<std::string>("url").find(url_part) != std::string::npos) {
      return ex;
    }
  }
  FAIL("no recorded " << method << " " << url_part);
  return nullptr;
}

// The recorded body with its spreadsheet ids replaced by ours.
std::string with_id(Poco::Dynamic::Var v, const std::string& id) {
  std::string text = stringify(v);
  std::string out;
  std::size_t pos = 0;
  const std::string key = "\"spreadsheetId\":\"";
  while (true) {
    std::size_t at = text.find(key, pos);
    if (at == std::string::npos) break;
    out += text.substr(pos, at - pos) + key + id;
    pos = text.find('"', at + key.size());
  }
  return canon(parse_any(out + text.substr(pos)));
}

struct Writable {
  explicit Writable(const std::string& sheets) : base(fresh_sandbox()) {
    put_sheet(base, "w1", R"({"sheets":)" + sheets + R"(,"shared_with":[")" + std::string(k_sa_email) + "\"]}");
    token = sa_token(base);
  }
  HttpReply post(const std::string& path_and_query, const std::string& body) {
    return http(base, "POST", "/v4/spreadsheets/w1/values/" + path_and_query, body, bearer(token));
  }
  std::string values(const std::string& range) {
    HttpReply r = http(base, "GET", "/v4/spreadsheets/w1/values/" + enc(range), "", bearer(token));
    Obj vr = parse(r.body);
    return vr->has("values") ? canon(vr->get("values")) : "[]";
  }
  std::string base, token;
};

}  // namespace

TEST_CASE("append and clear: the recorded exchanges are reproduced") {
  Writable w(R"({"Sheet1":[]})");
  Obj append = recorded("POST", ":append");
  HttpReply r = w.post(enc("'Sheet1'") + ":append?valueInputOption=RAW&includeValuesInResponse=False",
                       stringify(append->get("request_body")));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(canon(parse_any(r.body)) == with_id(append->get("response_body"), "w1"));

  Obj clear = recorded("POST", ":clear");
  HttpReply cleared = w.post(enc("'Sheet1'") + ":clear", "{}");
  REQUIRE_MESSAGE(cleared.status == 200, cleared.body);
  CHECK(canon(parse_any(cleared.body)) == with_id(clear->get("response_body"), "w1"));
  CHECK(w.values("Sheet1") == "[]");
}

TEST_CASE("append finds the table in its range and writes below it, from the table's first column") {
  Writable w(R"({"Events":[[],["","Event ID","Title"],["","E-1","Rooftop Jazz"],[],["","notes below"]]})");
  HttpReply r = w.post(enc("Events!A1:C3") + ":append?valueInputOption=USER_ENTERED", R"({"values":[["E-2","Late Show"]]})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Obj body = parse(r.body);
  CHECK(body->getValue<std::string>("tableRange") == "Events!B2:C3");
  CHECK(body->getObject("updates")->getValue<std::string>("updatedRange") == "Events!B4:C4");
  CHECK(w.values("Events!B4:C5") == canon(parse_any(R"([["E-2","Late Show"],["notes below"]])")));

  // INSERT_ROWS moves what lies below down instead of writing over it.
  HttpReply inserted = w.post(enc("Events!B2:C4") + ":append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
                              R"({"values":[["E-3","Third"]]})");
  REQUIRE_MESSAGE(inserted.status == 200, inserted.body);
  CHECK(parse(inserted.body)->getValue<std::string>("tableRange") == "Events!B2:C4");
  CHECK(w.values("Events!B5:C6") == canon(parse_any(R"([["E-3","Third"],["notes below"]])")));

  check_google_error(w.post(enc("Events!A1") + ":append", R"({"values":[["x"]]})"), 400, "INVALID_ARGUMENT",
                     "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED");
  CHECK(w.post(enc("Events!A1") + ":append?valueInputOption=RAW&insertDataOption=SIDEWAYS", R"({"values":[["x"]]})").status == 400);
  check_google_error(w.post(enc("Nope!A1") + ":append?valueInputOption=RAW", R"({"values":[["x"]]})"), 400, "INVALID_ARGUMENT",
                     "Unable to parse range: Nope!A1");
  CHECK(w.post(enc("Events!A1") + ":clear", R"({"range":"x"})").status == 400);
}

TEST_CASE("includeValuesInResponse: update, append and batchUpdate return what they wrote") {
  Writable w(R"({"Events":[["A"]]})");
  HttpReply put = http(w.base, "PUT",
                       "/v4/spreadsheets/w1/values/" + enc("Events!B1") +
                           "?valueInputOption=USER_ENTERED&includeValuesInResponse=true&responseValueRenderOption=UNFORMATTED_VALUE",
                       R"({"values":[["12.5"]]})", bearer(w.token));
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(canon(parse(put.body)->get("updatedData")) ==
        canon(parse_any(R"({"range":"Events!B1","majorDimension":"ROWS","values":[[12.5]]})")));
  HttpReply appended = w.post(enc("Events") + ":append?valueInputOption=RAW&includeValuesInResponse=true", R"({"values":[["x"]]})");
  CHECK(canon(parse(appended.body)->getObject("updates")->get("updatedData")) ==
        canon(parse_any(R"({"range":"Events!A2","majorDimension":"ROWS","values":[["x"]]})")));
  HttpReply batch = http(w.base, "POST", "/v4/spreadsheets/w1/values:batchUpdate",
                         R"({"valueInputOption":"RAW","includeValuesInResponse":true,"data":[{"range":"Events!C1","values":[["y"]]}]})",
                         bearer(w.token));
  CHECK(parse(batch.body)->getArray("responses")->getObject(0)->getObject("updatedData")->getValue<std::string>("range") ==
        "Events!C1");
  CHECK(http(w.base, "PUT", "/v4/spreadsheets/w1/values/" + enc("Events!D1") + "?valueInputOption=RAW&includeValuesInResponse=maybe",
             R"({"values":[["z"]]})", bearer(w.token)).status == 400);
}

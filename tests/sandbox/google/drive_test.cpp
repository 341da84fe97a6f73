// Conformance of the emulated Drive v3 files.get (GET /drive/v3/files/{fileId}), the change gate
// pinsync reads: `version` (a string) and `modifiedTime` bumped by every write path and by the
// control PUT, never by a read; `fields` masks; Drive scopes and the exact 403/404 bodies; API
// keys on public files only; space-separated scopes on both APIs; no Sheets read quota; the
// per-route stats; the modified lag (control route and flag).
#include "tests/support/checks.h"

#include <regex>
#include <string>
#include <thread>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

constexpr const char* k_scope_drive_meta_ro = "https://www.googleapis.com/auth/drive.metadata.readonly";
// Both APIs in one grant, space-separated as Google's JWT `scope` claim has them.
const std::string k_scope_both = std::string(k_scope_rw) + " " + k_scope_drive_meta_ro;

std::string shared_sheet_body(const std::string& title = "Partner events") {
  return R"({"title":")" + title + R"(","sheets":{"Events":[["Event ID"],["E-1"]]},"shared_with":[")" +
         std::string(k_sa_email) + "\"]}";
}

std::string token_with(const std::string& base, const std::string& scope) {
  Claims c;
  c.scope = scope;
  return sa_token(base, c);
}

HttpReply get_file(const std::string& base, const std::string& id, const std::string& query, const Headers& headers) {
  return http(base, "GET", "/drive/v3/files/" + id + (query.empty() ? "" : "?" + query), "", headers);
}

// Returns the version files.get reports (checking it is a JSON string of digits).
std::int64_t version_of(const std::string& base, const std::string& id, const Headers& auth) {
  HttpReply r = get_file(base, id, "fields=version", auth);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Poco::Dynamic::Var v = parse(r.body)->get("version");
  REQUIRE(v.isString());
  std::string text = v.extract<std::string>();
  REQUIRE(std::regex_match(text, std::regex("[0-9]+")));
  return std::stoll(text);
}

HttpReply write_values(const std::string& base, const std::string& id, const Headers& auth) {
  return http(base, "PUT", "/v4/spreadsheets/" + id + "/values/" + enc("Events!A3") + "?valueInputOption=RAW",
              R"({"values":[["E-2"]]})", auth);
}

// The exact 404 Drive gives for a file the caller cannot see.
std::string not_found_body(const std::string& id) {
  std::string message = "File not found: " + id + ".";
  return R"({"error":{"code":404,"message":")" + message + R"(","errors":[{"message":")" + message +
         R"(","domain":"global","reason":"notFound","location":"fileId","locationType":"parameter"}]}})";
}

HttpReply set_lag(const std::string& base, const std::string& body) {
  return http(base, "POST", "/_sandbox/google/drive", body);
}

}  // namespace

TEST_CASE("files.get: default fields, and a version string that a read leaves alone") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  put_sheet(base, "untitled", R"({"public":true,"sheets":{"Events":[]}})");
  Headers auth = bearer(token_with(base, k_scope_both));

  HttpReply r = get_file(base, "gate", "", auth);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.headers["content-type"] == "application/json; charset=UTF-8");
  CHECK(canon(parse(r.body)) ==
        canon(parse(R"({"kind":"drive#file","id":"gate","name":"Partner events","mimeType":"application/vnd.google-apps.spreadsheet"})")));
  // A spreadsheet with no title is named by its id.
  CHECK(parse(get_file(base, "untitled", "", auth).body)->getValue<std::string>("name") == "untitled");

  std::int64_t before = version_of(base, "gate", auth);
  CHECK(http(base, "GET", "/v4/spreadsheets/gate/values/Events", "", auth).status == 200);
  CHECK(http(base, "GET", "/v4/spreadsheets/gate", "", auth).status == 200);
  CHECK(version_of(base, "gate", auth) == before);
}

TEST_CASE("files.get: every write path and the control PUT raise the version and set modifiedTime") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  Headers auth = bearer(token_with(base, k_scope_both));
  std::int64_t last = version_of(base, "gate", auth);
  std::string last_time;
  // Checks that the change just made is visible: a higher version, a later (or equal) time.
  auto check_bumped = [&](const char* what) {
    INFO(what);
    HttpReply r = get_file(base, "gate", "fields=modifiedTime,version", auth);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    Obj body = parse(r.body);
    std::int64_t version = std::stoll(body->getValue<std::string>("version"));
    std::string time = body->getValue<std::string>("modifiedTime");
    CHECK(version > last);
    CHECK(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(time >= last_time);
    last = version;
    last_time = time;
  };

  REQUIRE(write_values(base, "gate", auth).status == 200);
  check_bumped("values.update");
  REQUIRE(http(base, "POST", "/v4/spreadsheets/gate/values:batchUpdate",
               R"({"valueInputOption":"RAW","data":[{"range":"Events!B1","values":[["Title"]]}]})", auth)
              .status == 200);
  check_bumped("values.batchUpdate");
  REQUIRE(http(base, "POST", "/v4/spreadsheets/gate/values/Events!A1:append?valueInputOption=RAW",
               R"({"values":[["E-3"]]})", auth)
              .status == 200);
  check_bumped("values.append");
  REQUIRE(http(base, "POST", "/v4/spreadsheets/gate/values/" + enc("Events!B1") + ":clear", "{}", auth).status == 200);
  check_bumped("values.clear");
  REQUIRE(http(base, "POST", "/v4/spreadsheets/gate:batchUpdate",
               R"({"requests":[{"insertDimension":{"range":{"sheetId":0,"dimension":"ROWS","startIndex":1,"endIndex":2}}}]})",
               auth)
              .status == 200);
  check_bumped("spreadsheets.batchUpdate");
  put_sheet(base, "gate", shared_sheet_body("Renamed"));
  check_bumped("PUT /_sandbox/sheets/gate");
  CHECK(parse(get_file(base, "gate", "fields=name", auth).body)->getValue<std::string>("name") == "Renamed");

  // A refused write changes nothing.
  REQUIRE(http(base, "PUT", "/v4/spreadsheets/gate/values/NOPE!A1?valueInputOption=RAW", R"({"values":[["x"]]})", auth)
              .status == 400);
  CHECK(version_of(base, "gate", auth) == last);
}

TEST_CASE("files.get: fields masks, unknown parameters, booleans and prettyPrint") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  Headers auth = bearer(token_with(base, k_scope_both));

  HttpReply r = get_file(base, "gate", "fields=id,modifiedTime,version&supportsAllDrives=true&prettyPrint=false", auth);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK_NOT_CONTAINS(r.body, "\n");  // prettyPrint=false: compact
  Obj body = parse(r.body);
  CHECK(body->getNames() == std::vector<std::string>{"id", "modifiedTime", "version"});
  CHECK(body->getValue<std::string>("id") == "gate");
  CHECK(get_file(base, "gate", "fields=kind&supportsAllDrives=false", auth).body == "{\n  \"kind\": \"drive#file\"\n}\n");

  HttpReply bad_field = get_file(base, "gate", "fields=id,nope", auth);
  CHECK(bad_field.status == 400);
  CHECK(canon(parse(bad_field.body)) ==
        canon(parse(R"({"error":{"code":400,"message":"Invalid field selection nope","errors":[{"message":"Invalid field selection nope","domain":"global","reason":"invalidParameter","location":"fields","locationType":"parameter"}]}})")));
  // Real File fields the sandbox does not model are refused, never silently left out.
  check_google_error(get_file(base, "gate", "fields=owners", auth), 400, "INVALID_ARGUMENT",
                     "fields: File.owners (the sandbox models kind, id, name, mimeType, modifiedTime, version) is not "
                     "emulated by pinsync-sandbox");
  CHECK(get_file(base, "gate", "fields=*", auth).status == 400);

  std::string unknown = "Invalid JSON payload received. Unknown name \"foo\": Cannot bind query parameter. Field 'foo' "
                        "could not be found in request message.";
  HttpReply u = get_file(base, "gate", "foo=1", auth);
  check_google_error(u, 400, "INVALID_ARGUMENT", unknown);
  CHECK(error_of(u)->getArray("details")->getObject(0)->getArray("fieldViolations")->getObject(0)->getValue<std::string>(
            "description") == unknown);
  check_google_error(get_file(base, "gate", "supportsAllDrives=maybe", auth), 400, "INVALID_ARGUMENT",
                     "Invalid value at 'supports_all_drives' (TYPE_BOOL), \"maybe\"");
  check_google_error(http(base, "PATCH", "/drive/v3/files/gate", "{}", auth), 404, "NOT_FOUND", "Method not found.");
  check_google_error(http(base, "GET", "/drive/v3/files", "", auth), 404, "NOT_FOUND", "Method not found.");
}

TEST_CASE("files.get: a token without a Drive scope gets Google's exact insufficient-scope 403") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  for (const char* scope : {k_scope_rw, k_scope_ro}) {
    INFO(scope);
    HttpReply r = get_file(base, "gate", "", bearer(token_with(base, scope)));
    CHECK(r.status == 403);
    CHECK(canon(parse(r.body)) == canon(parse(R"({"error":{
      "code":403,"message":"Request had insufficient authentication scopes.",
      "errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],
      "status":"PERMISSION_DENIED",
      "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "domain":"googleapis.com",
        "metadata":{"service":"drive.googleapis.com","method":"google.apps.drive.v3.DriveFiles.Get"}}]}})")));
  }
  for (const char* scope : {"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.readonly",
                            "https://www.googleapis.com/auth/drive.metadata", k_scope_drive_meta_ro}) {
    INFO(scope);
    CHECK(get_file(base, "gate", "", bearer(token_with(base, scope))).status == 200);
  }
}

TEST_CASE("files.get: unknown and unshared files are Drive's exact 404; keys see public files only") {
  std::string base = fresh_sandbox();
  put_sheet(base, "private", R"({"sheets":{"Events":[]},"shared_with":["someone@example.com"]})");
  put_sheet(base, "public", R"({"public":true,"sheets":{"Events":[]}})");
  Headers auth = bearer(token_with(base, k_scope_both));

  HttpReply unknown = get_file(base, "nope", "", auth);
  CHECK(unknown.status == 404);
  CHECK(canon(parse(unknown.body)) == canon(parse(not_found_body("nope"))));
  HttpReply unshared = get_file(base, "private", "", auth);
  CHECK(unshared.status == 404);
  CHECK(canon(parse(unshared.body)) == canon(parse(not_found_body("private"))));
  CHECK(get_file(base, "public", "", auth).status == 200);  // public: any token with a Drive scope

  CHECK(get_file(base, "public", k_key + "&fields=version", {}).status == 200);
  HttpReply key_private = get_file(base, "private", k_key, {});
  CHECK(key_private.status == 404);
  CHECK(canon(parse(key_private.body)) == canon(parse(not_found_body("private"))));

  // The credential errors are the Sheets routes' bodies, with Drive named in API_KEY_INVALID.
  HttpReply bad_key = get_file(base, "public", "key=wrong", {});
  check_google_error(bad_key, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
  CHECK(error_of(bad_key)->getArray("details")->getObject(0)->getObject("metadata")->getValue<std::string>("service") ==
        "drive.googleapis.com");
  check_google_error(get_file(base, "public", "", {}), 403, "PERMISSION_DENIED", "The request is missing a valid API key.");
  HttpReply bad_token = get_file(base, "public", "", bearer("ya29.not-issued"));
  CHECK(bad_token.status == 401);
  CHECK(error_of(bad_token)->getValue<std::string>("status") == "UNAUTHENTICATED");
  CHECK(bad_token.headers.count("www-authenticate") == 1);
}

TEST_CASE("space-separated scopes: one token serves Sheets and Drive; a Drive metadata scope alone only Drive") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  Headers both = bearer(token_with(base, std::string(k_scope_ro) + " " + k_scope_drive_meta_ro));
  CHECK(http(base, "GET", "/v4/spreadsheets/gate/values/Events", "", both).status == 200);
  CHECK(get_file(base, "gate", "", both).status == 200);

  Headers drive_only = bearer(token_with(base, k_scope_drive_meta_ro));
  CHECK(get_file(base, "gate", "", drive_only).status == 200);
  check_google_error(http(base, "GET", "/v4/spreadsheets/gate/values/Events", "", drive_only), 403, "PERMISSION_DENIED",
                     "Request had insufficient authentication scopes.");
}

TEST_CASE("files.get uses no Sheets read quota and is counted under its own route") {
  pinsync::test::SandboxProcess sandbox({"--sheets-read-quota-per-minute", "1"});
  std::string base = sandbox.base_url();
  put_sheet(base, "gate", shared_sheet_body());
  Headers auth = bearer(token_with(base, k_scope_both));
  CHECK(http(base, "GET", "/v4/spreadsheets/gate/values/Events", "", auth).status == 200);
  CHECK(http(base, "GET", "/v4/spreadsheets/gate/values/Events", "", auth).status == 429);
  for (int i = 0; i < 3; ++i) CHECK(get_file(base, "gate", "fields=version", auth).status == 200);
  CHECK(get_file(base, "nope", "", auth).status == 404);

  std::string stats = http(base, "GET", "/_sandbox/stats").body;
  CHECK_CONTAINS(stats, R"({"method":"GET","route":"/drive/v3/files/{fileId}","status":200,"count":3})");
  CHECK_CONTAINS(stats, R"({"method":"GET","route":"/drive/v3/files/{fileId}","status":404,"count":1})");
}

TEST_CASE("modified lag: a change shows only once it is that old") {
  std::string base = fresh_sandbox();
  put_sheet(base, "gate", shared_sheet_body());
  Headers auth = bearer(token_with(base, k_scope_both));
  CHECK(http(base, "GET", "/_sandbox/google/drive").body == R"({"modified_lag_ms":0})");
  std::int64_t before = version_of(base, "gate", auth);

  // Without sleeping: a lag of ten minutes hides the write; lifting it shows the write.
  REQUIRE(set_lag(base, R"({"modified_lag_ms":600000})").body == R"({"modified_lag_ms":600000})");
  std::string time_before = parse(get_file(base, "gate", "fields=modifiedTime", auth).body)->getValue<std::string>("modifiedTime");
  REQUIRE(write_values(base, "gate", auth).status == 200);
  CHECK(version_of(base, "gate", auth) == before);
  CHECK(parse(get_file(base, "gate", "fields=modifiedTime", auth).body)->getValue<std::string>("modifiedTime") ==
        time_before);
  REQUIRE(set_lag(base, R"({"modified_lag_ms":0})").status == 200);
  std::int64_t after = version_of(base, "gate", auth);
  CHECK(after > before);

  // On the clock: 300 ms hide a write, then it shows (under 0.5 s of sleep). Drive reports the
  // version of 300 ms ago, which may be older still than `after`: the writes above are recent.
  REQUIRE(set_lag(base, R"({"modified_lag_ms":300})").status == 200);
  REQUIRE(write_values(base, "gate", auth).status == 200);
  std::int64_t hidden = version_of(base, "gate", auth);
  CHECK(hidden <= after);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(version_of(base, "gate", auth) > after);

  CHECK(set_lag(base, R"({"modified_lag_ms":-1})").status == 400);
  CHECK(set_lag(base, R"({"modified_lag_ms":3600001})").status == 400);
  CHECK(set_lag(base, R"({})").status == 400);
  REQUIRE(http(base, "POST", "/_sandbox/google/reset").status == 200);
  CHECK(http(base, "GET", "/_sandbox/google/drive").body == R"({"modified_lag_ms":0})");
}

TEST_CASE("startup flag: --drive-modified-lag-ms sets the lag, and reset restores it") {
  pinsync::test::SandboxProcess sandbox({"--drive-modified-lag-ms", "600000"});
  std::string base = sandbox.base_url();
  CHECK(http(base, "GET", "/_sandbox/google/drive").body == R"({"modified_lag_ms":600000})");
  put_sheet(base, "gate", shared_sheet_body());
  Headers auth = bearer(token_with(base, k_scope_both));
  std::int64_t created = version_of(base, "gate", auth);  // the only change: shown despite the lag
  REQUIRE(write_values(base, "gate", auth).status == 200);
  CHECK(version_of(base, "gate", auth) == created);
  REQUIRE(set_lag(base, R"({"modified_lag_ms":0})").status == 200);
  CHECK(version_of(base, "gate", auth) > created);
  REQUIRE(http(base, "POST", "/_sandbox/google/reset").status == 200);
  CHECK(http(base, "GET", "/_sandbox/google/drive").body == R"({"modified_lag_ms":600000})");
}

// End-to-end worlds for tests where a partner changes a source while pinsync syncs it: a
// Google Sheets source ("beta", tab "Partner Events", service account, write-back) and an
// Airtable source ("gamma", table Submissions, write-back), each with its own sandbox and temp
// folder, plus what a partner's own script would call (the real Sheets / Airtable routes of the
// sandbox) and what the sandbox holds afterwards.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/google_key.h"
#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

namespace pinsync::test {

inline Poco::JSON::Object::Ptr parse_object(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Runs `pinsync COMMAND --config CONFIG` with `env`; the output is kept in the doctest
// context and must not contain any of `secrets`.
inline ProcessResult run_pinsync(const std::string& command, const std::filesystem::path& config,
                                 const std::vector<std::pair<std::string, std::string>>& env,
                                 const std::vector<std::string>& secrets) {
  auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", command, "--config", config.string()}, env);
  INFO("pinsync " << command << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
  for (const auto& secret : secrets) {
    CHECK_NOT_CONTAINS(r.out, secret);
    CHECK_NOT_CONTAINS(r.err, secret);
  }
  return r;
}

// A Google Sheets source "beta" on spreadsheet 1AbCdEf. `source_yaml` replaces the default
// `sheet: Partner Events`; the write-back columns are Pinned ID, Sync status, Sync error.
struct SheetsWorld {
  static constexpr const char* k_sa = "beta-sa@beta-project.iam.gserviceaccount.com";
  static inline const std::string k_header =
      R"(["Event ID","Approved","Title","Date","Start","End","Category","City","Venue","Pinned ID","Sync status","Sync error"])";

  // The mapping block of a source on the events tab (indented as a source's key).
  static inline const std::string k_mapping = R"(    mapping:
      title: Title
      start_date: Date
      start_time: Start
      end_time: End
      classifications:
        column: Category
        map: {Jazz: music}
      city:
        column: City
        places:
          New York: {place_id: place-new-york, country_code: US}
      location_name: Venue
)";

  // `sandbox_args`: pinsync-sandbox flags (e.g. another --key).
  explicit SheetsWorld(const std::string& where_yaml = "    sheet: Partner Events\n",
                       std::vector<std::string> sandbox_args = {})
      : sandbox(std::move(sandbox_args)) {
    const auto key_file = testing::google::write_key_file(dir, k_sa, sandbox.base_url() + "/token");
    std::ifstream in(key_file);
    std::ostringstream key;
    key << in.rdbuf();
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/google/service-accounts", key.str()).status == 200);
    config = dir.write("pinsync.yaml", R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
google:
  sheets_base_url: )" + sandbox.base_url() + R"(
state:
  path: ./state.db
sources:
  - name: beta
    kind: google_sheets
    spreadsheet_id: 1AbCdEf
)" + where_yaml + R"(    auth:
      service_account_file: beta-sa.json
    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    date_order: MDY
    write_back:
      event_id_column: Pinned ID
      status_column: Sync status
      error_column: Sync error
)" + k_mapping);
  }

  // One row of the events tab as JSON: approved TRUE, 8:00 PM to 11:00 PM, Jazz, New York.
  static std::string row(const std::string& id, const std::string& title, const std::string& date) {
    return R"([")" + id + R"(","TRUE",")" + title + R"(",")" + date + R"(","8:00 PM","11:00 PM","Jazz","New York","Venue )" +
           id + R"("])";
  }

  // Puts the spreadsheet: `tabs` is the JSON of "sheets" (tab → rows), shared with the account.
  void put(const std::string& tabs) {
    const auto r = http(sandbox.base_url(), "PUT", "/_sandbox/sheets/1AbCdEf",
                        R"({"time_zone":"America/New_York","shared_with":[")" + std::string(k_sa) +
                            R"(","partner@example.com"],"sheets":)" + tabs + "}");
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  // The rows of `tab` as the sandbox holds them now.
  Poco::JSON::Array::Ptr cells(const std::string& tab = "Partner Events") {
    const auto r = http(sandbox.base_url(), "GET", "/_sandbox/sheets/1AbCdEf");
    REQUIRE(r.status == 200);
    return parse_object(r.body)->getObject("sheets")->getArray(tab);
  }
  // Cell (row, column), 0-based, as text ("" when absent).
  std::string cell(unsigned row, unsigned column, const std::string& tab = "Partner Events") {
    auto rows = cells(tab);
    if (row >= rows->size()) return "";
    auto r = rows->getArray(row);
    if (!r || column >= r->size()) return "";
    return r->get(column).toString();
  }

  // A partner's script: an access token of a second account with write access, used on the
  // real Sheets routes.
  std::string partner_token() {
    if (!m_partner_token.empty()) return m_partner_token;
    const auto r = http(sandbox.base_url(), "POST", "/_sandbox/google/oauth-clients",
                        R"({"client_id":"partner.apps.googleusercontent.com","client_secret":"ps","refresh_token":"pr","email":"partner@example.com"})");
    REQUIRE(r.status == 200);
    const auto t = http(sandbox.base_url(), "POST", "/token",
                        "grant_type=refresh_token&client_id=partner.apps.googleusercontent.com&client_secret=ps&refresh_token=pr",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE_MESSAGE(t.status == 200, t.body);
    m_partner_token = parse_object(t.body)->getValue<std::string>("access_token");
    return m_partner_token;
  }
  // The partner's script calls spreadsheets.batchUpdate / values.append on the sheet.
  HttpReply partner_batch_update(const std::string& body) {
    auto r = http(sandbox.base_url(), "POST", "/v4/spreadsheets/1AbCdEf:batchUpdate", body,
                  {{"Authorization", "Bearer " + partner_token()}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r;
  }
  HttpReply partner_append(const std::string& range, const std::string& rows_json) {
    std::string encoded;
    Poco::URI::encode(range, "!'/?#[]@$&+,;= %:", encoded);
    auto r = http(sandbox.base_url(), "POST", "/v4/spreadsheets/1AbCdEf/values/" + encoded + ":append?valueInputOption=USER_ENTERED",
                  R"({"values":)" + rows_json + "}", {{"Authorization", "Bearer " + partner_token()}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r;
  }
  // The tab's sheetId as spreadsheets.get gives it.
  std::int64_t sheet_id(const std::string& title) {
    auto r = http(sandbox.base_url(), "GET", "/v4/spreadsheets/1AbCdEf?fields=sheets.properties(sheetId,title)", "",
                  {{"Authorization", "Bearer " + partner_token()}});
    auto sheets = parse_object(r.body)->getArray("sheets");
    for (unsigned i = 0; i < sheets->size(); ++i) {
      auto p = sheets->getObject(i)->getObject("properties");
      if (p->getValue<std::string>("title") == title) return p->getValue<std::int64_t>("sheetId");
    }
    FAIL("no tab " << title);
    return -1;
  }

  ProcessResult pinsync(const std::string& command, const std::string& key = "sandbox-key") {
    return run_pinsync(command, config, {{"PINNED_EVENTS_API_KEY", key}}, {key});
  }
  int requests(const std::string& method, const std::string& route) { return sandbox_requests(sandbox.base_url(), method, route); }
  int creates() { return requests("POST", "/api/public/v1/events"); }
  int updates() { return requests("PATCH", "/api/public/v1/events/{id}"); }
  Poco::JSON::Array::Ptr events() { return sandbox_events(sandbox.base_url()); }

  SandboxProcess sandbox;
  testing::TempDir dir;
  std::filesystem::path config;

 private:
  std::string m_partner_token;
};

// An Airtable source "gamma" on base appPartner0000001, table Submissions, with write-back.
// Genre is a multiple select mapped {Jazz: music, Stand-up: comedy}.
struct AirtableWorld {
  static constexpr const char* k_token = "patPartnerE2e.0123456789abcdef0123";
  static constexpr const char* k_base = "appPartner0000001";

  explicit AirtableWorld(const std::string& write_back_yaml =
                             "    write_back:\n      event_id_column: Pinned ID\n      status_column: Sync status\n"
                             "      error_column: Sync error\n") {
    config = dir.write("pinsync.yaml", R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
airtable:
  base_url: )" + sandbox.base_url() + R"(
state:
  path: ./state.db
sources:
  - name: gamma
    kind: airtable
    base_id: )" + k_base + R"(
    table: Submissions
    token: ${AIRTABLE_TOKEN}
    approved:
      column: Approved
    channel_id: 42
    timezone: Europe/Madrid
    max_removed_share: 1
)" + write_back_yaml + R"(    mapping:
      title: Title
      start: When
      classifications:
        column: Genre
        map: {Jazz: music, Stand-up: comedy}
      city:
        column: City
        places:
          Valencia: {place_id: place-valencia, country_code: ES}
)");
  }

  // The fields of an approved submission (JSON object text, without braces' neighbours).
  static std::string fields(int i, const std::string& genre = R"(["Jazz","Stand-up"])", const std::string& extra = "") {
    return R"({"Title":"Show )" + std::to_string(i) + R"(","When":"2026-06-12T18:00:00.000Z","Genre":)" + genre +
           R"(,"City":"Valencia","Approved":true)" + extra + "}";
  }
  static std::string record_id(int i) {
    std::string digits = std::to_string(i);
    return "rec" + std::string(14 - digits.size(), '0') + digits;
  }

  // Puts the table: `records_json` is the "records" array; the field types are declared.
  void put(const std::string& records_json, const std::string& sync_status_type = R"("singleLineText")") {
    const std::string body = R"({"fields":{"Approved":"checkbox","When":"dateTime",)"
                             R"("Genre":{"type":"multipleSelects","choices":["Jazz","Stand-up"]},)"
                             R"("Pinned ID":"singleLineText","Sync status":)" + sync_status_type +
                             R"(,"Sync error":"multilineText"},"records":)" + records_json + "}";
    const auto r = http(sandbox.base_url(), "PUT", std::string("/_sandbox/airtable/") + k_base + "/Submissions", body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  // The records as the control route shows them.
  Poco::JSON::Array::Ptr records() {
    const auto r = http(sandbox.base_url(), "GET", std::string("/_sandbox/airtable/") + k_base + "/Submissions");
    REQUIRE(r.status == 200);
    return parse_object(r.body)->getArray("records");
  }
  Poco::JSON::Object::Ptr fields_of(const std::string& id) {
    auto list = records();
    for (unsigned i = 0; i < list->size(); ++i) {
      if (list->getObject(i)->getValue<std::string>("id") == id) return list->getObject(i)->getObject("fields");
    }
    FAIL("no record " << id);
    return nullptr;
  }

  // A partner's script on the real routes, with the partner's own token.
  HttpReply partner(const std::string& method, const std::string& path_and_query, const std::string& body = "") {
    auto r = http(sandbox.base_url(), method, std::string("/v0/") + k_base + "/Submissions" + path_and_query, body,
                  {{"Authorization", "Bearer patPartnerScript.000000000000"}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r;
  }
  // A partner changing a select field's options in the base (renames, deletions).
  void change_choices(const std::string& body) {
    const auto r = http(sandbox.base_url(), "PATCH", std::string("/_sandbox/airtable/") + k_base + "/Submissions", body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }
  void settings(const std::string& body) {
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/airtable/settings", body).status == 200);
  }

  ProcessResult pinsync(const std::string& command) {
    return run_pinsync(command, config, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}},
                       {"sandbox-key", k_token});
  }
  int creates() { return sandbox_requests(sandbox.base_url(), "POST", "/api/public/v1/events"); }
  int updates() { return sandbox_requests(sandbox.base_url(), "PATCH", "/api/public/v1/events/{id}"); }
  int events() { return static_cast<int>(sandbox_events(sandbox.base_url())->size()); }

  // Passes here run back to back, seconds apart, where real ones are minutes apart: with the
  // base's 5 requests per second, three quick passes would meet its 30 s penalty. The limit has
  // its own tests (tests/sandbox/airtable, e2e airtable_connector); it is off here.
  SandboxProcess sandbox{{"--airtable-token", std::string(k_token) + "=data.records:read,data.records:write",
                          "--airtable-token", "patPartnerScript.000000000000=data.records:read,data.records:write",
                          "--airtable-requests-per-second", "0"}};
  testing::TempDir dir;
  std::filesystem::path config;
};

}  // namespace pinsync::test

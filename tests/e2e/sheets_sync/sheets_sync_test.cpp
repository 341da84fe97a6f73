// Google Sheets sources end to end: the real pinsync binary against pinsync-sandbox's
// Sheets v4 + OAuth emulation and its Pinned Events API, on loopback.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/google_key.h"
#include "tests/support/partner_worlds.h"
#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

using pinsync::test::http;
using pinsync::test::ProcessResult;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;

namespace {

constexpr const char* k_sa = "beta-sa@beta-project.iam.gserviceaccount.com";
constexpr const char* k_google_key = "sandbox-google-key";
constexpr const char* k_client = "client-1.apps.googleusercontent.com";
constexpr const char* k_refresh = "refresh-token-1xyz";

const std::string k_header =
    R"(["Event ID","Approved","Title","Date","Start","End","Category","City","Venue","Pinned ID","Sync status","Sync error"])";

std::string sheet_row(const std::string& id, const std::string& approved, const std::string& title,
                      const std::string& date, const std::string& start = "8:00 PM") {
  return R"([")" + id + R"(",")" + approved + R"(",")" + title + R"(",")" + date + R"(",")" + start +
         R"(","11:00 PM","Jazz","New York","Venue )" + id + R"("])";
}

struct Sheets {
  explicit Sheets(const std::string& auth_yaml = "      service_account_file: beta-sa.json\n") {
    const auto key_file = pinsync::testing::google::write_key_file(dir, k_sa, sandbox.base_url() + "/token");
    (void)key_file;
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/google/service-accounts",
                 read_text(dir / "beta-sa.json")).status == 200);
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/google/oauth-clients",
                 std::string(R"({"client_id":")") + k_client + R"(","client_secret":"cs-1","refresh_token":")" +
                     k_refresh + R"(","email":"ops@example.com"})").status == 200);
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
    sheet: Partner Events
    auth:
)" + auth_yaml + R"(    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    date_order: MDY
    write_back:
      event_id_column: Pinned ID
      status_column: Sync status
      error_column: Sync error
)" + pinsync::test::SheetsWorld::k_mapping);
  }

  static std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  // Puts the spreadsheet: header plus `rows` (JSON arrays), shared as given.
  void put(const std::vector<std::string>& rows, const std::string& sharing = std::string(R"("shared_with":[")") +
                                                                             k_sa + R"(","ops@example.com"])") {
    std::string body = R"({"time_zone":"America/New_York",)" + sharing + R"(,"sheets":{"Partner Events":[)" + k_header;
    for (const auto& r : rows) body += "," + r;
    body += "]}}";
    const auto reply = http(sandbox.base_url(), "PUT", "/_sandbox/sheets/1AbCdEf", body);
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
  }

  // The cells of the sheet as the sandbox holds them now.
  Poco::JSON::Array::Ptr cells() {
    const auto reply = http(sandbox.base_url(), "GET", "/_sandbox/sheets/1AbCdEf");
    REQUIRE(reply.status == 200);
    return Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getObject("sheets")->getArray(
        "Partner Events");
  }
  std::string cell(unsigned row, unsigned column) {
    auto r = cells()->getArray(row);
    if (!r || column >= r->size()) return "";
    return r->get(column).toString();
  }

  ProcessResult pinsync(const std::string& command, const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::vector<std::pair<std::string, std::string>> all = {{"PINNED_EVENTS_API_KEY", "sandbox-key"},
                                                            {"GOOGLE_API_KEY", k_google_key},
                                                            {"GOOGLE_CLIENT_SECRET", "cs-1"},
                                                            {"GOOGLE_REFRESH_TOKEN", k_refresh}};
    all.insert(all.end(), env.begin(), env.end());
    auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", command, "--config", config.string()}, all);
    INFO("pinsync " << command << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
    for (const char* secret : {k_google_key, k_refresh, "cs-1", "sandbox-key"}) {
      CHECK_NOT_CONTAINS(r.out, secret);
      CHECK_NOT_CONTAINS(r.err, secret);
    }
    return r;
  }

  int requests(const std::string& method, const std::string& route) {
    return pinsync::test::sandbox_requests(sandbox.base_url(), method, route);
  }
  int pinned_writes() {
    return requests("POST", "/api/public/v1/events") + requests("PATCH", "/api/public/v1/events/{id}");
  }
  int sheet_writes() { return requests("POST", "/v4/spreadsheets/{id}/values:batchUpdate"); }

  Poco::JSON::Array::Ptr events() { return pinsync::test::sandbox_events(sandbox.base_url()); }

  SandboxProcess sandbox;
  TempDir dir;
  std::filesystem::path config;
};

}  // namespace

TEST_CASE("sheets: a service account syncs the sheet, dates typed either way agree, results are written back once") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12"), sheet_row("E-2", "TRUE", "Late Jazz", "6/12/2026", "9:00 PM"),
         sheet_row("E-3", "FALSE", "Not yet", "6/13/2026")});
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  auto events = s.events();
  REQUIRE(events->size() == 2);
  // Creates go out side by side, so event ids need not follow row order.
  auto titled = [&](const std::string& title) {
    for (unsigned i = 0; i < events->size(); ++i) {
      if (events->getObject(i)->getValue<std::string>("title") == title) return events->getObject(i);
    }
    FAIL("no event titled " << title);
    return events->getObject(0);
  };
  const auto rooftop = titled("Rooftop Jazz");
  CHECK(rooftop->getValue<std::string>("startAt") == "2026-06-12T20:00:00-04:00");
  CHECK(titled("Late Jazz")->getValue<std::string>("startAt") == "2026-06-12T21:00:00-04:00");
  CHECK(rooftop->getValue<std::string>("timezone") == "America/New_York");  // the sheet's own zone

  // Write-back: event id, status and (empty) error in the rows of E-1 and E-2 only.
  CHECK(s.cell(1, 9) == std::to_string(rooftop->getValue<int>("id")));
  CHECK(s.cell(1, 10) == "synced");
  CHECK(s.cell(2, 10) == "synced");
  CHECK(s.cell(3, 9).empty());
  CHECK(s.cell(1, 2) == "Rooftop Jazz");  // other columns untouched
  const int writes = s.sheet_writes();
  CHECK(writes == 1);

  // A second pass writes nothing, to Pinned Events or to the sheet, and reads the sheet once.
  const int reads_before = s.requests("GET", "/v4/spreadsheets/{id}/values:batchGet");
  CHECK(s.pinsync("sync").exit_code == 0);
  CHECK(s.pinned_writes() == 2);
  CHECK(s.sheet_writes() == writes);
  CHECK(s.requests("GET", "/v4/spreadsheets/{id}/values:batchGet") == reads_before + 1);
}

TEST_CASE("sheets: a row inserted above the others causes no Pinned Events write") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12"), sheet_row("E-2", "TRUE", "Late Jazz", "6/12/2026")});
  REQUIRE(s.pinsync("sync").exit_code == 0);
  const auto sheet = s.cells();
  // Keep what write-back put there, and insert an unapproved row at the top.
  std::vector<std::string> rows = {sheet_row("E-0", "FALSE", "Draft idea", "7/1/2026")};
  for (unsigned i = 1; i < sheet->size(); ++i) {
    std::string row = "[";
    auto cells = sheet->getArray(i);
    for (unsigned c = 0; c < cells->size(); ++c) {
      row += (c ? "," : "") + std::string("\"") + cells->get(c).toString() + "\"";
    }
    rows.push_back(row + "]");
  }
  s.put(rows);
  const int before = s.pinned_writes();
  CHECK(s.pinsync("sync").exit_code == 0);
  CHECK(s.pinned_writes() == before);
  CHECK(s.events()->size() == 2);
}

TEST_CASE("sheets: an API key reads a public sheet; a private one fails with the sharing hint, key never shown") {
  Sheets s("      api_key: ${GOOGLE_API_KEY}\n");
  // API keys cannot write: no write-back for this source.
  std::ofstream(s.config, std::ios::app);
  const std::string text = Sheets::read_text(s.config);
  const auto wb = text.find("    write_back:");
  const auto mapping = text.find("    mapping:");
  s.dir.write("pinsync.yaml", text.substr(0, wb) + text.substr(mapping));
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")}, R"("public":true)");
  CHECK(s.pinsync("sync").exit_code == 0);
  CHECK(s.events()->size() == 1);

  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")}, R"("public":false)");
  const auto denied = s.pinsync("sync");
  CHECK(denied.exit_code == 4);
  CHECK_CONTAINS((denied.out + denied.err), "403");
  CHECK_CONTAINS((denied.out + denied.err), "publish");
}

TEST_CASE("sheets: a sheet not shared with the service account says whom to share it with") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")}, R"("shared_with":[])");
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 4);
  CHECK_CONTAINS((r.out + r.err), std::string("share the sheet with ") + k_sa);
  CHECK(s.pinned_writes() == 0);
}

TEST_CASE("sheets: the OAuth refresh-token mode syncs too") {
  Sheets s("      oauth:\n        client_id: client-1.apps.googleusercontent.com\n"
           "        client_secret: ${GOOGLE_CLIENT_SECRET}\n        refresh_token: ${GOOGLE_REFRESH_TOKEN}\n"
           "        token_uri: ${SANDBOX}/token\n");
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")});
  CHECK(s.pinsync("sync", {{"SANDBOX", s.sandbox.base_url()}}).exit_code == 0);
  CHECK(s.events()->size() == 1);
}

TEST_CASE("sheets: a read-only share keeps syncing and says why write-back failed") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")},
        std::string(R"("shared_with":[{"email":")") + k_sa + R"(","role":"reader"}])");
  const auto r = s.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK(s.events()->size() == 1);
  CHECK_CONTAINS(r.out, "write-back failed");
  CHECK(s.cell(1, 10).empty());
}

TEST_CASE("sheets: the read quota's 429 stops the pass cleanly; the next pass completes with nothing lost") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")});
  REQUIRE(http(s.sandbox.base_url(), "POST", "/_sandbox/google/quota", R"({"read_requests_per_minute":1})").status == 200);
  const auto limited = s.pinsync("sync");
  CHECK(limited.exit_code == 1);
  CHECK_CONTAINS((limited.out + limited.err), "429");
  CHECK(s.pinned_writes() == 0);
  REQUIRE(http(s.sandbox.base_url(), "POST", "/_sandbox/google/quota", R"({"read_requests_per_minute":0})").status == 200);
  CHECK(s.pinsync("sync").exit_code == 0);
  CHECK(s.events()->size() == 1);
}

TEST_CASE("sheets: check reports a missing write-back column and what to do") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12")});
  const auto ok = s.pinsync("check");
  CHECK(ok.exit_code == 0);
  CHECK_CONTAINS(ok.out, "beta: read 1 rows, 1 approved, 0 invalid");

  // The header loses its "Sync error" column.
  std::string body = std::string(R"({"time_zone":"America/New_York","shared_with":[")") + k_sa +
                     R"("],"sheets":{"Partner Events":[["Event ID","Approved","Title","Date","Start","End","Category","City","Venue","Pinned ID","Sync status"],)" +
                     sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12") + "]}}";
  REQUIRE(http(s.sandbox.base_url(), "PUT", "/_sandbox/sheets/1AbCdEf", body).status == 200);
  const auto missing = s.pinsync("check");
  CHECK(missing.exit_code == 3);
  CHECK_CONTAINS(missing.out, "FAIL  beta: write_back column \"Sync error\" is not in the header");
}

TEST_CASE("sheets: plan and sync agree on every row, rows that sync will give an ID included") {
  Sheets s;
  s.put({sheet_row("E-1", "TRUE", "Rooftop Jazz", "2026-06-12"), sheet_row("", "TRUE", "No ID yet", "6/13/2026"),
         sheet_row("", "TRUE", "No ID either", "6/14/2026"), sheet_row("E-4", "TRUE", "Bad date", "2/30/2026"),
         sheet_row("", "FALSE", "Not approved", "6/15/2026")});
  const auto plan = s.pinsync("plan");
  CHECK_CONTAINS(plan.out, "3 to create, 0 to update, 0 unchanged, 1 invalid, 0 removed");
  CHECK_CONTAINS(plan.out, "(new ID 1)");
  CHECK_NOT_CONTAINS(plan.out, "has no Event ID");
  CHECK(s.pinned_writes() == 0);
  CHECK(s.sheet_writes() == 0);  // a plan writes no ID into the sheet
  const auto sync = s.pinsync("sync");
  CHECK_CONTAINS(sync.out, "3 created, 0 updated, 0 unchanged, 1 invalid, 0 removed");
  CHECK(s.events()->size() == 3);
}

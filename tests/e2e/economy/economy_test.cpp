// Request economy end to end, counted by the sandbox (/_sandbox/stats): one Sheets values
// read per pass (and, after a write-back, one read of the ID column checking that no row
// moved meanwhile), one Pinned write per changed row and none for unchanged rows, no
// write-back request when no cell changes, ceil(N/100) Airtable page reads for a full scan.
// (sheets_sync and airtable_sync cover a two-row no-change pass and N = 2,500; these use
// more rows, a partial last page and edits, and count every route, not only one.)
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/google_key.h"
#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

using pinsync::test::http;
using pinsync::test::ProcessResult;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;

namespace {

constexpr const char* k_sa = "economy-sa@economy-project.iam.gserviceaccount.com";
constexpr const char* k_sheet = "/_sandbox/sheets/1EconomySheet";
constexpr const char* k_token = "patEconomyE2e.0123456789abcdef0123456789";
constexpr const char* k_base = "appEconomy0000001";

const std::string k_mapping = R"(      classifications:
        column: Category
        map: {Jazz: music}
      city:
        column: City
        places:
          Valencia: {place_id: place-valencia, country_code: ES}
)";

// Counts of the sandbox's requests by route since it started.
struct Counter {
  explicit Counter(const SandboxProcess& s) : sandbox(s) {}
  int operator()(const std::string& method, const std::string& route, int status = -1) const {
    return pinsync::test::sandbox_requests(sandbox.base_url(), method, route, status);
  }
  int posts() const { return (*this)("POST", "/api/public/v1/events"); }
  int patches() const { return (*this)("PATCH", "/api/public/v1/events/{id}"); }
  int value_reads() const { return (*this)("GET", "/v4/spreadsheets/{id}/values:batchGet"); }
  int metadata_reads() const { return (*this)("GET", "/v4/spreadsheets/{id}"); }
  int sheet_writes() const { return (*this)("POST", "/v4/spreadsheets/{id}/values:batchUpdate"); }
  int id_column_reads() const { return (*this)("GET", "/v4/spreadsheets/{id}/values/{range}"); }
  int page_reads() const { return (*this)("GET", "/v0/{baseId}/{table}"); }
  int airtable_writes() const { return (*this)("PATCH", "/v0/{baseId}/{table}"); }
  const SandboxProcess& sandbox;
};

ProcessResult run_pinsync(const std::string& command, const std::filesystem::path& config) {
  auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", command, "--config", config.string()},
                       {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}});
  INFO("pinsync " << command << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  return r;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string sheet_row(int i, const std::string& title) {
  const std::string id = "E-" + std::to_string(i);
  const int day = 1 + i % 28;
  return R"([")" + id + R"(","TRUE",")" + title + R"(","2026-06-)" + (day < 10 ? "0" : "") + std::to_string(day) +
         R"(","8:00 PM","Jazz","Valencia"])";
}

// A sheet of N approved rows read by a service account with write-back.
struct SheetWorld {
  explicit SheetWorld(int rows) {
    pinsync::testing::google::write_key_file(dir, k_sa, sandbox.base_url() + "/token");
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/google/service-accounts", read_text(dir / "beta-sa.json"))
                .status == 200);
    std::string body = std::string(R"({"time_zone":"Europe/Madrid","shared_with":[")") + k_sa +
                       R"("],"sheets":{"Events":[["Event ID","Approved","Title","Date","Start","Category","City",)"
                       R"("Pinned ID","Sync status","Sync error"])";
    for (int i = 1; i <= rows; ++i) body += "," + sheet_row(i, "Show " + std::to_string(i));
    body += "]}}";
    const auto put = http(sandbox.base_url(), "PUT", k_sheet, body);
    REQUIRE_MESSAGE(put.status == 200, put.body);
    config = dir.write("pinsync.yaml", R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
google:
  sheets_base_url: )" + sandbox.base_url() + R"(
state:
  path: ./state.db
sources:
  - name: economy
    kind: google_sheets
    spreadsheet_id: 1EconomySheet
    sheet: Events
    auth:
      service_account_file: beta-sa.json
    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    write_back:
      event_id_column: Pinned ID
      status_column: Sync status
      error_column: Sync error
    mapping:
      title: Title
      start_date: Date
      start_time: Start
)" + k_mapping);
  }

  // Appends " (edited)" to the titles of `rows` (1-based data rows), keeping every other cell,
  // written-back ones included.
  void edit_titles(const std::vector<int>& rows) {
    const auto got = http(sandbox.base_url(), "GET", k_sheet);
    REQUIRE(got.status == 200);
    auto doc = Poco::JSON::Parser().parse(got.body).extract<Poco::JSON::Object::Ptr>();
    auto cells = doc->getObject("sheets")->getArray("Events");
    for (int r : rows) {
      auto row = cells->getArray(static_cast<unsigned>(r));
      row->set(2, row->getElement<std::string>(2) + " (edited)");
    }
    doc->remove("spreadsheetId");
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(doc, out);
    const auto put = http(sandbox.base_url(), "PUT", k_sheet, out.str());
    REQUIRE_MESSAGE(put.status == 200, put.body);
  }

  SandboxProcess sandbox;
  Counter count{sandbox};
  TempDir dir;
  std::filesystem::path config;
};

std::string airtable_record(int i) {
  const std::string n = std::to_string(i);
  return R"({"id":"rec)" + std::string(14 - n.size(), '0') + n + R"(","fields":{"Title":"Show )" + n +
         R"(","When":"2026-06-12T18:00:00.000Z","Category":["Jazz"],"City":"Valencia","Approved":true}})";
}

}  // namespace

TEST_CASE("economy: a sheet pass is one values read; k edited rows of N are exactly k PATCHes; no change, no write") {
  constexpr int n = 120;
  SheetWorld w(n);

  run_pinsync("sync", w.config);
  CHECK(w.count.posts() == n);
  CHECK(w.count.patches() == 0);
  CHECK(w.count.value_reads() == 1);
  CHECK(w.count.metadata_reads() == 1);  // a new process learns the sheet's titles and zone once
  CHECK(w.count.sheet_writes() == 1);    // every row's write-back in one batchUpdate
  CHECK(w.count.id_column_reads() == 1); // and one read of the ID column after it, for all rows

  // Nothing changed: one read, no write of any kind.
  run_pinsync("sync", w.config);
  CHECK(w.count.value_reads() == 2);
  CHECK(w.count.metadata_reads() == 2);
  CHECK(w.count.posts() == n);
  CHECK(w.count.patches() == 0);
  CHECK(w.count.sheet_writes() == 1);
  CHECK(w.count.id_column_reads() == 1);

  // k = 3 titles edited: exactly 3 PATCHes, no POST, and no write-back (ids and statuses stay).
  w.edit_titles({7, 50, n});
  const auto edited = run_pinsync("sync", w.config);
  CHECK_CONTAINS(edited.out, "3 updated");
  CHECK(w.count.patches() == 3);
  CHECK(w.count.posts() == n);
  CHECK(w.count.value_reads() == 3);
  CHECK(w.count.sheet_writes() == 1);
  CHECK(w.count.id_column_reads() == 1);
  CHECK(w.count("PATCH", "/api/public/v1/events/{id}", 200) == 3);
}

TEST_CASE("economy: an Airtable full scan of 250 records is exactly 3 page reads, whatever the pass does") {
  SandboxProcess sandbox{{"--airtable-token", std::string(k_token) + "=data.records:read,data.records:write"}};
  Counter count{sandbox};
  TempDir dir;
  std::string body = R"({"fields":{"Approved":"checkbox","When":"dateTime","Category":"multipleSelects"},"records":[)";
  for (int i = 1; i <= 250; ++i) body += (i > 1 ? "," : "") + airtable_record(i);
  const auto put = http(sandbox.base_url(), "PUT", std::string("/_sandbox/airtable/") + k_base + "/Events", body + "]}");
  REQUIRE_MESSAGE(put.status == 200, put.body);
  const auto config = dir.write("pinsync.yaml", R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
airtable:
  base_url: )" + sandbox.base_url() + R"(
state:
  path: ./state.db
sources:
  - name: economy
    kind: airtable
    base_id: )" + k_base + R"(
    table: Events
    token: ${AIRTABLE_TOKEN}
    approved:
      column: Approved
    channel_id: 42
    timezone: Europe/Madrid
    mapping:
      title: Title
      start: When
)" + k_mapping);

  // pinsync paces a base at 5 requests/s within one process; a new process cannot know what
  // the previous one sent in the last second, so each pass starts with fresh sandbox windows
  // (setting the rate clears them) instead of a wall-clock sleep.
  const auto fresh_rate_window = [&] {
    REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/airtable/settings", R"({"requests_per_second":5})").status ==
            200);
  };

  run_pinsync("plan", config);  // reads everything, sends nothing
  CHECK(count.page_reads() == 3);
  CHECK(count.posts() == 0);

  fresh_rate_window();
  run_pinsync("sync", config);
  CHECK(count.page_reads() == 6);
  CHECK(count.posts() == 250);

  fresh_rate_window();
  run_pinsync("sync", config);  // no change
  CHECK(count.page_reads() == 9);
  CHECK(count.posts() == 250);
  CHECK(count.patches() == 0);
  CHECK(count.airtable_writes() == 0);
  CHECK(count("GET", "/v0/{baseId}/{table}", 429) == 0);
}

// The Google Sheets connector end to end: real libcurl transport, real pinsync-sandbox on
// loopback, one sandbox for the binary with its Google state reset before each test.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "connectors/google_sheets.h"
#include "core/log.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/unit/connectors_google/google_test_util.h"

using pinsync::ErrorKind;
using pinsync::connectors::ConnectorContext;
using pinsync::connectors::GoogleSheetsConnector;
using pinsync::connectors::GoogleSheetsSettings;
using pinsync::connectors::IdAssignment;
using pinsync::connectors::RowResult;
using pinsync::test::http;
using pinsync::testing::TempDir;

namespace {

constexpr const char* k_sa = "beta-sa@beta-project.iam.gserviceaccount.com";
constexpr const char* k_api_key = "e2e-google-key-123";
constexpr const char* k_client = "client-1.apps.googleusercontent.com";
constexpr const char* k_user = "ops@example.com";

std::string fresh_sandbox() {
  static pinsync::test::SandboxProcess sandbox(
      {"--google-oauth-client", std::string(k_client) + ":secret-1:refresh-1:" + k_user});
  REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/google/reset").status == 200);
  return sandbox.base_url();
}

void put_sheet(const std::string& base, const std::string& id, const std::string& body) {
  auto r = http(base, "PUT", "/_sandbox/sheets/" + id, body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

std::string events_sheet(const std::string& sharing) {
  return R"({"sheets":{"Partner Events":[
      ["Event ID","Title","Date","Start","Approved","Price","Pinned ID","Sync status","Sync error"],
      ["E-1","Rooftop Jazz","2026-06-12","8:00 PM","TRUE","12.5"],
      [],
      ["E-2","Late Show","6/12/2026","20:00","FALSE"]
    ]},"time_zone":"Europe/Lisbon",)" + sharing + "}";
}

// A service account registered with the sandbox; its key file lives in `dir`.
std::filesystem::path register_sa(const std::string& base, const TempDir& dir) {
  const auto path = pinsync::testing::google::write_key_file(dir, k_sa, base + "/token");
  auto r = http(base, "POST", "/_sandbox/google/service-accounts", pinsync::testing::google::sample_file(path));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return path;
}

GoogleSheetsSettings settings_for(const std::string& base) {
  GoogleSheetsSettings s;
  s.sheets_base_url = base;
  s.spreadsheet_id = "1AbCdEf";
  s.sheet = "Partner Events";
  s.id_column = "Event ID";
  return s;
}

// Real transports on the wall clock: the sandbox checks JWT times against its own.
struct Context {
  Context() { world.timeout = std::chrono::seconds{10}; }
  ConnectorContext get() { return world.context("beta"); }
  pinsync::SystemClock clock;
  pinsync::testing::ConnectorWorld world{pinsync::testing::Wire::curl, clock};
  std::ostringstream& log_text = world.log_text;
};

std::string sandbox_sheet(const std::string& base) {
  auto r = http(base, "GET", "/_sandbox/sheets/1AbCdEf");
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace

TEST_CASE("e2e google: service account reads typed cells; both date spellings give the same serial") {
  const auto base = fresh_sandbox();
  TempDir dir;
  auto settings = settings_for(base);
  settings.auth.service_account_file = register_sa(base, dir);
  put_sheet(base, "1AbCdEf", events_sheet(R"("shared_with":["beta-sa@beta-project.iam.gserviceaccount.com"])"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->time_zone == "Europe/Lisbon");
  CHECK(table->columns.size() == 9);
  REQUIRE(table->rows.size() == 2);
  CHECK(table->rows[0].row_ref == "'Partner Events'!A2");
  CHECK(table->rows[1].row_ref == "'Partner Events'!A4");
  CHECK(table->rows[0].cells[2] == "46185");
  CHECK(table->rows[1].cells[2] == "46185");
  CHECK(table->rows[0].cells[3] == "0.8333333333333334");
  CHECK(table->rows[1].cells[3] == "0.8333333333333334");
  CHECK(table->rows[0].cells[4] == "TRUE");
  CHECK(table->rows[1].cells[4] == "FALSE");
  CHECK(table->rows[0].cells[5] == "12.5");
  CHECK(table->rows[1].cells[8].empty());
}

TEST_CASE("e2e google: write-back fills the three columns, a second pass writes nothing; IDs assigned") {
  const auto base = fresh_sandbox();
  TempDir dir;
  auto settings = settings_for(base);
  settings.auth.service_account_file = register_sa(base, dir);
  settings.write_back = {"Pinned ID", "Sync status", "Sync error"};
  put_sheet(base, "1AbCdEf", events_sheet(R"("shared_with":["beta-sa@beta-project.iam.gserviceaccount.com"])"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  REQUIRE(connector.fetch().has_value());
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""},
                                          {"E-2", "", "", "invalid", "Start: not a time"}};
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  CHECK(report->requests == 2);  // the batchUpdate, and the read of the ID column checking it
  CHECK(report->cells_written == 4);
  CHECK(report->skipped.empty());
  const std::string sheet = sandbox_sheet(base);
  CHECK_CONTAINS(sheet, "\"ev_1\"");
  CHECK_CONTAINS(sheet, "\"Start: not a time\"");

  REQUIRE(connector.fetch().has_value());
  auto again = connector.write_back(results);
  REQUIRE(again.has_value());
  CHECK(again->requests == 0);

  // A row without an ID gets one, written into the sheet.
  put_sheet(base, "1AbCdEf", R"({"sheets":{"Partner Events":[["Event ID","Title","Pinned ID","Sync status","Sync error"],
      ["","No ID yet"]]},"shared_with":["beta-sa@beta-project.iam.gserviceaccount.com"]})");
  auto table = connector.fetch();
  REQUIRE(table.has_value());
  const std::vector<IdAssignment> assignments = {{table->rows[0].row_ref, "P-42", table->rows[0].cells}};
  auto written = connector.assign_ids(assignments);
  REQUIRE_MESSAGE(written.has_value(), written.error().message);
  CHECK(written->size() == 1);
  CHECK_CONTAINS(sandbox_sheet(base), "\"P-42\"");
}

TEST_CASE("e2e google: an expired token is renewed once, transparently") {
  const auto base = fresh_sandbox();
  TempDir dir;
  auto settings = settings_for(base);
  settings.auth.service_account_file = register_sa(base, dir);
  put_sheet(base, "1AbCdEf", events_sheet(R"("shared_with":["beta-sa@beta-project.iam.gserviceaccount.com"])"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  REQUIRE(connector.fetch().has_value());
  auto expired = http(base, "POST", "/_sandbox/google/expire-tokens");
  REQUIRE(expired.status == 200);
  CHECK_CONTAINS(expired.body, "\"expired\":1");
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK_CONTAINS(ctx.log_text.str(), "status=401");
}

TEST_CASE("e2e google: a read-only share makes write-back fail with a clear message; reading still works") {
  const auto base = fresh_sandbox();
  TempDir dir;
  auto settings = settings_for(base);
  settings.auth.service_account_file = register_sa(base, dir);
  settings.write_back.status_column = "Sync status";
  put_sheet(base, "1AbCdEf",
            events_sheet(R"("shared_with":[{"email":"beta-sa@beta-project.iam.gserviceaccount.com","role":"reader"}])"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  REQUIRE(connector.fetch().has_value());
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == ErrorKind::auth);
  CHECK(report.error().message.starts_with("write-back failed: the service account can only read this sheet"));
  CHECK(connector.fetch().has_value());
}

TEST_CASE("e2e google: API key reads a public sheet; a private one fails with the sharing hint; key never shown") {
  const auto base = fresh_sandbox();
  REQUIRE(http(base, "POST", "/_sandbox/google/api-keys", std::string(R"({"key":")") + k_api_key + "\"}").status == 200);
  auto settings = settings_for(base);
  settings.auth.api_key = k_api_key;
  put_sheet(base, "1AbCdEf", events_sheet(R"("public":true)"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  REQUIRE(connector.fetch().has_value());

  put_sheet(base, "2Private", events_sheet(R"("public":false)"));
  settings.spreadsheet_id = "2Private";
  GoogleSheetsConnector private_sheet(settings, ctx.get());
  auto r = private_sheet.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(r.error().message, "the sheet is private: publish it");
  CHECK_NOT_CONTAINS(r.error().message, k_api_key);
  CHECK_NOT_CONTAINS(ctx.log_text.str(), k_api_key);
  CHECK_CONTAINS(ctx.log_text.str(), "key=***");
}

TEST_CASE("e2e google: the refresh-token flow reads a sheet shared with the authorising user") {
  const auto base = fresh_sandbox();
  auto settings = settings_for(base);
  settings.auth.oauth_client_id = k_client;
  settings.auth.oauth_client_secret = "secret-1";
  settings.auth.oauth_refresh_token = "refresh-1";
  settings.auth.oauth_token_uri = base + "/token";
  put_sheet(base, "1AbCdEf", events_sheet(std::string(R"("shared_with":[")") + k_user + "\"]"));
  Context ctx;
  GoogleSheetsConnector connector(settings, ctx.get());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->rows.size() == 2);

  settings.auth.oauth_refresh_token = "refresh-old-xyz";
  GoogleSheetsConnector revoked(settings, ctx.get());
  auto r = revoked.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(r.error().message, "the refresh token has expired or was revoked");
  CHECK_NOT_CONTAINS(ctx.log_text.str(), "secret-1");
}

TEST_CASE("e2e google: unknown spreadsheet, unknown sheet, and the read quota give actionable errors") {
  const auto base = fresh_sandbox();
  TempDir dir;
  auto settings = settings_for(base);
  settings.auth.service_account_file = register_sa(base, dir);
  put_sheet(base, "1AbCdEf", events_sheet(R"("shared_with":["beta-sa@beta-project.iam.gserviceaccount.com"])"));
  Context ctx;

  auto missing = settings;
  missing.spreadsheet_id = "nope";
  auto r = GoogleSheetsConnector(missing, ctx.get()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.starts_with("spreadsheet id nope not found"));

  auto wrong_sheet = settings;
  wrong_sheet.sheet = "Events";
  auto w = GoogleSheetsConnector(wrong_sheet, ctx.get()).fetch();
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().kind == ErrorKind::config);
  CHECK_CONTAINS(w.error().message, "its sheets are: 'Partner Events'");

  // Two reads a minute: metadata + one batchGet pass, then 429s; a fake clock skips the waits.
  REQUIRE(http(base, "POST", "/_sandbox/google/quota", R"({"read_requests_per_minute":2})").status == 200);
  // Wall time stays real: the sandbox checks the JWT iat against its own clock.
  pinsync::testing::FakeClock fake_clock(std::chrono::system_clock::now());
  pinsync::testing::ConnectorWorld fake_time(pinsync::testing::Wire::curl, fake_clock);
  GoogleSheetsConnector limited(settings, fake_time.context("beta"));
  auto first = limited.fetch();
  REQUIRE_MESSAGE(first.has_value(), first.error().message);
  auto q = limited.fetch();
  REQUIRE_FALSE(q.has_value());
  CHECK(q.error().kind == ErrorKind::rate_limited);
  CHECK(q.error().message.starts_with("Google answered 429 RESOURCE_EXHAUSTED after 5 attempts"));
  CHECK(fake_clock.slept() > std::chrono::milliseconds{0});
}

#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <algorithm>
#include <chrono>

#include "connectors/airtable.h"
#include "tests/e2e/airtable_connector/site.h"

using namespace pinsync::connectors;
using namespace pinsync::e2e;
using pinsync::ErrorKind;

namespace {

std::size_t column(const Table& t, const std::string& name) {
  auto it = std::find(t.columns.begin(), t.columns.end(), name);
  REQUIRE_MESSAGE(it != t.columns.end(), "no column " << name);
  return static_cast<std::size_t>(it - t.columns.begin());
}

void check_no_token(Site& site) {
  const std::string log = site.log_text.str();
  CHECK_NOT_CONTAINS(log, "patE2e");
  CHECK_CONTAINS(log, "airtable http");
}

}  // namespace

TEST_CASE("airtable e2e: 2,500 approved of 2,510 records in exactly 25 page reads and no 429") {
  Site site;
  site.put(records_body(2510, 10));
  auto s = site.settings();
  s.approved_formula = "{Approved}";
  s.fields = {"Name", "Approved", "Start"};
  AirtableConnector connector(s, site.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(t->rows.size() == 2500);
  CHECK(t->columns == s.fields);
  CHECK(t->rows.front().native_id == record_id(10));
  CHECK(t->rows.back().native_id == record_id(2509));
  CHECK(t->rows.front().cells == std::vector<std::string>{"Event 10", "true", "2026-06-12T18:00:00.000Z"});
  CHECK(site.count("GET", 200) == 25);
  CHECK(site.count("GET", 429) == 0);
  check_no_token(site);
}

TEST_CASE("airtable e2e: two sources on one base sharing the limiter never trigger a 429") {
  Site site;
  site.put(records_body(800));
  AirtableConnector a(site.settings(), site.context());
  AirtableConnector b(site.settings(), site.context());
  // Sequential here, interleaved in the daemon: the shared limiter spaces both the same way.
  for (int round = 0; round < 2; ++round) {
    REQUIRE(a.fetch().has_value());
    REQUIRE(b.fetch().has_value());
  }
  CHECK(site.count("GET", 200) == 32);
  CHECK(site.count("GET", 429) == 0);
}

TEST_CASE("airtable e2e: an incremental poll picks up an edit made in the cursor's own second") {
  Site site;
  site.set(R"({"now":"2026-06-12T18:00:00.000Z"})");
  site.put(records_body(3));
  site.set(R"({"now":"2026-06-12T18:10:00.000Z"})");
  std::string edited = records_body(3);
  const auto pos = edited.find("\"Event 1\"");
  REQUIRE(pos != std::string::npos);
  edited.replace(pos, 9, "\"Event 1 (moved)\"");
  site.put(edited);

  auto s = site.settings();
  s.approved_formula = "{Approved}";
  AirtableConnector connector(s, site.context());
  auto same_second = connector.fetch_modified_since("2026-06-12T18:10:00.000Z");
  REQUIRE_MESSAGE(same_second.has_value(), same_second.error().message);
  REQUIRE(same_second->table.rows.size() == 1);
  CHECK(same_second->table.rows[0].native_id == record_id(1));
  CHECK(same_second->table.rows[0].cells.at(column(same_second->table, "Name")) == "Event 1 (moved)");
  CHECK_FALSE(same_second->next_cursor.empty());

  auto later = connector.fetch_modified_since("2026-06-12T18:10:01.000Z");
  REQUIRE(later.has_value());
  CHECK(later->table.rows.empty());
  auto all = connector.fetch_modified_since("");
  REQUIRE(all.has_value());
  CHECK(all->table.rows.size() == 3);
}

TEST_CASE("airtable e2e: an expired offset restarts the scan instead of failing it") {
  Site site;
  site.put(records_body(250));
  site.set(R"({"reject_next_offsets":1})");
  AirtableConnector connector(site.settings(), site.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(t->rows.size() == 250);
  CHECK(site.count("GET", 422) == 1);
  CHECK(site.count("GET", 200) == 4);  // page 1, (page 2 rejected), pages 1, 2, 3
}

TEST_CASE("airtable e2e: a 429 window is waited out once, then the scan completes") {
  Site site({"--airtable-rate-limit-wait", "2"});
  site.put(records_body(1000));
  auto s = site.settings();
  s.requests_per_second = 100;  // deliberately over the base's limit to provoke one 429
  s.rate_limit_wait = std::chrono::seconds{2};
  AirtableConnector connector(s, site.context());
  const auto start = std::chrono::steady_clock::now();
  auto t = connector.fetch();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(t->rows.size() == 1000);
  CHECK(site.count("GET", 429) == 1);
  CHECK(site.count("GET", 200) == 10);
  CHECK(elapsed >= std::chrono::seconds{2});
  CHECK_CONTAINS(site.log_text.str(), "airtable rate limit reached");
  check_no_token(site);
}

TEST_CASE("airtable e2e: write-back fills the fields in batches of 10 and a second pass writes nothing") {
  Site site;
  site.put(records_body(25));
  auto s = site.settings();
  s.fields = {"Name", "Approved"};
  s.write_back.event_id_column = "Pinned ID";
  s.write_back.status_column = "Sync status";
  s.write_back.error_column = "Sync error";
  std::vector<RowResult> results;
  for (int i = 0; i < 25; ++i)
    results.push_back({record_id(i), record_id(i), i == 7 ? "" : "ev" + std::to_string(i), i == 7 ? "invalid" : "synced",
                       i == 7 ? "column \"Start\": \"June 32\" is not a date" : ""});
  {
    AirtableConnector connector(s, site.context());
    REQUIRE(connector.fetch().has_value());
    auto report = connector.write_back(results);
    REQUIRE_MESSAGE(report.has_value(), report.error().message);
    CHECK(report->requests == 3);
    CHECK(report->cells_written == 24 * 2 + 2);
    CHECK(site.count("PATCH", 200) == 3);
    auto again = connector.write_back(results);
    REQUIRE(again.has_value());
    CHECK(again->requests == 0);
  }
  const std::string table = site.table_json();
  CHECK_CONTAINS(table, "\"Pinned ID\":\"ev24\"");
  CHECK_CONTAINS(table, "is not a date");
  {
    // A fresh connector (the next pass) reads the values back and finds nothing to write.
    AirtableConnector next_pass(s, site.context());
    REQUIRE(next_pass.fetch().has_value());
    auto report = next_pass.write_back(results);
    REQUIRE(report.has_value());
    CHECK(report->requests == 0);
  }
  CHECK(site.count("PATCH", 200) == 3);
  check_no_token(site);
}

TEST_CASE("airtable e2e: wrong token, missing base access, missing write scope, bad formula, unknown table and view") {
  Site site;
  site.put(records_body(3));
  auto expect = [&](const AirtableSettings& s, ErrorKind kind, const std::string& fragment) {
    AirtableConnector connector(s, site.context());
    auto t = connector.fetch();
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == kind);
    CHECK_CONTAINS(t.error().message, fragment);
    CHECK(t.error().message.starts_with("airtable " + std::string(k_base) + "/"));
    CHECK_NOT_CONTAINS(t.error().message, "patE2e");
    CHECK_NOT_CONTAINS(t.error().message, "patWrong");
  };
  expect(site.settings("patWrongToken.000"), ErrorKind::auth, "token is missing or invalid");
  expect(site.settings(k_other_base_token), ErrorKind::auth, "cannot see base appE2eTest0000001");
  auto formula = site.settings();
  formula.approved_formula = "AND({Approved}";
  expect(formula, ErrorKind::config, "the formula \"AND({Approved}\" is wrong");
  auto table = site.settings();
  table.table = "Nope";
  expect(table, ErrorKind::auth, "or table \"Nope\"");
  auto view = site.settings();
  view.view = "Missing view";
  expect(view, ErrorKind::config, "no view \"Missing view\"");

  auto ro = site.settings(k_read_only_token);
  ro.write_back.status_column = "Sync status";
  AirtableConnector read_only(ro, site.context());
  REQUIRE(read_only.fetch().has_value());
  std::vector<RowResult> results = {{record_id(0), record_id(0), "ev0", "synced", ""}};
  auto w = read_only.write_back(results);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(w.error().message, "the token lacks data.records:write on base appE2eTest0000001");
  check_no_token(site);
}

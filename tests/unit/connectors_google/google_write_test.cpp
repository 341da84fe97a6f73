#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "core/counting_transport.h"
#include "tests/unit/connectors_google/google_test_util.h"

using namespace pinsync::testing::google;
using pinsync::ErrorKind;
using pinsync::connectors::GoogleSheetsConnector;
using pinsync::connectors::IdAssignment;
using pinsync::connectors::RowResult;
using pinsync::testing::TempDir;

namespace {

pinsync::connectors::GoogleSheetsSettings write_settings(const TempDir& dir) {
  auto s = base_settings();
  s.sheet = "Events";
  s.id_column = "Event ID";
  s.auth.service_account_file = write_key_file(dir, k_email, k_token_uri);
  s.write_back.event_id_column = "Pinned ID";
  s.write_back.status_column = "Sync status";
  s.write_back.error_column = "Sync error";
  return s;
}

struct Range {
  std::string range;
  std::vector<std::string> values;
};

// The data entries of a values:batchUpdate body, checking it is RAW.
std::vector<Range> batch_update_data(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  REQUIRE(parser.parse(body).get(root) == simdjson::SUCCESS);
  std::string_view option;
  REQUIRE(root["valueInputOption"].get(option) == simdjson::SUCCESS);
  CHECK(option == "RAW");
  std::vector<Range> out;
  simdjson::dom::array data;
  REQUIRE(root["data"].get(data) == simdjson::SUCCESS);
  for (auto item : data) {
    Range r;
    std::string_view text;
    REQUIRE(item["range"].get(text) == simdjson::SUCCESS);
    r.range = std::string(text);
    simdjson::dom::array rows;
    REQUIRE(item["values"].get(rows) == simdjson::SUCCESS);
    REQUIRE(rows.size() == 1);
    for (auto cell : rows.at(0).get_array()) {
      REQUIRE(cell.get(text) == simdjson::SUCCESS);
      r.values.emplace_back(text);
    }
    out.push_back(std::move(r));
  }
  return out;
}

const char* k_update_ok = R"({"spreadsheetId":"1AbCdEf","totalUpdatedCells":1})";

// The values.get answer of the ID column (A) of 'Events' after a write-back: `ids` from row 2 on.
std::string id_column(const std::string& ids) { return value_range("Events!A2:A1000", ids); }

}  // namespace

TEST_CASE("write-back: one batchUpdate with only changed cells, rows located by ID after they moved") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  // Someone inserted a row and sorted: E-2 is now in row 2, E-1 in row 4.
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Title","Pinned ID","Sync status","Sync error","Notes"],
    ["E-2","Late Show"],
    ["E-9","Inserted"],
    ["E-1","Rooftop Jazz","","","","keep me"],
    ["E-3","Talk","ev_3","synced"]
  ])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context());
  REQUIRE(connector.writes_back());
  REQUIRE(connector.fetch().has_value());

  // Row refs are from an older pass: they must not be used.
  const std::vector<RowResult> results = {
      {"E-1", "'Events'!A2", "ev_1", "invalid", "Date: \"June 32\" is not a date"},
      {"E-2", "'Events'!A3", "ev_2", "synced", ""},
      {"E-3", "'Events'!A4", "ev_3", "synced", ""},  // unchanged
      {"E-7", "'Events'!A9", "ev_7", "synced", ""},  // no longer in the sheet
  };
  h.fake->reply(200, k_update_ok);
  h.fake->reply(200, id_column(R"([["E-2"],["E-9"],["E-1"],["E-3"]])"));  // nothing moved meanwhile
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  CHECK(report->requests == 2);  // the write, and the read of the ID column that checks it
  CHECK(report->cells_written == 5);
  CHECK(report->skipped.empty());

  REQUIRE(h.requests().size() == 5);
  // The labels pinsync_api_requests_total counts them under (README).
  std::vector<std::string> labels;
  for (const auto& r : h.requests()) {
    const auto l = pinsync::http::route_label(r);
    labels.push_back(l.api + " " + l.route);
  }
  CHECK(labels == std::vector<std::string>{"google_oauth POST /token", "sheets GET /v4/spreadsheets/{id}",
                                           "sheets GET /v4/spreadsheets/{id}/values:batchGet",
                                           "sheets POST /v4/spreadsheets/{id}/values:batchUpdate",
                                           "sheets GET /v4/spreadsheets/{id}/values/{range}"});
  const auto& post = h.requests()[3];
  CHECK(post.method == "POST");
  CHECK(post.url == "http://127.0.0.1:8787/v4/spreadsheets/1AbCdEf/values:batchUpdate");
  CHECK(pinsync::testing::google::header(post, "Authorization") == "Bearer ya29.FAKE-1");
  const auto data = batch_update_data(post.body);
  REQUIRE(data.size() == 2);
  CHECK(data[0].range == "'Events'!C2:D2");
  CHECK(data[0].values == std::vector<std::string>{"ev_2", "synced"});
  CHECK(data[1].range == "'Events'!C4:E4");
  CHECK(data[1].values == std::vector<std::string>{"ev_1", "invalid", "Date: \"June 32\" is not a date"});
  // The check reads the ID column alone, from under the header down, as the fetch reads values.
  CHECK(h.requests()[4].url ==
        "http://127.0.0.1:8787/v4/spreadsheets/1AbCdEf/values/%27Events%27%21A2%3AA?valueRenderOption="
        "UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER&majorDimension=ROWS&prettyPrint=false");

  // A second pass with the same results writes nothing, and checks nothing.
  auto again = connector.write_back(results);
  REQUIRE(again.has_value());
  CHECK(again->requests == 0);
  CHECK(again->cells_written == 0);
  CHECK(h.requests().size() == 5);
}

TEST_CASE("write-back: separate cells in a row are separate small ranges; an ID seen twice is left alone") {
  Harness h;
  TempDir dir;
  auto settings = write_settings(dir);
  settings.write_back.status_column.clear();
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Pinned ID","Title","Sync error"],
    ["E-1"],
    ["E-2"],
    ["E-2"]
  ])")));
  GoogleSheetsConnector connector(settings, h.context());
  REQUIRE(connector.fetch().has_value());
  h.fake->reply(200, k_update_ok);
  h.fake->reply(200, id_column(R"([["E-1"],["E-2"],["E-2"]])"));
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "failed", "timeout"}, {"E-2", "", "ev_2", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  REQUIRE(h.requests().size() == 5);
  const auto data = batch_update_data(h.requests()[3].body);
  REQUIRE(data.size() == 2);
  CHECK(data[0].range == "'Events'!B2");
  CHECK(data[0].values == std::vector<std::string>{"ev_1"});
  CHECK(data[1].range == "'Events'!D2");
  CHECK(data[1].values == std::vector<std::string>{"timeout"});
}

TEST_CASE("write-back: missing write-back columns are a config error naming them, before any write") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([["Event ID","Title","Pinned ID"],["E-1","Jazz"]])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context());
  auto table = connector.fetch();
  REQUIRE(table.has_value());

  auto check = connector.check_write_back_columns(*table);
  REQUIRE_FALSE(check.has_value());
  CHECK(check.error().kind == ErrorKind::config);
  CHECK(check.error().message ==
        "columns \"Sync status\", \"Sync error\" missing from the header of 'Events': add them to the header "
        "row, or change write_back/id_column");

  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == ErrorKind::config);
  CHECK(h.requests().size() == 3);
}

TEST_CASE("write-back: a read-only share (403 on write) is an auth error with a clear fix") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000",
                                           R"([["Event ID","Pinned ID","Sync status","Sync error"],["E-1"]])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context());
  REQUIRE(connector.fetch().has_value());
  h.fake->reply(403, sample_item("sheets_errors_recorded.json", 0, "/body"));
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == ErrorKind::auth);
  CHECK(report.error().message ==
        "write-back failed: the service account can only read this sheet — share it with "
        "beta-sa@beta-project.iam.gserviceaccount.com as Editor, or remove write_back");
}

TEST_CASE("write-back: an API key cannot write; nothing is sent") {
  Harness h;
  auto settings = base_settings();
  settings.sheet = "Events";
  settings.auth.api_key = "AIzaSyFAKE-KEY-0123456789";
  settings.write_back.status_column = "Sync status";
  settings.id_column = "Event ID";
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([["Event ID","Sync status"],["E-1"]])")));
  GoogleSheetsConnector connector(settings, h.context());
  CHECK_FALSE(connector.assigns_ids());
  REQUIRE(connector.fetch().has_value());
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(report.error().message, "an API key can only read");
  CHECK(h.requests().size() == 2);
}

TEST_CASE("assign_ids: re-reads, writes IDs only into rows that still match, follows a moved row") {
  Harness h;
  TempDir dir;
  auto settings = write_settings(dir);
  settings.write_back = {};
  settings.write_back.event_id_column = "Pinned ID";
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Title","Date","Approved","Pinned ID"],
    ["","Jazz",46185,true],
    ["","Show",46186,true],
    ["","Talk",46187,true],
    ["E-9","Old",46100,true]
  ])")));
  GoogleSheetsConnector connector(settings, h.context());
  REQUIRE(connector.assigns_ids());
  auto table = connector.fetch();
  REQUIRE(table.has_value());

  const std::vector<IdAssignment> assignments = {
      {"'Events'!A2", "P-1", table->rows[0].cells},  // Jazz: moves down one row
      {"'Events'!A3", "P-2", table->rows[1].cells},  // Show: edited meanwhile
      {"'Events'!A4", "P-3", table->rows[2].cells},  // Talk: got an ID meanwhile
  };
  // The sheet right before writing: a row inserted at the top, Show edited, Talk given an ID.
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Title","Date","Approved","Pinned ID"],
    ["","New row",46190,false],
    ["","Jazz",46185,true],
    ["","Show, moved to 8 PM",46186,true],
    ["X-1","Talk",46187,true],
    ["E-9","Old",46100,true]
  ])")));
  h.fake->reply(200, k_update_ok);
  auto written = connector.assign_ids(assignments);
  REQUIRE_MESSAGE(written.has_value(), written.error().message);
  REQUIRE(written->size() == 1);
  CHECK((*written)[0].new_id == "P-1");
  CHECK((*written)[0].row_ref == "'Events'!A3");

  REQUIRE(h.requests().size() == 5);
  CHECK_CONTAINS(h.requests()[3].url, "values:batchGet");
  const auto data = batch_update_data(h.requests()[4].body);
  REQUIRE(data.size() == 1);
  CHECK(data[0].range == "'Events'!A3");
  CHECK(data[0].values == std::vector<std::string>{"P-1"});

  // Write-back after assignment finds the row by its new ID, in the re-read sheet.
  h.fake->reply(200, k_update_ok);
  h.fake->reply(200, id_column(R"([[""],["P-1"],[""],["X-1"],["E-9"]])"));
  const std::vector<RowResult> results = {{"P-1", "'Events'!A2", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  CHECK(batch_update_data(h.requests()[5].body)[0].range == "'Events'!E3");
}

TEST_CASE("assign_ids: identical rows are told apart by position, and ambiguity elsewhere is skipped") {
  Harness h;
  TempDir dir;
  auto settings = write_settings(dir);
  settings.write_back = {};
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  const char* values = R"([["Event ID","Title"],["","Same"],["","Same"]])";
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", values)));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE(table.has_value());
  const std::vector<IdAssignment> assignments = {{"'Events'!A2", "P-1", table->rows[0].cells},
                                                 {"'Events'!A3", "P-2", table->rows[1].cells},
                                                 {"'Events'!A9", "P-3", table->rows[1].cells}};
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", values)));
  h.fake->reply(200, k_update_ok);
  auto written = connector.assign_ids(assignments);
  REQUIRE_MESSAGE(written.has_value(), written.error().message);
  REQUIRE(written->size() == 2);
  const auto data = batch_update_data(h.requests().back().body);
  REQUIRE(data.size() == 2);
  CHECK(data[0].range == "'Events'!A2");
  CHECK(data[1].range == "'Events'!A3");
}

TEST_CASE("write-back: a row inserted before the write lands: each row's cells are written again where its ID is now") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Pinned ID","Sync status","Sync error"],
    ["E-1"],
    ["E-2","ev_2","failed","timeout"]
  ])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context("beta"));
  REQUIRE(connector.fetch().has_value());
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}, {"E-2", "", "ev_2", "synced", ""}};
  h.fake->reply(200, k_update_ok);
  // Between pinsync's read and its write a partner inserted a row under the header: the
  // write went to rows 2 and 3, which now hold the new row and E-1.
  h.fake->reply(200, id_column(R"([[""],["E-1"],["E-2"]])"));
  h.fake->reply(200, k_update_ok);
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  CHECK(report->requests == 3);
  CHECK(report->skipped.empty());
  REQUIRE(h.requests().size() == 6);
  const auto first = batch_update_data(h.requests()[3].body);
  REQUIRE(first.size() == 2);
  CHECK(first[0].range == "'Events'!B2:C2");
  CHECK(first[1].range == "'Events'!C3:D3");
  const auto again = batch_update_data(h.requests()[5].body);
  REQUIRE(again.size() == 3);
  // The new row gets back the empty cells it had; E-1 its own values, and the error cell
  // E-2's values overwrote; E-2, one row down, what it changed.
  CHECK(again[0].range == "'Events'!B2:C2");
  CHECK(again[0].values == std::vector<std::string>{"", ""});
  CHECK(again[1].range == "'Events'!B3:D3");
  CHECK(again[1].values == std::vector<std::string>{"ev_1", "synced", ""});
  CHECK(again[2].range == "'Events'!C4:D4");
  CHECK(again[2].values == std::vector<std::string>{"synced", ""});
  CHECK(report->cells_written == 4 + 7);
  CHECK_CONTAINS(h.log_text.str(), "rows moved while pinsync wrote back");

  // The next write-back finds them where they are now: nothing to write, nothing to check.
  auto next = connector.write_back(results);
  REQUIRE(next.has_value());
  CHECK(next->requests == 0);
  CHECK(h.requests().size() == 6);
}

TEST_CASE("write-back: an ID gone or in two rows after the write gets nothing written, and the report says why") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([
    ["Event ID","Pinned ID","Sync status","Sync error"],
    ["E-1"],
    ["E-2"],
    ["E-3"]
  ])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context());
  REQUIRE(connector.fetch().has_value());
  const std::vector<RowResult> results = {
      {"E-1", "", "ev_1", "synced", ""}, {"E-2", "", "ev_2", "synced", ""}, {"E-3", "", "ev_3", "synced", ""}};
  h.fake->reply(200, k_update_ok);
  // Meanwhile E-1's row was deleted (all rows moved up) and E-2's row copied to the end.
  h.fake->reply(200, id_column(R"([["E-2"],["E-3"],["E-2"]])"));
  h.fake->reply(200, k_update_ok);
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  REQUIRE(report->skipped.size() == 2);
  CHECK(report->skipped[0] ==
        "ID \"E-1\" ('Events'!A2 when read): no row of 'Events' holds this ID any more — the row was deleted or "
        "its ID changed while pinsync wrote back; its results were not written");
  CHECK(report->skipped[1] ==
        "ID \"E-2\" ('Events'!A3 when read): the ID is now in rows 2 and 4 of 'Events', so its results were not "
        "written: give each row its own ID");
  const auto again = batch_update_data(h.requests().back().body);
  REQUIRE(again.size() == 3);
  // Rows 2 and 4 (E-2 twice) get back empty cells; E-3 its own values in row 3.
  CHECK(again[0].range == "'Events'!B2:C2");
  CHECK(again[0].values == std::vector<std::string>{"", ""});
  CHECK(again[1].range == "'Events'!B3:C3");
  CHECK(again[1].values == std::vector<std::string>{"ev_3", "synced"});
  CHECK(again[2].range == "'Events'!B4:C4");
  CHECK(again[2].values == std::vector<std::string>{"", ""});
}

TEST_CASE("write-back: when the check after the write fails, the write stands and the error says the next pass checks") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Events"}));
  h.fake->reply(200, batch_get(value_range("Events!A1:Z1000", R"([["Event ID","Pinned ID","Sync status","Sync error"],["E-1"]])")));
  GoogleSheetsConnector connector(write_settings(dir), h.context());
  REQUIRE(connector.fetch().has_value());
  h.fake->reply(200, k_update_ok);
  h.fake->reply(404, google_error(404, "NOT_FOUND", "Requested entity was not found."));
  const std::vector<RowResult> results = {{"E-1", "", "ev_1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK_CONTAINS(report.error().message, "wrote 2 cells back, but could not check that their rows had not moved");
}

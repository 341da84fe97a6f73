#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <map>
#include <optional>
#include <string>

#include "tests/unit/connectors_google/google_test_util.h"

using namespace pinsync::testing::google;
using pinsync::ErrorKind;
using pinsync::connectors::GoogleSheetsConnector;

namespace {

// A source's memory in a map, as the agent's state store keeps it; `writable` false is a
// dry run's.
struct MapMemory final : pinsync::connectors::SourceMemory {
  pinsync::Result<std::optional<std::string>> recall(std::string_view key) override {
    const auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  pinsync::Result<void> remember(std::string_view key, std::string_view value) override {
    if (writable) values[std::string(key)] = std::string(value);
    return {};
  }
  std::map<std::string, std::string> values;
  bool writable = true;
};

// spreadsheets.get with tabs Events (sheetId 0) and Archive (sheetId 7), `events_hidden` or not.
std::string two_tabs(bool events_hidden, const std::string& events_title = "Events") {
  return R"({"properties":{"timeZone":"Etc/GMT"},"sheets":[{"properties":{"sheetId":0,"title":")" + events_title +
         R"(","index":0)" + (events_hidden ? R"(,"hidden":true)" : "") +
         R"(}},{"properties":{"sheetId":7,"title":"Archive","index":1}}]})";
}

const char* k_events_values = R"([
  [" Event ID ", "Title ", "Date", "Start", "Approved", "Price"],
  [],
  ["E-1", "Rooftop Jazz", 46185, 0.8333333333333334, true, 12.5],
  ["E-2", "Late Show", 46186.8333333333],
  ["", "", ""],
  ["E-3", "", 46187, "", false]
])";

}  // namespace

TEST_CASE("read: values become a table with trimmed headers, padded rows, real row refs, typed cells") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events", "Archive"}, "Europe/Paris"));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);

  CHECK(table->columns == std::vector<std::string>{"Event ID", "Title", "Date", "Start", "Approved", "Price"});
  CHECK(table->time_zone == "Europe/Paris");
  REQUIRE(table->rows.size() == 3);
  CHECK(table->rows[0].row_ref == "'Partner Events'!A3");
  CHECK(table->rows[0].cells ==
        std::vector<std::string>{"E-1", "Rooftop Jazz", "46185", "0.8333333333333334", "TRUE", "12.5"});
  CHECK(table->rows[1].row_ref == "'Partner Events'!A4");
  CHECK(table->rows[1].cells == std::vector<std::string>{"E-2", "Late Show", "46186.8333333333", "", "", ""});
  CHECK(table->rows[2].row_ref == "'Partner Events'!A6");
  CHECK(table->rows[2].cells == std::vector<std::string>{"E-3", "", "46187", "", "FALSE", ""});
}

TEST_CASE("read: one batchGet with UNFORMATTED_VALUE + SERIAL_NUMBER, metadata fetched once") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  GoogleSheetsConnector connector(key_settings(), h.context());
  REQUIRE(connector.fetch().has_value());
  REQUIRE(connector.fetch().has_value());

  REQUIRE(h.requests().size() == 3);
  const auto& meta = h.requests()[0];
  CHECK(meta.method == "GET");
  CHECK(meta.url.starts_with("http://127.0.0.1:8787/v4/spreadsheets/1AbCdEf?fields="));
  const auto& read = h.requests()[1];
  CHECK(read.url.starts_with("http://127.0.0.1:8787/v4/spreadsheets/1AbCdEf/values:batchGet?ranges=%27Partner%20Events%27&"));
  CHECK_CONTAINS(read.url, "valueRenderOption=UNFORMATTED_VALUE");
  CHECK_CONTAINS(read.url, "dateTimeRenderOption=SERIAL_NUMBER");
  CHECK_CONTAINS(read.url, "majorDimension=ROWS");
  CHECK_CONTAINS(read.url, "prettyPrint=false");  // half the bytes of a large read
  CHECK(h.requests()[2].url == read.url);
}

TEST_CASE("read: a configured range is sent as given and row refs start where Google says it starts") {
  Harness h;
  auto settings = key_settings();
  settings.sheet.clear();
  settings.range = "'Partner Events'!B5:D";
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!B5:D1000",
                                           R"([["Title","Date","Approved"],["Jazz",46185,true]])")));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK_CONTAINS(h.requests()[1].url, "ranges=%27Partner%20Events%27%21B5%3AD&");
  REQUIRE(table->rows.size() == 1);
  CHECK(table->rows[0].row_ref == "'Partner Events'!B6");
}

TEST_CASE("read: the recorded UNFORMATTED_VALUE/SERIAL_NUMBER sample keeps numbers exact") {
  Harness h;
  auto settings = key_settings();
  settings.sheet = "Sheet1";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  // Interaction 3 of the sample: [[2,43831,"string",53],[1.5,0.12,36162]].
  h.fake->reply(200, batch_get(sample_item("sheets_values_render_options_exchanges.json", 2, "/response_body")));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->time_zone == "Etc/GMT");
  CHECK(table->columns == std::vector<std::string>{"2", "43831", "string", "53"});
  REQUIRE(table->rows.size() == 1);
  CHECK(table->rows[0].cells == std::vector<std::string>{"1.5", "0.12", "36162", ""});
  CHECK(table->rows[0].row_ref == "'Sheet1'!A2");
}

TEST_CASE("read: the recorded batchGet sample with only a header gives no rows") {
  Harness h;
  auto settings = key_settings();
  settings.sheet = "Sheet1";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  h.fake->reply(200, sample("sheets_values_batchGet_response.json"));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->columns == std::vector<std::string>{"A1", "B1"});
  CHECK(table->rows.empty());
}

TEST_CASE("read: an empty range (no values key, recorded) says the sheet has no header row") {
  Harness h;
  auto settings = key_settings();
  settings.sheet = "Sheet1";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  h.fake->reply(200, batch_get(sample_item("sheets_values_render_options_exchanges.json", 0, "/response_body")));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_FALSE(table.has_value());
  CHECK(table.error().kind == ErrorKind::invalid);
  CHECK(table.error().message.starts_with("'Sheet1' has no header row"));
}

TEST_CASE("read: leading empty rows are skipped; the header is the first row with data") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", R"([[],[""],["ID","Title"],["E-1","Jazz"]])")));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->columns == std::vector<std::string>{"ID", "Title"});
  REQUIRE(table->rows.size() == 1);
  CHECK(table->rows[0].row_ref == "'Partner Events'!A4");
}

TEST_CASE("read: duplicate header names are an error naming the name and both columns") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", R"([["ID","Title"," Title "],["E-1","a","b"]])")));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto table = connector.fetch();
  REQUIRE_FALSE(table.has_value());
  CHECK(table.error().kind == ErrorKind::invalid);
  CHECK(table.error().message ==
        "'Partner Events'!C1: column \"Title\" appears twice in the header (columns B and C): rename one of them");
}

TEST_CASE("read: data under a blank header name (recorded ragged sample) is an error naming the column") {
  Harness h;
  auto settings = key_settings();
  settings.sheet = "Sheet1";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  // Header ["A1","B1","","D1"]; row 2 has 1.45 in the unnamed column C.
  h.fake->reply(200, batch_get(sample("sheets_values_get_blanks_and_empty_row.json")));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_FALSE(table.has_value());
  CHECK(table.error().kind == ErrorKind::invalid);
  CHECK_CONTAINS(table.error().message, "column C (first at 'Sheet1'!C2)");
  CHECK_CONTAINS(table.error().message, "no header name");
}

TEST_CASE("read: a blank header column without data is kept as an unnamed column") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", R"([["ID","","Title"],["E-1","","Jazz"],["E-2"]])")));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->columns == std::vector<std::string>{"ID", "", "Title"});
  CHECK(table->rows[1].cells == std::vector<std::string>{"E-2", "", ""});
}

TEST_CASE("read: without sheet or range the first visible sheet is read") {
  Harness h;
  auto settings = key_settings();
  settings.sheet.clear();
  h.fake->reply(200, R"({"properties":{"timeZone":"Etc/GMT"},"sheets":[
    {"properties":{"title":"Hidden","index":0,"hidden":true}},{"properties":{"title":"Visible","index":1}}]})");
  h.fake->reply(200, batch_get(value_range("Visible!A1:Z1000", R"([["ID"],["E-1"]])")));
  GoogleSheetsConnector connector(settings, h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK_CONTAINS(h.requests()[1].url, "ranges=%27Visible%27&");
  CHECK(table->rows[0].row_ref == "'Visible'!A2");
}

// Regression: the lines said source="" (the source's name never reached the connector).
TEST_CASE("read: one debug line per HTTP call, naming the source, with the API key redacted") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  GoogleSheetsConnector connector(key_settings(), h.context("beta"));
  REQUIRE(connector.fetch().has_value());
  // The key goes to Google in the query string...
  CHECK_CONTAINS(h.requests()[1].url, "key=AIzaSyFAKE-KEY-0123456789");
  CHECK(pinsync::testing::google::header(h.requests()[1], "Authorization").empty());
  // ...and never into the log.
  const std::string log = h.log_text.str();
  CHECK_NOT_CONTAINS(log, "AIzaSyFAKE-KEY-0123456789");
  CHECK_CONTAINS(log, "key=***");
  std::size_t lines = 0;
  for (std::size_t p = log.find("google http"); p != std::string::npos; p = log.find("google http", p + 1)) ++lines;
  CHECK(lines == 2);
  std::size_t named = 0;
  for (std::size_t p = log.find("google http source=beta "); p != std::string::npos;
       p = log.find("google http source=beta ", p + 1)) {
    ++named;
  }
  CHECK(named == 2);
  CHECK_CONTAINS(log, "method=GET");
  CHECK_CONTAINS(log, "status=200");
  CHECK_CONTAINS(log, " duration_ms=");
}

TEST_CASE("read: a range without a sheet name keeps to the tab it read; another first visible tab stops the read") {
  MapMemory memory;
  auto settings = key_settings();
  settings.sheet.clear();
  settings.range = "A1:L";
  {
    Harness h;
    auto context = h.context();
    context.memory = &memory;
    h.fake->reply(200, two_tabs(false));
    h.fake->reply(200, batch_get(value_range("Events!A1:L1000", R"([["ID"],["E-1"]])")));
    GoogleSheetsConnector connector(settings, context);
    REQUIRE(connector.fetch().has_value());
    CHECK_CONTAINS(h.requests()[0].url, "sheetId");
    CHECK(memory.values["google_sheets.tab"] == "1AbCdEf\t0\tEvents");
  }
  {
    // Another process, after a partner hid Events: the first visible tab is Archive now.
    Harness h;
    auto context = h.context();
    context.memory = &memory;
    h.fake->reply(200, two_tabs(true));
    GoogleSheetsConnector connector(settings, context);
    auto table = connector.fetch();
    REQUIRE_FALSE(table.has_value());
    CHECK(table.error().kind == ErrorKind::config);
    CHECK(table.error().message ==
          "range A1:L names no sheet, so it is read from the first visible tab of the spreadsheet, which is now "
          "'Archive' — but this source has read 'Events' until now, and 'Events' is hidden now. Nothing was read "
          "or written. To go on with 'Events', set sheet: Events (or range: 'Events'!A1:L); to read 'Archive' "
          "from now on, set sheet: Archive");
    CHECK(h.requests().size() == 1);  // the metadata only: no values read
    CHECK(memory.values["google_sheets.tab"] == "1AbCdEf\t0\tEvents");
    // The metadata is read again next time: an unhidden tab is seen.
    h.fake->reply(200, two_tabs(false));
    h.fake->reply(200, batch_get(value_range("Events!A1:L1000", R"([["ID"],["E-1"]])")));
    REQUIRE(connector.fetch().has_value());
  }
  {
    // Renamed, still first: the same tab (its sheetId), read under its new name.
    Harness h;
    auto context = h.context();
    context.memory = &memory;
    h.fake->reply(200, two_tabs(false, "Events 2026"));
    h.fake->reply(200, batch_get(value_range("'Events 2026'!A1:L1000", R"([["ID"],["E-1"]])")));
    GoogleSheetsConnector connector(settings, context);
    REQUIRE(connector.fetch().has_value());
    CHECK(memory.values["google_sheets.tab"] == "1AbCdEf\t0\tEvents 2026");
  }
  {
    // The operator names the tab: whatever it is, it is read, and remembered.
    Harness h;
    auto context = h.context();
    context.memory = &memory;
    auto named = settings;
    named.sheet = "Archive";
    named.range.clear();
    h.fake->reply(200, two_tabs(true, "Events 2026"));
    h.fake->reply(200, batch_get(value_range("Archive!A1:Z1000", R"([["ID"],["A-1"]])")));
    GoogleSheetsConnector connector(named, context);
    REQUIRE(connector.fetch().has_value());
    CHECK(memory.values["google_sheets.tab"] == "1AbCdEf\t7\tArchive");
  }
}

TEST_CASE("read: a tab deleted or moved behind another is named as such; without memory nothing is checked") {
  MapMemory memory;
  auto settings = key_settings();
  settings.sheet.clear();
  // Reads `memory` as it is now, in a new connector (a new process).
  const auto fetch_with = [&](const std::string& remembered, const std::vector<std::string>& replies) {
    memory.values["google_sheets.tab"] = remembered;
    Harness h;
    auto context = h.context();
    context.memory = &memory;
    for (const auto& body : replies) h.fake->reply(200, body);
    GoogleSheetsConnector connector(settings, context);
    return connector.fetch();
  };
  auto deleted = fetch_with("1AbCdEf\t3\tOld Events", {two_tabs(false)});
  REQUIRE_FALSE(deleted.has_value());
  CHECK_CONTAINS(deleted.error().message, "neither sheet nor range names a tab, so it is read from the first visible "
                                          "tab of the spreadsheet, which is now 'Events'");
  CHECK_CONTAINS(deleted.error().message, "'Old Events' is no longer in the spreadsheet");
  CHECK_CONTAINS(deleted.error().message, "set sheet: Old Events (or range: 'Old Events')");

  // A tab still there but no longer first: Archive was read, Events was moved before it.
  auto moved = fetch_with("1AbCdEf\t7\tArchive", {two_tabs(false)});
  REQUIRE_FALSE(moved.has_value());
  CHECK_CONTAINS(moved.error().message, "'Archive' is no longer the first visible tab");

  // What was kept for another spreadsheet does not count: this one's tab is kept instead.
  const std::string events = batch_get(value_range("Events!A1:Z1000", R"([["ID"],["E-1"]])"));
  CHECK(fetch_with("1OtherSheet\t7\tArchive", {two_tabs(false), events}).has_value());
  CHECK(memory.values["google_sheets.tab"] == "1AbCdEf\t0\tEvents");

  // A memory that may not write (a dry run) checks but keeps nothing new.
  memory.writable = false;
  memory.values.clear();
  Harness dry;
  auto context = dry.context();
  context.memory = &memory;
  dry.fake->reply(200, two_tabs(false));
  dry.fake->reply(200, events);
  GoogleSheetsConnector planning(settings, context);
  CHECK(planning.fetch().has_value());
  CHECK(memory.values.empty());

  // Without a memory (pinsync check) there is nothing to compare with.
  Harness bare;
  bare.fake->reply(200, two_tabs(true));
  bare.fake->reply(200, batch_get(value_range("Archive!A1:Z1000", R"([["ID"],["A-1"]])")));
  GoogleSheetsConnector unchecked(settings, bare.context());
  CHECK(unchecked.fetch().has_value());
}

TEST_CASE("change gate: Drive's version decides whether the values are read; unchanged reads nothing of Sheets") {
  Harness h;
  auto settings = key_settings();
  settings.change_gate = true;
  settings.drive_base_url = "http://127.0.0.1:8788";
  GoogleSheetsConnector connector(settings, h.context());
  CHECK(connector.reads_changes());
  auto drive = [](const std::string& version) { return R"({"version":")" + version + R"("})"; };

  // No complete read yet: the version first, then the whole sheet.
  h.fake->reply(200, drive("5"));
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  auto first = connector.fetch_changes();
  REQUIRE_MESSAGE(first.has_value(), first.error().message);
  CHECK(first->complete);
  CHECK(first->rows.size() == 3);
  REQUIRE(h.fake->requests.size() == 3);
  CHECK(h.fake->requests[0].url.starts_with("http://127.0.0.1:8788/drive/v3/files/1AbCdEf?fields=version"));
  CHECK(h.fake->requests[0].api == "drive");

  // The same version: the header and no row, marked incomplete (nothing changed, nothing gone).
  h.fake->reply(200, drive("5"));
  auto same = connector.fetch_changes();
  REQUIRE_MESSAGE(same.has_value(), same.error().message);
  CHECK_FALSE(same->complete);
  CHECK(same->rows.empty());
  CHECK(same->columns == first->columns);
  CHECK(h.fake->requests.size() == 4);  // Drive only

  // A new version: the values are read, once, and the new version is the one to compare to.
  h.fake->reply(200, drive("6"));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_events_values)));
  auto moved = connector.fetch_changes();
  REQUIRE_MESSAGE(moved.has_value(), moved.error().message);
  CHECK(moved->complete);
  CHECK(h.fake->requests.size() == 6);
  h.fake->reply(200, drive("6"));
  auto again = connector.fetch_changes();
  REQUIRE(again.has_value());
  CHECK_FALSE(again->complete);
  CHECK(h.fake->requests.size() == 7);
}

TEST_CASE("change gate: a Drive refusal names the scope and how to turn the gate off; the key never shows") {
  Harness h;
  auto settings = key_settings();
  settings.change_gate = true;
  GoogleSheetsConnector connector(settings, h.context());
  h.fake->reply(403, google_error(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."));
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == pinsync::ErrorKind::auth);
  CHECK_CONTAINS(r.error().message, "drive.metadata.readonly");
  CHECK_CONTAINS(r.error().message, "change_gate: false");
  CHECK_NOT_CONTAINS(r.error().message, k_api_key);
}

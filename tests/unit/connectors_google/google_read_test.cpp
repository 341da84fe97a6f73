#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "tests/unit/connectors_google/google_test_util.h"

using namespace pinsync::testing::google;
using pinsync::ErrorKind;
using pinsync::connectors::GoogleSheetsConnector;

namespace {

// An API-key source: the simplest auth, so these tests are about reading.
pinsync::connectors::GoogleSheetsSettings key_settings() {
  auto s = base_settings();
  s.auth.api_key = "AIzaSyFAKE-KEY-0123456789";
  return s;
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
  CHECK_CONTAINS(log, "ms=");
}

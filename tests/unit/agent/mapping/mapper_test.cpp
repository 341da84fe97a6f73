#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "agent/mapping/mapper.h"
#include "core/hash.h"

using namespace pinsync::agent;
using pinsync::connectors::Row;
using pinsync::connectors::Table;

namespace {

const std::vector<std::string> k_columns = {"Event ID", "Approved", "Title", "Date", "Start", "End",
                                            "Category", "City", "Venue", "Notes", "Tickets", "Internal"};

SourceConfig make_source() {
  SourceConfig s;
  s.name = "acme";
  s.settings = pinsync::connectors::CsvSettings{};
  s.id_column = "Event ID";
  s.approved.column = "Approved";
  s.approved.values = {"yes", "y", "true", "x", "approved", "1"};
  s.channel_id = 42;
  s.timezone = "America/New_York";
  s.date_order = DateOrder::MDY;
  Mapping& m = s.mapping;
  m.title = "Title";
  m.start_date = "Date";
  m.start_time = "Start";
  m.end_time = "End";
  m.classifications.column = "Category";
  m.classifications.map = {{"Live Music", "music"}};
  m.city.column = "City";
  m.city.places = {{"New York", Place{"ChIJOwg_06VPwokRYv534QaPC8g", "US"}},
                   {"Madrid", Place{"ChIJgTwKgJcpQg0RaSKMYcHeNsQ", "ES"}}};
  m.location_name = "Venue";
  m.description = "Notes";
  m.ticket_url = "Tickets";
  return s;
}

std::vector<std::string> good_cells() {
  return {"E-1", "yes", " Jazz Night ", "6/12/2026", "8:00 PM", "11:00 PM", "Live Music, Jazz",
          "new york", "Blue Note", "Bring friends\nand family", "https://tix.example/e1", "ignore me"};
}

Table table_of(std::vector<std::vector<std::string>> rows, std::vector<std::string> columns = k_columns) {
  Table t;
  t.columns = std::move(columns);
  int line = 2;
  for (auto& cells : rows) t.rows.push_back(Row{"partner.csv:" + std::to_string(line++), "", std::move(cells)});
  return t;
}

std::size_t col(std::string_view name) {
  return static_cast<std::size_t>(std::find(k_columns.begin(), k_columns.end(), name) - k_columns.begin());
}

// Maps one row made from good_cells() with `edits` applied.
MappedRow map_one(std::vector<std::pair<std::string, std::string>> edits = {}, SourceConfig source = make_source(),
                  const KnownSlugs& known = std::nullopt) {
  auto cells = good_cells();
  for (auto& [name, value] : edits) cells[col(name)] = value;
  auto result = map_table(source, table_of({cells}), known);
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  REQUIRE(result->size() == 1);
  return (*result)[0];
}

// The one error of a row that must have exactly one.
RowError only_error(const MappedRow& row) {
  REQUIRE_MESSAGE(row.errors.size() == 1, (row.errors.empty() ? std::string("no errors") : row.errors[0].reason));
  CHECK(row.payload.empty());
  return row.errors[0];
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

constexpr std::string_view k_expected_payload =
    R"({"approxLocation":{"city":{"countryCode":"US","name":"New York","placeId":"ChIJOwg_06VPwokRYv534QaPC8g"}},)"
    R"("channelId":42,"classifications":["music","jazz"],"description":"Bring friends\nand family",)"
    R"("endAt":"2026-06-12T23:00:00-04:00","locationName":"Blue Note",)"
    R"("offers":[{"availability":"available","name":"Tickets","url":"https://tix.example/e1"}],)"
    R"("startAt":"2026-06-12T20:00:00-04:00","status":"draft","timezone":"America/New_York","title":"Jazz Night"})";

}  // namespace

TEST_CASE("mapper: a full valid row becomes the exact canonical create body") {
  const MappedRow row = map_one();
  CHECK(row.errors.empty());
  CHECK(row.approved);
  CHECK(row.source_id == "E-1");
  CHECK(row.row_ref == "partner.csv:2");
  CHECK(row.payload == k_expected_payload);
  CHECK(row.payload_hash == pinsync::sha256_hex(k_expected_payload));
  CHECK(row.payload_hash.size() == 64);
}

TEST_CASE("mapper: optional fields are left out when their cells are empty") {
  const MappedRow row = map_one({{"End", ""}, {"Venue", " "}, {"Notes", ""}, {"Tickets", ""}});
  REQUIRE(row.errors.empty());
  CHECK(row.payload ==
        R"({"approxLocation":{"city":{"countryCode":"US","name":"New York","placeId":"ChIJOwg_06VPwokRYv534QaPC8g"}},)"
        R"("channelId":42,"classifications":["music","jazz"],"startAt":"2026-06-12T20:00:00-04:00",)"
        R"("status":"draft","timezone":"America/New_York","title":"Jazz Night"})");
}

TEST_CASE("mapper: unapproved rows are returned unmapped and without errors") {
  const MappedRow row = map_one({{"Approved", "no"}, {"Title", "#REF!"}});
  CHECK_FALSE(row.approved);
  CHECK(row.errors.empty());
  CHECK(row.payload.empty());
  CHECK(row.source_id == "E-1");
  CHECK(map_one({{"Approved", " YES "}}).approved);
  CHECK(map_one({{"Approved", "x"}}).approved);
  CHECK_FALSE(map_one({{"Approved", ""}}).approved);
}

TEST_CASE("mapper: a mapped column missing from the header stops the source with one config error") {
  auto source = make_source();
  source.mapping.start_time = "Doors";
  source.mapping.location_name = "Place";
  auto result = map_table(source, table_of({good_cells()}), std::nullopt);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == pinsync::ErrorKind::config);
  const std::string& msg = result.error().message;
  CHECK(msg.starts_with("acme: "));
  CHECK(contains(msg, "\"Doors\" (mapping.start_time)"));
  CHECK(contains(msg, "\"Place\" (mapping.location_name)"));
  CHECK(contains(msg, "\"Event ID\", \"Approved\", \"Title\""));

  auto no_id = make_source();
  no_id.id_column = "ID";
  CHECK_FALSE(map_table(no_id, table_of({good_cells()}), std::nullopt).has_value());
}

TEST_CASE("mapper: header names match trimmed, then ignoring case") {
  auto columns = k_columns;
  columns[col("Title")] = "  TITLE ";
  auto result = map_table(make_source(), table_of({good_cells()}, columns), std::nullopt);
  REQUIRE(result.has_value());
  CHECK((*result)[0].payload == k_expected_payload);
}

TEST_CASE("mapper: each kind of bad cell gives a RowError with field, value and reason") {
  SUBCASE("spreadsheet error value") {
    const RowError e = only_error(map_one({{"Title", "#REF!"}}));
    CHECK(e.field == "Title");
    CHECK(e.value == "#REF!");
    CHECK(contains(e.reason, "spreadsheet error #REF!"));
    CHECK(only_error(map_one({{"Venue", "#n/a"}})).field == "Venue");
    CHECK(only_error(map_one({{"Date", "#VALUE!"}})).field == "Date");
  }
  SUBCASE("invalid UTF-8 is never sent and the value shown is safe") {
    const RowError e = only_error(map_one({{"Venue", "Caf\xE9"}}));
    CHECK(e.field == "Venue");
    CHECK(contains(e.reason, "UTF-8"));
    CHECK(e.value == "Caf\xEF\xBF\xBD");
  }
  // Regression: a NUL or an escape sequence in a cell reached the event's title.
  SUBCASE("control characters other than tab and line breaks, named with their cell") {
    const RowError nul = only_error(map_one({{"Title", std::string("Jazz\0Night", 10)}}));
    CHECK(nul.field == "Title");
    CHECK(contains(nul.reason, "control character U+0000 at byte 5"));
    const RowError esc = only_error(map_one({{"Venue", "The \x1b[31mRed\x1b[0m Room"}}));
    CHECK(esc.field == "Venue");
    CHECK(contains(esc.reason, "U+001B"));
    CHECK(map_one({{"Notes", "line one\r\nline two\tand a tab"}}).errors.empty());
  }
  SUBCASE("impossible date") {
    const RowError e = only_error(map_one({{"Date", "June 32"}}));
    CHECK(e.field == "Date");
    CHECK(e.value == "June 32");
    CHECK(e.reason == "\"June 32\" is not a date");
  }
  SUBCASE("bad time") {
    const RowError e = only_error(map_one({{"Start", "25:00"}}));
    CHECK(e.field == "Start");
    CHECK(e.reason == "\"25:00\" is not a time");
  }
  SUBCASE("date without a time") {
    const RowError e = only_error(map_one({{"Start", ""}}));
    CHECK(e.field == "Start");
    CHECK(e.reason.starts_with("no start time"));
  }
  SUBCASE("empty and over-long titles") {
    CHECK(only_error(map_one({{"Title", "  "}})).reason.starts_with("the title is empty"));
    CHECK(map_one({{"Title", std::string(300, 'a')}}).errors.empty());
    CHECK(map_one({{"Title", std::string(150, 'a') + std::string(150 * 2, '\xC3')}}).errors.size() == 1);  // bad UTF-8
    const RowError e = only_error(map_one({{"Title", std::string(301, 'a')}}));
    CHECK(e.field == "Title");
    CHECK(contains(e.reason, "301 characters"));
    CHECK(e.value.size() == 200);
    std::string accented;
    for (int i = 0; i < 300; ++i) accented += "\xC3\xA9";  // 300 characters, 600 bytes
    CHECK(map_one({{"Title", accented}}).errors.empty());
  }
  SUBCASE("cell size limits") {
    CHECK(contains(only_error(map_one({{"Venue", std::string(10'001, 'v')}})).reason, "10001 bytes"));
    CHECK(map_one({{"Notes", std::string(50'000, 'n')}}).errors.empty());
    CHECK(only_error(map_one({{"Notes", std::string(50'001, 'n')}})).field == "Notes");
  }
  SUBCASE("ticket url without http(s)") {
    const RowError e = only_error(map_one({{"Tickets", "www.tix.example/e1"}}));
    CHECK(e.field == "Tickets");
    CHECK(contains(e.reason, "http:// or https://"));
    CHECK(map_one({{"Tickets", "HTTP://tix.example"}}).errors.empty());
  }
  SUBCASE("no source id") {
    const RowError e = only_error(map_one({{"Event ID", " "}}));
    CHECK(e.field == "Event ID");
    CHECK(e.value.empty());
    CHECK(e.reason == "the row has no Event ID");
  }
  SUBCASE("unknown zone in the row's timezone column") {
    auto source = make_source();
    source.mapping.timezone = "Internal";
    const RowError e = only_error(map_one({{"Internal", "Mars/Olympus"}}, source));
    CHECK(e.field == "Internal");
    CHECK(e.value == "Mars/Olympus");
    CHECK(contains(e.reason, "unknown time zone"));
    const MappedRow madrid = map_one({{"Internal", "Europe/Madrid"}}, source);
    CHECK(contains(madrid.payload, R"("startAt":"2026-06-12T20:00:00+02:00")"));
    CHECK(contains(madrid.payload, R"("timezone":"Europe/Madrid")"));
    CHECK(contains(map_one({{"Internal", ""}}, source).payload, R"("timezone":"America/New_York")"));
  }
  SUBCASE("all errors of a row are collected") {
    const MappedRow row = map_one({{"Title", ""}, {"Date", "2026-02-30"}, {"City", "Atlantis"}, {"Tickets", "nope"}});
    REQUIRE(row.errors.size() == 4);
    CHECK(row.errors[0].field == "Title");
    CHECK(row.errors[1].field == "Tickets");
    CHECK(row.errors[2].field == "Date");
    CHECK(row.errors[3].field == "City");
    CHECK(row.payload.empty());
    CHECK(row.payload_hash.empty());
  }
}

TEST_CASE("mapper: times follow the zone's daylight saving rules") {
  CHECK(contains(map_one({{"Date", "1/15/2026"}, {"End", ""}}).payload, R"("startAt":"2026-01-15T20:00:00-05:00")"));
  const RowError gap = only_error(map_one({{"Date", "3/8/2026"}, {"Start", "2:30 AM"}, {"End", ""}}));
  CHECK(gap.field == "Start");
  CHECK(gap.value == "3/8/2026 2:30 AM");
  CHECK(gap.reason == "2026-03-08 02:30 does not exist in America/New_York (clocks spring forward)");
  CHECK(contains(map_one({{"Date", "11/1/2026"}, {"Start", "1:30 AM"}, {"End", ""}}).payload,
                 R"("startAt":"2026-11-01T01:30:00-04:00")"));
}

TEST_CASE("mapper: an end time at or before the start with no end date ends the next day") {
  const MappedRow late = map_one({{"Start", "10:00 PM"}, {"End", "2:00 AM"}});
  REQUIRE(late.errors.empty());
  CHECK(contains(late.payload, R"("endAt":"2026-06-13T02:00:00-04:00")"));
  CHECK(contains(map_one({{"End", "8:00 PM"}}).payload, R"("endAt":"2026-06-13T20:00:00-04:00")"));

  auto source = make_source();
  source.mapping.end_date = "Internal";
  CHECK(contains(map_one({{"Internal", "6/13/2026"}, {"End", "2:00 AM"}}, source).payload,
                 R"("endAt":"2026-06-13T02:00:00-04:00")"));
  const RowError before = only_error(map_one({{"Internal", "6/12/2026"}, {"End", "7:00 PM"}}, source));
  CHECK(before.field == "End");
  CHECK(before.value == "6/12/2026 7:00 PM");
  CHECK(contains(before.reason, "is not after the start"));
}

TEST_CASE("mapper: one start and end column, with an explicit offset kept as an instant") {
  auto source = make_source();
  source.mapping.start_date.clear();
  source.mapping.start_time.clear();
  source.mapping.end_time.clear();
  source.mapping.start = "Date";
  source.mapping.end = "End";
  const MappedRow row = map_one({{"Date", "2026-06-13T00:00:00Z"}, {"End", "2026-06-12T23:30"}}, source);
  REQUIRE(row.errors.empty());
  CHECK(contains(row.payload, R"("startAt":"2026-06-12T20:00:00-04:00")"));
  CHECK(contains(row.payload, R"("endAt":"2026-06-12T23:30:00-04:00")"));
  const RowError e = only_error(map_one({{"Date", "6/12/2026"}, {"End", ""}}, source));
  CHECK(e.field == "Date");
  CHECK(e.reason.starts_with("no start time"));
  CHECK(contains(only_error(map_one({{"Date", "2026-06-12 20:00"}, {"End", "2026-06-12 19:00"}}, source)).reason,
                 "is not after the start"));
}

TEST_CASE("mapper: classifications are mapped, lower-cased, deduplicated and checked") {
  CHECK(contains(map_one({{"Category", "LIVE music;x, Jazz,, jazz , Live Music"}}).payload,
                 R"("classifications":["live music;x","jazz","music"])"));
  const KnownSlugs known = std::set<std::string>{"music", "jazz", "comedy"};
  CHECK(map_one({}, make_source(), known).errors.empty());
  const RowError unknown = only_error(map_one({{"Category", "Live Music, Jazzz"}}, make_source(), known));
  CHECK(unknown.field == "Category");
  CHECK(contains(unknown.reason, "\"Jazzz\""));
  CHECK(contains(unknown.reason, "\"jazzz\""));
  const RowError none = only_error(map_one({{"Category", " , ,"}}));
  CHECK(none.reason.starts_with("no classification"));

  auto semicolons = make_source();
  semicolons.mapping.classifications.separator = ";";
  CHECK(contains(map_one({{"Category", "Jazz; Live Music"}}, semicolons).payload,
                 R"("classifications":["jazz","music"])"));
}

TEST_CASE("mapper: cities come from the configured places") {
  CHECK(contains(map_one({{"City", " MADRID "}}).payload,
                 R"({"city":{"countryCode":"ES","name":"Madrid","placeId":"ChIJgTwKgJcpQg0RaSKMYcHeNsQ"}})"));
  const RowError e = only_error(map_one({{"City", "Atlantis"}}));
  CHECK(e.field == "City");
  CHECK(e.value == "Atlantis");
  CHECK(contains(e.reason, "known cities are Madrid, New York"));
}

TEST_CASE("mapper: status comes from the source or from the status column") {
  auto published = make_source();
  published.status = EventStatus::published;
  CHECK(contains(map_one({}, published).payload, R"("status":"published")"));

  auto per_row = make_source();
  per_row.status_column = "Internal";
  CHECK(contains(map_one({{"Internal", "Published"}}, per_row).payload, R"("status":"published")"));
  CHECK(contains(map_one({{"Internal", "x"}}, per_row).payload, R"("status":"published")"));
  CHECK(contains(map_one({{"Internal", "no"}}, per_row).payload, R"("status":"draft")"));
  CHECK(contains(map_one({{"Internal", ""}}, per_row).payload, R"("status":"draft")"));
  const RowError e = only_error(map_one({{"Internal", "maybe"}}, per_row));
  CHECK(e.field == "Internal");
  CHECK(contains(e.reason, "not a status"));
}

TEST_CASE("mapper: the payload depends only on mapped cells, not on unused columns or column order") {
  const MappedRow base = map_one();
  const MappedRow edited = map_one({{"Internal", "changed by someone"}});
  CHECK(edited.payload_hash == base.payload_hash);
  CHECK(map_one({{"Title", "Jazz Night!"}}).payload_hash != base.payload_hash);

  std::vector<std::size_t> order(k_columns.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
  std::vector<std::string> columns, cells;
  const auto good = good_cells();
  for (std::size_t i : order) {
    columns.push_back(k_columns[i]);
    cells.push_back(good[i]);
  }
  auto shuffled = map_table(make_source(), table_of({cells}, columns), std::nullopt);
  REQUIRE(shuffled.has_value());
  CHECK((*shuffled)[0].payload == base.payload);
}

TEST_CASE("mapper: 100,000 rows map in one pass (timing printed)") {
#ifdef NDEBUG
  constexpr int k_rows = 100'000;
#else
  constexpr int k_rows = 10'000;  // Debug and sanitizer builds: keep the suite quick
#endif
  std::vector<std::vector<std::string>> rows;
  rows.reserve(k_rows);
  for (int i = 0; i < k_rows; ++i) {
    auto cells = good_cells();
    cells[0] = "E-" + std::to_string(i);
    cells[2] = "Show " + std::to_string(i);
    rows.push_back(std::move(cells));
  }
  const Table table = table_of(std::move(rows));
  const auto started = std::chrono::steady_clock::now();
  auto result = map_table(make_source(), table, std::nullopt);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("mapped " << k_rows << " rows in " << ms << " ms");
  REQUIRE(result.has_value());
  REQUIRE(result->size() == static_cast<std::size_t>(k_rows));
  CHECK(std::all_of(result->begin(), result->end(), [](const MappedRow& r) { return r.errors.empty(); }));
  CHECK(result->back().source_id == "E-" + std::to_string(k_rows - 1));
}

TEST_CASE("mapper: without an ID column, a fingerprint of key columns identifies the row") {
  SourceConfig source = make_source();
  source.id_column.clear();
  source.fingerprint = {"Title", "Date", "Venue"};
  const auto a = map_one({}, source);
  CHECK(a.source_id.starts_with("fp-"));
  CHECK(a.errors.empty());
  // Same key cells (case and spaces aside) with other cells changed: the same row.
  const auto b = map_one({{"Title", "JAZZ NIGHT"}, {"Start", "9:00 PM"}, {"Internal", "x"}}, source);
  CHECK(b.source_id == a.source_id);
  CHECK(b.payload_hash != a.payload_hash);
  // A key cell changed: another row.
  CHECK(map_one({{"Venue", "Smalls"}}, source).source_id != a.source_id);
  // A fingerprint column missing from the header stops the source.
  source.fingerprint = {"Title", "Room"};
  auto missing = map_table(source, table_of({good_cells()}), std::nullopt);
  REQUIRE_FALSE(missing.has_value());
  CHECK(contains(missing.error().message, "\"Room\" (fingerprint)"));
}

TEST_CASE("mapper: a source without its own zone uses the table's (a Google sheet's timeZone)") {
  SourceConfig source = make_source();
  source.timezone.clear();
  Table table = table_of({good_cells()});
  table.time_zone = "Europe/Madrid";
  auto rows = map_table(source, table, std::nullopt);
  REQUIRE(rows.has_value());
  CHECK(contains((*rows)[0].payload, R"("startAt":"2026-06-12T20:00:00+02:00")"));
  CHECK(contains((*rows)[0].payload, R"("timezone":"Europe/Madrid")"));
  table.time_zone.clear();
  auto none = map_table(source, table, std::nullopt);
  REQUIRE_FALSE(none.has_value());
  CHECK(contains(none.error().message, "timezone is not set"));
}

// The mapping fingerprint and a row's cells token: every input of the mapping but the cells
// changes the fingerprint; a cell the mapping reads (and the payload hash) changes the
// token, a cell it does not read leaves it be. A pass settles rows by the token unmapped,
// so an input missed here would be an edit missed.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "agent/mapping/fingerprint.h"
#include "agent/mapping/mapper.h"

using namespace pinsync;
using namespace pinsync::agent;
using pinsync::connectors::Row;
using pinsync::connectors::Table;

namespace {

SourceConfig source() {
  SourceConfig s;
  s.name = "acme";
  s.settings = connectors::CsvSettings{};
  s.id_column = "ID";
  s.approved.column = "OK";
  s.approved.values = {"yes"};
  s.channel_id = 42;
  s.timezone = "America/New_York";
  s.mapping.title = "Title";
  s.mapping.start = "Start";
  s.mapping.classifications.column = "Cat";
  s.mapping.classifications.map = {{"Jazz", "music"}};
  s.mapping.city.column = "City";
  s.mapping.city.places = {{"New York", Place{"place-ny", "US"}}};
  return s;
}

Table header() {
  Table t;
  t.columns = {"ID", "OK", "Title", "Start", "Cat", "City", "Notes (not mapped)"};
  return t;
}

const KnownSlugs k_slugs = std::set<std::string>{"music", "theatre"};

}  // namespace

TEST_CASE("mapping_fingerprint: equal inputs give equal fingerprints") {
  CHECK(mapping_fingerprint(source(), header(), k_slugs) == mapping_fingerprint(source(), header(), k_slugs));
}

TEST_CASE("mapping_fingerprint: any input of the mapping but the cells changes it") {
  const Digest128 base = mapping_fingerprint(source(), header(), k_slugs);
  const std::vector<std::pair<const char*, std::function<void(SourceConfig&)>>> config_changes = {
      {"id column", [](SourceConfig& s) { s.id_column = "Key"; }},
      {"fingerprint columns", [](SourceConfig& s) { s.fingerprint = {"Title"}; }},
      {"approval column", [](SourceConfig& s) { s.approved.column = "Approved"; }},
      {"approval values", [](SourceConfig& s) { s.approved.values = {"yes", "x"}; }},
      {"approval formula", [](SourceConfig& s) { s.approved.formula = "{OK}"; }},
      {"channel", [](SourceConfig& s) { s.channel_id = 43; }},
      {"status", [](SourceConfig& s) { s.status = EventStatus::published; }},
      {"status column", [](SourceConfig& s) { s.status_column = "Live"; }},
      {"zone", [](SourceConfig& s) { s.timezone = "Europe/Madrid"; }},
      {"date order", [](SourceConfig& s) { s.date_order = DateOrder::DMY; }},
      {"title column", [](SourceConfig& s) { s.mapping.title = "Name"; }},
      {"start date", [](SourceConfig& s) { s.mapping.start_date = "Day"; }},
      {"start time", [](SourceConfig& s) { s.mapping.start_time = "At"; }},
      {"start", [](SourceConfig& s) { s.mapping.start = "Begins"; }},
      {"end date", [](SourceConfig& s) { s.mapping.end_date = "Last day"; }},
      {"end time", [](SourceConfig& s) { s.mapping.end_time = "Until"; }},
      {"end", [](SourceConfig& s) { s.mapping.end = "Ends"; }},
      {"zone column", [](SourceConfig& s) { s.mapping.timezone = "Zone"; }},
      {"label column", [](SourceConfig& s) { s.mapping.classifications.column = "Kind"; }},
      {"label separator", [](SourceConfig& s) { s.mapping.classifications.separator = ";"; }},
      {"label map", [](SourceConfig& s) { s.mapping.classifications.map = {{"Jazz", "theatre"}}; }},
      {"city column", [](SourceConfig& s) { s.mapping.city.column = "Town"; }},
      {"city name", [](SourceConfig& s) { s.mapping.city.places = {{"NYC", Place{"place-ny", "US"}}}; }},
      {"place id", [](SourceConfig& s) { s.mapping.city.places = {{"New York", Place{"place-nyc", "US"}}}; }},
      {"country", [](SourceConfig& s) { s.mapping.city.places = {{"New York", Place{"place-ny", "CA"}}}; }},
      {"location column", [](SourceConfig& s) { s.mapping.location_name = "Venue"; }},
      {"description column", [](SourceConfig& s) { s.mapping.description = "Notes"; }},
      {"ticket column", [](SourceConfig& s) { s.mapping.ticket_url = "Tickets"; }},
  };
  for (const auto& [what, change] : config_changes) {
    SourceConfig s = source();
    change(s);
    CHECK_MESSAGE(mapping_fingerprint(s, header(), k_slugs) != base, what);
  }
  Table moved = header();
  std::swap(moved.columns[2], moved.columns[3]);
  CHECK(mapping_fingerprint(source(), moved, k_slugs) != base);
  Table zoned = header();
  zoned.time_zone = "Europe/Madrid";  // a sheet's own zone
  CHECK(mapping_fingerprint(source(), zoned, k_slugs) != base);
  CHECK(mapping_fingerprint(source(), header(), std::set<std::string>{"music"}) != base);
  CHECK(mapping_fingerprint(source(), header(), std::nullopt) != base);
}

TEST_CASE("mapping_fingerprint: the schedule and removal rules are not the mapping's") {
  const Digest128 base = mapping_fingerprint(source(), header(), k_slugs);
  SourceConfig s = source();
  s.poll_interval = std::chrono::seconds(60);
  s.max_removed_share = 0.5;
  s.recreate_deleted = true;
  s.on_removed = OnRemoved::draft;
  s.line = 99;
  CHECK(mapping_fingerprint(s, header(), k_slugs) == base);
}

TEST_CASE("cells_token: the cells the mapping reads and the payload hash, nothing else") {
  const SourceConfig config = source();  // the mapper keeps a reference to it
  auto mapper = RowMapper::open(config, header(), k_slugs);
  REQUIRE(mapper);
  const Row row{"partner.csv:2", "", {"E-1", "yes", "Jazz Night", "2026-06-12 20:00", "Jazz", "New York", "a note"}};
  const auto token = mapper->cells_token(row, "hash-1");
  CHECK(mapper->cells_token(row, "hash-1") == token);
  CHECK(mapper->cells_token(row, "hash-2") != token);

  Row unread = row;
  unread.cells[6] = "another note";  // not mapped
  CHECK(mapper->cells_token(unread, "hash-1") == token);
  unread.row_ref = "partner.csv:9";  // the place is compared apart
  CHECK(mapper->cells_token(unread, "hash-1") == token);

  for (std::size_t i = 0; i < 6; ++i) {
    Row edited = row;
    edited.cells[i] += " ";  // even a space the mapper trims: the token is of the cells as read
    CHECK_MESSAGE(mapper->cells_token(edited, "hash-1") != token, "cell " << i);
  }
  // Cells cannot shift into one another.
  Row shifted = row;
  shifted.cells[2] = "Jazz Night2026-06-12 20:00";
  shifted.cells[3] = "";
  CHECK(mapper->cells_token(shifted, "hash-1") != token);
  // A short row reads its missing cells as empty, as the mapper does.
  Row short_row = row;
  short_row.cells.resize(5);
  Row empty_city = row;
  empty_city.cells[5] = "";
  empty_city.cells.resize(6);
  CHECK(mapper->cells_token(short_row, "hash-1") == mapper->cells_token(empty_city, "hash-1"));
}

TEST_CASE("identify: the identity map() gives, without mapping") {
  const SourceConfig config = source();  // the mapper keeps a reference to it
  auto mapper = RowMapper::open(config, header(), k_slugs);
  REQUIRE(mapper);
  const Row approved{"partner.csv:2", "", {" E-1 ", "YES", "Jazz", "not a date", "Jazz", "New York", ""}};
  MappedRow id;
  mapper->identify(approved, id);
  const MappedRow full = mapper->map(approved);
  CHECK(id.source_id == "E-1");
  CHECK(id.source_id == full.source_id);
  CHECK(id.row_ref == full.row_ref);
  CHECK(id.approved == full.approved);
  CHECK(id.approved);
  CHECK(id.payload.empty());
  CHECK(id.errors.empty());
  CHECK_FALSE(full.errors.empty());  // map() reads the date; identify() does not
  const Row unapproved{"partner.csv:3", "", {"E-2", "no", "Jazz", "2026-06-12 20:00", "Jazz", "New York", ""}};
  mapper->identify(unapproved, id);
  CHECK(id.source_id == "E-2");
  CHECK_FALSE(id.approved);
}

// Fuzz target: agent/mapper map_table over a CSV-shaped table, through a fixed source
// config like the demo's (date + start/end time columns, zone column, classification map,
// city places). The input is CSV text; its first record is replaced by the mapped header so
// that the fuzzer spends its time on cells, not on missing columns.
// Invariants: one MappedRow per row, in order, mapping is deterministic; an approved row
// without errors has a payload that is JSON with the configured channel, a hash that is
// SHA-256 of it, and a startAt with an offset; a row with errors says why; an unapproved row
// carries no payload.
#include <simdjson.h>

#include <cstdint>
#include <string>

#include "agent/mapping/mapper.h"
#include "connectors/csv.h"
#include "core/datetime.h"
#include "core/hash.h"
#include "fuzz/fuzz_check.h"

namespace {

using pinsync::agent::SourceConfig;

SourceConfig make_source() {
  SourceConfig s;
  s.name = "acme";
  s.settings = pinsync::connectors::CsvSettings{};
  s.id_column = "Event ID";
  s.approved.column = "Approved";
  s.approved.values = {"yes", "y", "true", "x", "approved"};
  s.channel_id = 42;
  s.status = pinsync::agent::EventStatus::draft;
  s.timezone = "America/New_York";
  s.date_order = pinsync::DateOrder::MDY;
  auto& m = s.mapping;
  m.title = "Title";
  m.start_date = "Date";
  m.start_time = "Start";
  m.end_time = "End";
  m.timezone = "Time zone";
  m.classifications.column = "Category";
  m.classifications.map = {{"Jazz", "music"}, {"Stand-up", "comedy"}, {"Food", "food-drink"}};
  m.city.column = "City";
  m.city.places = {{"New York", {"place-new-york", "US"}}, {"Valencia", {"place-valencia", "ES"}}};
  m.location_name = "Venue";
  m.description = "Description";
  m.ticket_url = "Tickets";
  return s;
}

const std::vector<std::string> k_columns = {"Event ID", "Approved", "Title",    "Date",        "Start",
                                            "End",      "Time zone", "Category", "City",        "Venue",
                                            "Description", "Tickets", "Notes"};

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// No control character but tab and line breaks reaches an event, in any string of it.
bool no_control_characters(simdjson::dom::element el) {
  std::string_view text;
  if (el.get_string().get(text) == simdjson::SUCCESS) {
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    }
    return true;
  }
  simdjson::dom::array list;
  if (el.get_array().get(list) == simdjson::SUCCESS) {
    for (auto item : list) {
      if (!no_control_characters(item)) return false;
    }
    return true;
  }
  simdjson::dom::object object;
  if (el.get_object().get(object) == simdjson::SUCCESS) {
    for (auto field : object) {
      if (!no_control_characters(field.value)) return false;
    }
  }
  return true;
}

void check_payload(const pinsync::agent::MappedRow& row) {
  PINSYNC_FUZZ_CHECK(!row.payload.empty());
  PINSYNC_FUZZ_CHECK(row.payload_hash == pinsync::sha256_hex(row.payload));
  PINSYNC_FUZZ_CHECK(row.payload_hash.size() == 64 && is_lower_hex(row.payload_hash));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  PINSYNC_FUZZ_CHECK(parser.parse(row.payload).get(doc) == simdjson::SUCCESS);
  std::int64_t channel = 0;
  PINSYNC_FUZZ_CHECK(doc["channelId"].get_int64().get(channel) == simdjson::SUCCESS && channel == 42);
  std::string_view start;
  PINSYNC_FUZZ_CHECK(doc["startAt"].get_string().get(start) == simdjson::SUCCESS);
  auto parsed = pinsync::parse_date_time(start, pinsync::DateOrder::YMD);
  PINSYNC_FUZZ_CHECK(parsed.has_value() && parsed->utc_offset.has_value());
  std::string_view title;
  PINSYNC_FUZZ_CHECK(doc["title"].get_string().get(title) == simdjson::SUCCESS && !title.empty());
  PINSYNC_FUZZ_CHECK(no_control_characters(doc));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const SourceConfig source = make_source();
  static const pinsync::agent::KnownSlugs slugs =
      std::set<std::string>{"music", "comedy", "food-drink", "markets", "nightlife", "theatre"};

  auto parsed = pinsync::connectors::parse_csv(std::string_view(reinterpret_cast<const char*>(data), size), "f.csv");
  if (!parsed) return 0;
  pinsync::connectors::Table table = std::move(*parsed);
  table.columns = k_columns;
  for (auto& row : table.rows) row.cells.resize(k_columns.size());

  auto mapped = pinsync::agent::map_table(source, table, slugs);
  PINSYNC_FUZZ_CHECK(mapped.has_value());  // every mapped column is in the header
  PINSYNC_FUZZ_CHECK(mapped->size() == table.rows.size());
  for (std::size_t i = 0; i < mapped->size(); ++i) {
    const auto& row = (*mapped)[i];
    PINSYNC_FUZZ_CHECK(row.row_ref == table.rows[i].row_ref);
    for (const auto& e : row.errors) PINSYNC_FUZZ_CHECK(!e.reason.empty());
    if (!row.approved) {
      PINSYNC_FUZZ_CHECK(row.payload.empty());
      continue;
    }
    if (row.errors.empty()) check_payload(row);
  }

  auto again = pinsync::agent::map_table(source, table, slugs);
  PINSYNC_FUZZ_CHECK(again.has_value() && again->size() == mapped->size());
  for (std::size_t i = 0; i < mapped->size(); ++i) {
    PINSYNC_FUZZ_CHECK((*again)[i].payload == (*mapped)[i].payload);
    PINSYNC_FUZZ_CHECK((*again)[i].errors.size() == (*mapped)[i].errors.size());
  }
  return 0;
}

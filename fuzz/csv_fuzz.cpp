// Fuzz target: connectors/csv parse_csv on any bytes.
// Invariants: an error names the input and says something; a table has a header, every row
// as wide as the header, row references in increasing line order; and writing the table
// back out as CSV (every field quoted) and reading it again gives the same table.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/csv.h"
#include "fuzz/fuzz_check.h"

namespace {

std::size_t line_of(std::string_view row_ref) {
  return static_cast<std::size_t>(std::stoull(std::string(row_ref.substr(row_ref.rfind(':') + 1))));
}

void append_quoted(std::string& out, std::string_view cell) {
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string to_csv(const pinsync::connectors::Table& table) {
  std::string out;
  auto append_record = [&out](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += ',';
      append_quoted(out, cells[c]);
    }
    out += "\r\n";
  };
  append_record(table.columns);
  for (const auto& row : table.rows) append_record(row.cells);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = pinsync::connectors::parse_csv(text, "fuzz.csv");
  if (!table) {
    PINSYNC_FUZZ_CHECK(table.error().message.starts_with("fuzz.csv"));
    PINSYNC_FUZZ_CHECK(table.error().message.size() > std::string_view("fuzz.csv:1: ").size());
    return 0;
  }
  PINSYNC_FUZZ_CHECK(!table->columns.empty());
  std::size_t previous_line = 0;
  for (const auto& row : table->rows) {
    PINSYNC_FUZZ_CHECK(row.cells.size() == table->columns.size());
    PINSYNC_FUZZ_CHECK(row.row_ref.starts_with("fuzz.csv:"));
    const std::size_t line = line_of(row.row_ref);
    PINSYNC_FUZZ_CHECK(line > previous_line);
    previous_line = line;
  }

  auto again = pinsync::connectors::parse_csv(to_csv(*table), "again.csv");
  PINSYNC_FUZZ_CHECK(again.has_value());
  PINSYNC_FUZZ_CHECK(again->columns == table->columns);
  PINSYNC_FUZZ_CHECK(again->rows.size() == table->rows.size());
  for (std::size_t r = 0; r < table->rows.size(); ++r) {
    PINSYNC_FUZZ_CHECK(again->rows[r].cells == table->rows[r].cells);
  }
  return 0;
}

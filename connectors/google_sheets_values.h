// The values side of the Google Sheets connector: a ValueRange (UNFORMATTED_VALUE +
// SERIAL_NUMBER) turned into a Table whose rows remember where each sits in the sheet,
// and the cell spellings the mapper reads. Internal to connectors/.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/a1_range.h"
#include "connectors/connector.h"

namespace pinsync::connectors::sheets {

// Returns `s` without leading and trailing spaces, tabs and line breaks.
std::string trim(std::string_view s);
// True when `s` holds nothing but spaces, tabs and line breaks.
bool is_blank(std::string_view s);
// Returns a cell as the mapper reads it: strings as they are, numbers (serial dates
// included) shortest round-trip (46185, 0.8333333333333334), booleans TRUE/FALSE, anything
// else "".
std::string cell_text(simdjson::dom::element cell);

// A parsed read of the sheet, with where each table cell sits in the sheet.
struct SheetRead {
  Table table;
  std::string sheet;
  int first_column = 0;         // sheet column (0-based) of table column 0
  std::vector<int> sheet_rows;  // sheet row (1-based) of each table row
  int header_row = 1;
  std::optional<int> last_row;  // the configured range's last row, when it has one
};

// Parses the ValueRange of a read of `requested`: the first non-blank row is the header
// (names trimmed), blank rows are skipped, short rows padded with "", row_ref is
// 'Sheet'!A<row> with the real sheet row. Returns the read, or Error{invalid} for an empty
// range ("has no header row"), a header name seen twice or data under a blank header name.
Result<SheetRead> parse_value_range(simdjson::dom::object value_range, const A1Range& requested);

// Returns the position of the header `name` (trimmed) in `table`, or nullopt.
std::optional<std::size_t> find_column(const Table& table, std::string_view name);

}  // namespace pinsync::connectors::sheets

// A1 notation as the Sheets API speaks it: column letters <-> indexes, sheet titles
// quoted with doubled apostrophes ('It''s'), and ranges such as 'Partner Events'!A1:K,
// Sheet1, A:A or 1:2 parsed into parts and written back out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pinsync::connectors {

// Returns the letters of a 0-based column index: 0 -> "A", 25 -> "Z", 26 -> "AA",
// 701 -> "ZZ", 702 -> "AAA". A negative index returns "".
std::string column_letters(int index);

// Returns the 0-based index of column letters (case-insensitive): "A" -> 0, "AA" -> 26;
// nullopt for an empty string, a non-letter or more than 7 letters.
std::optional<int> column_index(std::string_view letters);

// Returns the title in single quotes with embedded apostrophes doubled: Sheet1 ->
// 'Sheet1', It's -> 'It''s'. Always quoted, which the API accepts for every title.
std::string quote_sheet_title(std::string_view title);

// One end of a range: a cell (A1), a whole column (A) or a whole row (5).
struct A1Point {
  std::optional<int> column;  // 0-based; nullopt for a row-only point ("5")
  std::optional<int> row;     // 1-based; nullopt for a column-only point ("A")

  bool operator==(const A1Point&) const = default;
};

struct A1Range {
  std::string sheet;             // the unquoted title; "" when the range names none
  std::optional<A1Point> start;  // nullopt for a whole sheet ("Sheet1")
  std::optional<A1Point> end;    // nullopt for a single cell ("A1")

  bool operator==(const A1Range&) const = default;
};

// Parses A1 notation: 'Sheet name'!A1:B2, Sheet1!A:A, Sheet1!1:2, Sheet1!A5:A, A1:B2 (no
// sheet), Sheet1 (whole sheet), 'It''s'!A1. Quoted titles may hold '' (an apostrophe);
// a lone apostrophe inside a quoted title is kept as written, as the API tolerates it.
// Without "!", text that reads as cells (A1, A:A, 1:2, A1:B2) is cells, anything else a
// sheet title. Returns the parts, or Error{config} naming the text and what is wrong
// (empty, unclosed quote, bad cell reference, a range ending before it starts).
Result<A1Range> parse_a1_range(std::string_view text);

// Returns the range in A1 notation with the sheet always quoted: 'Events'!A1:K,
// 'Events' (whole sheet), A1:B2 (no sheet).
std::string format_a1_range(const A1Range& range);

// Returns one cell, 'Events'!C12 (column 0-based, row 1-based).
std::string a1_cell(std::string_view sheet, int column, int row);

// Returns a run of cells in one row, 'Events'!C12:E12 ('Events'!C12 when first == last).
std::string a1_row_run(std::string_view sheet, int first_column, int last_column, int row);

}  // namespace pinsync::connectors

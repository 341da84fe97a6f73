// A1 notation as the Sheets API v4 reads it: `Sheet1!A1:B2`, `'Partner Events'!A:K`, `A5:A`,
// `1:2`, `Sheet1`, `'It''s'!A1`. Parsing is separate from binding to a sheet's grid, so the
// same parsed range can be checked against the grid (reads) or grow it (writes).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pinsync_sandbox {

// A range as written, not yet bound to a grid. Rows and columns are 0-based; nullopt is an
// open end ("A:A" has no rows, "A5:A" has no end row).
struct A1Range {
  std::optional<std::string> sheet;  // unquoted title; nullopt = the first sheet
  bool whole_sheet = false;          // just a sheet name, no cell part
  std::optional<int> start_row, start_col, end_row, end_col;
};

// The inclusive 0-based rectangle a range covers on one sheet.
struct GridBox {
  int row0 = 0, col0 = 0, row1 = 0, col1 = 0;
  int rows() const { return row1 - row0 + 1; }
  int cols() const { return col1 - col0 + 1; }
};

inline constexpr int k_max_sheet_columns = 18278;  // ZZZ
inline constexpr int k_max_sheet_rows = 10'000'000;

// Parses `text`. Returns nullopt when it is not A1 notation Google would accept (empty name,
// unterminated quote, "A1:", "Sheet1!", a column beyond ZZZ, row 0); the caller answers
// "Unable to parse range: <text>". Without a '!' a text that reads as cells ("A1:C") means the
// first sheet, anything else is a sheet name (so a sheet called "D3" must be quoted).
std::optional<A1Range> parse_a1(std::string_view text);

enum class GridFit {
  within,  // reads: an explicit end beyond the grid is an error
  grow,    // writes: explicit ends may lie beyond the grid (the grid grows)
};

// Binds `range` to a grid of `rows` x `cols`: open ends become the grid's last row/column and
// reversed corners are swapped. Returns nullopt when `fit` is within and an explicit corner lies
// outside the grid.
std::optional<GridBox> bind_range(const A1Range& range, int rows, int cols, GridFit fit);

// Returns the column letters of a 0-based column: 0 → "A", 26 → "AA".
std::string column_letters(int col);

// Returns the sheet title as it appears before '!' in a range Google echoes: bare when it is a
// plain identifier (`Sheet1`), quoted with '' doubling otherwise (`'Partner Events'`, `'D3'`).
std::string quote_sheet_name(std::string_view title);

// Returns "Title!A1:B2" (or "Title!A1" for a single cell, as Google echoes it) with the title
// quoted as needed.
std::string format_range(std::string_view title, const GridBox& box);

}  // namespace pinsync_sandbox

#include "sandbox/google/a1_range.h"

#include <algorithm>
#include <cctype>

namespace pinsync_sandbox {

namespace {

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

struct Endpoint {
  std::optional<int> row, col;
};

// Parses "A1", "A", "1", "$A$1" (absolute markers are ignored, as Sheets does).
std::optional<Endpoint> parse_endpoint(std::string_view s) {
  Endpoint e;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '$') ++i;
  long col = 0;
  std::size_t letters = 0;
  while (i < s.size() && is_letter(s[i])) {
    col = col * 26 + (std::toupper(static_cast<unsigned char>(s[i])) - 'A' + 1);
    if (++letters > 3) return std::nullopt;
    ++i;
  }
  if (letters > 0) {
    if (col > k_max_sheet_columns) return std::nullopt;
    e.col = static_cast<int>(col - 1);
  }
  if (i < s.size() && s[i] == '$') {
    if (letters == 0) return std::nullopt;
    ++i;
  }
  long row = 0;
  std::size_t digits = 0;
  while (i < s.size() && is_ascii_digit(s[i])) {
    row = row * 10 + (s[i] - '0');
    if (row > k_max_sheet_rows) return std::nullopt;
    ++digits;
    ++i;
  }
  if (digits > 0) {
    if (row == 0) return std::nullopt;
    e.row = static_cast<int>(row - 1);
  }
  if (i != s.size() || (letters == 0 && digits == 0)) return std::nullopt;
  return e;
}

// Parses the part after '!' (or a whole sheet-less range) into `range`.
bool parse_cells(std::string_view cells, A1Range& range) {
  auto colon = cells.find(':');
  if (colon == std::string_view::npos) {
    auto e = parse_endpoint(cells);
    // A lone "A" or "5" is not a range; a single cell needs both parts.
    if (!e || !e->row || !e->col) return false;
    range.start_row = range.end_row = e->row;
    range.start_col = range.end_col = e->col;
    return true;
  }
  auto a = parse_endpoint(cells.substr(0, colon));
  auto b = parse_endpoint(cells.substr(colon + 1));
  if (!a || !b) return false;
  // "1:A" mixes a row-only start with a column-only end: Sheets refuses it.
  if ((!a->col && !b->row && a->row && b->col) || (!a->row && !b->col && a->col && b->row)) return false;
  range.start_row = a->row;
  range.start_col = a->col;
  range.end_row = b->row;
  range.end_col = b->col;
  // "A5:A" leaves only the end row open; "A:A" leaves both rows open.
  if (!a->row && b->row) range.start_row = 0;
  if (!a->col && b->col) range.start_col = 0;
  return true;
}

bool looks_like_cell(std::string_view name) {
  std::size_t i = 0;
  while (i < name.size() && is_letter(name[i])) ++i;
  if (i == 0 || i > 3 || i == name.size()) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(i), name.end(), is_ascii_digit);
}

bool looks_like_r1c1(std::string_view name) {
  if (name.empty() || (name[0] != 'R' && name[0] != 'r')) return false;
  std::size_t i = 1;
  while (i < name.size() && is_ascii_digit(name[i])) ++i;
  if (i == name.size() || (name[i] != 'C' && name[i] != 'c')) return false;
  ++i;
  while (i < name.size() && is_ascii_digit(name[i])) ++i;
  return i == name.size();
}

}  // namespace

std::optional<A1Range> parse_a1(std::string_view text) {
  A1Range range;
  std::string_view cells;
  bool has_cells = false;
  if (!text.empty() && text[0] == '\'') {
    std::string name;
    std::size_t i = 1;
    bool closed = false;
    while (i < text.size()) {
      char c = text[i];
      if (c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          name += '\'';
          i += 2;
          continue;
        }
        if (i + 1 == text.size() || text[i + 1] == '!') {
          closed = true;
          ++i;
          break;
        }
        // The concepts page shows 'Jon's_Data'!A1:D5 undoubled; accept a lone quote as text.
      }
      name += c;
      ++i;
    }
    if (!closed || name.empty()) return std::nullopt;
    range.sheet = name;
    if (i < text.size()) {
      cells = text.substr(i + 1);
      has_cells = true;
    }
  } else if (auto bang = text.rfind('!'); bang != std::string_view::npos) {
    if (bang == 0) return std::nullopt;
    range.sheet = std::string(text.substr(0, bang));
    cells = text.substr(bang + 1);
    has_cells = true;
  } else {
    if (text.empty()) return std::nullopt;
    A1Range probe;
    if (parse_cells(text, probe)) return probe;
    range.sheet = std::string(text);
  }
  if (!has_cells) {
    range.whole_sheet = true;
    return range;
  }
  if (cells.empty() || !parse_cells(cells, range)) return std::nullopt;
  return range;
}

std::optional<GridBox> bind_range(const A1Range& range, int rows, int cols, GridFit fit) {
  GridBox box{0, 0, rows - 1, cols - 1};
  if (range.whole_sheet) return box;
  box.row0 = range.start_row.value_or(0);
  box.col0 = range.start_col.value_or(0);
  box.row1 = range.end_row.value_or(rows - 1);
  box.col1 = range.end_col.value_or(cols - 1);
  if (box.row0 > box.row1) std::swap(box.row0, box.row1);
  if (box.col0 > box.col1) std::swap(box.col0, box.col1);
  if (fit == GridFit::within && (box.row1 >= rows || box.col1 >= cols)) return std::nullopt;
  return box;
}

std::string column_letters(int col) {
  std::string out;
  int n = col + 1;
  while (n > 0) {
    int rem = (n - 1) % 26;
    out.insert(out.begin(), static_cast<char>('A' + rem));
    n = (n - 1) / 26;
  }
  return out;
}

std::string quote_sheet_name(std::string_view title) {
  bool plain = !title.empty() && !is_ascii_digit(title[0]) &&
               std::all_of(title.begin(), title.end(), [](char c) { return is_letter(c) || is_ascii_digit(c) || c == '_'; });
  if (plain && !looks_like_cell(title) && !looks_like_r1c1(title)) return std::string(title);
  std::string out = "'";
  for (char c : title) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

std::string format_range(std::string_view title, const GridBox& box) {
  std::string out = quote_sheet_name(title) + "!" + column_letters(box.col0) + std::to_string(box.row0 + 1);
  if (box.rows() == 1 && box.cols() == 1) return out;
  return out + ":" + column_letters(box.col1) + std::to_string(box.row1 + 1);
}

}  // namespace pinsync_sandbox

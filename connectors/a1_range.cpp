#include "connectors/a1_range.h"

#include <charconv>

namespace pinsync::connectors {

namespace {

constexpr int k_max_letters = 7;  // far beyond the API's 18,278 columns, below int overflow
constexpr int k_max_row = 100'000'000;
// In a range, at most three letters name a column (ZZZ is past the API's last column), so
// "Sheet1" reads as a sheet title, as it does for Google.
constexpr std::size_t k_max_range_letters = 3;

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "A1", "A", "12" (an optional $ before each part is accepted, as in formulas).
std::optional<A1Point> parse_point(std::string_view text) {
  A1Point point;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '$') ++i;
  const std::size_t letters_start = i;
  while (i < text.size() && is_letter(text[i])) ++i;
  if (i - letters_start > k_max_range_letters) return std::nullopt;
  if (i > letters_start) {
    point.column = column_index(text.substr(letters_start, i - letters_start));
    if (!point.column) return std::nullopt;
  }
  if (i < text.size() && text[i] == '$' && point.column) ++i;
  const std::size_t digits_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i != text.size()) return std::nullopt;
  if (i > digits_start) {
    int row = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + digits_start, text.data() + i, row);
    if (ec != std::errc{} || ptr != text.data() + i || row < 1 || row > k_max_row) return std::nullopt;
    point.row = row;
  }
  if (!point.column && !point.row) return std::nullopt;
  return point;
}

std::string format_point(const A1Point& point) {
  std::string out;
  if (point.column) out += column_letters(*point.column);
  if (point.row) out += std::to_string(*point.row);
  return out;
}

struct Cells {
  std::optional<A1Point> start;
  std::optional<A1Point> end;
};

// A cell part is one point, or two points of the same shape family: A1:B2, A:B, 1:2,
// and the open-ended A5:A / A:A5 the API also accepts.
std::optional<Cells> parse_cells(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    auto point = parse_point(text);
    if (!point || !point->column || !point->row) return std::nullopt;  // "A" or "5" alone is not a range
    return Cells{point, std::nullopt};
  }
  auto start = parse_point(text.substr(0, colon));
  auto end = parse_point(text.substr(colon + 1));
  if (!start || !end) return std::nullopt;
  // Rows pair with rows (1:2); anything starting with a column ends with one (A:A, A5:K).
  if (start->column.has_value() != end->column.has_value()) return std::nullopt;
  return Cells{start, end};
}

Error bad(std::string_view text, std::string_view why) {
  return Error{ErrorKind::config, "range \"" + std::string(text) + "\": " + std::string(why)};
}

}  // namespace

std::string column_letters(int index) {
  if (index < 0) return "";
  std::string out;
  long n = static_cast<long>(index) + 1;
  while (n > 0) {
    const long rem = (n - 1) % 26;
    out.insert(out.begin(), static_cast<char>('A' + rem));
    n = (n - 1) / 26;
  }
  return out;
}

std::optional<int> column_index(std::string_view letters) {
  if (letters.empty() || letters.size() > static_cast<std::size_t>(k_max_letters)) return std::nullopt;
  long value = 0;
  for (char c : letters) {
    if (!is_letter(c)) return std::nullopt;
    const char upper = (c >= 'a') ? static_cast<char>(c - 'a' + 'A') : c;
    value = value * 26 + (upper - 'A' + 1);
  }
  return static_cast<int>(value - 1);
}

std::string quote_sheet_title(std::string_view title) {
  std::string out = "'";
  for (char c : title) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

Result<A1Range> parse_a1_range(std::string_view text) {
  if (text.empty()) return std::unexpected(bad(text, "is empty: give a sheet title or an A1 range"));
  A1Range range;
  std::string_view cells_text;
  bool have_cells_text = false;

  if (text.front() == '\'') {
    std::size_t i = 1;
    bool closed = false;
    while (i < text.size()) {
      if (text[i] == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          range.sheet += '\'';
          i += 2;
          continue;
        }
        if (i + 1 == text.size() || text[i + 1] == '!') {
          closed = true;
          ++i;
          break;
        }
      }
      range.sheet += text[i];
      ++i;
    }
    if (!closed) return std::unexpected(bad(text, "the quoted sheet title is never closed: end it with '"));
    if (range.sheet.empty()) return std::unexpected(bad(text, "the sheet title is empty"));
    if (i < text.size()) {
      cells_text = text.substr(i + 1);
      have_cells_text = true;
    }
  } else if (const auto bang = text.rfind('!'); bang != std::string_view::npos) {
    range.sheet = std::string(text.substr(0, bang));
    if (range.sheet.empty()) return std::unexpected(bad(text, "the sheet title before ! is empty"));
    cells_text = text.substr(bang + 1);
    have_cells_text = true;
  } else if (auto cells = parse_cells(text)) {
    range.start = cells->start;
    range.end = cells->end;
    return range;
  } else {
    range.sheet = std::string(text);
    return range;
  }

  if (have_cells_text) {
    auto cells = parse_cells(cells_text);
    if (!cells) {
      return std::unexpected(bad(text, "\"" + std::string(cells_text) +
                                           "\" is not a cell range: write it like A1:K, A:A, A2:K100 or 1:5"));
    }
    range.start = cells->start;
    range.end = cells->end;
  }
  if (range.start && range.end) {
    const auto& s = *range.start;
    const auto& e = *range.end;
    if ((s.column && e.column && *e.column < *s.column) || (s.row && e.row && *e.row < *s.row))
      return std::unexpected(bad(text, "the range ends before it starts: put the top-left cell first"));
  }
  return range;
}

std::string format_a1_range(const A1Range& range) {
  std::string out;
  if (!range.sheet.empty()) out = quote_sheet_title(range.sheet);
  if (!range.start) return out;
  if (!out.empty()) out += '!';
  out += format_point(*range.start);
  if (range.end) {
    out += ':';
    out += format_point(*range.end);
  }
  return out;
}

std::string a1_cell(std::string_view sheet, int column, int row) {
  return quote_sheet_title(sheet) + '!' + column_letters(column) + std::to_string(row);
}

std::string a1_row_run(std::string_view sheet, int first_column, int last_column, int row) {
  std::string out = a1_cell(sheet, first_column, row);
  if (last_column != first_column) out += ':' + column_letters(last_column) + std::to_string(row);
  return out;
}

}  // namespace pinsync::connectors

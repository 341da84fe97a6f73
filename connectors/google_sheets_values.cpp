#include "connectors/google_sheets_values.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

namespace pinsync::connectors::sheets {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

bool is_blank(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return is_space(c); });
}

// UNFORMATTED_VALUE cells are JSON strings, numbers (serial dates included) and booleans;
// the mapper reads them back from these exact spellings.
std::string cell_text(simdjson::dom::element cell) {
  switch (cell.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (cell.get(s) == simdjson::SUCCESS) return std::string(s);
      return "";
    }
    case simdjson::dom::element_type::INT64: {
      std::int64_t n = 0;
      if (cell.get(n) == simdjson::SUCCESS) return std::to_string(n);
      return "";
    }
    case simdjson::dom::element_type::UINT64: {
      std::uint64_t n = 0;
      if (cell.get(n) == simdjson::SUCCESS) return std::to_string(n);
      return "";
    }
    case simdjson::dom::element_type::DOUBLE: {
      double d = 0;
      if (cell.get(d) != simdjson::SUCCESS) return "";
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
      if (ec != std::errc{}) return "";
      return std::string(buffer, end);
    }
    case simdjson::dom::element_type::BOOL: {
      bool b = false;
      if (cell.get(b) == simdjson::SUCCESS) return b ? "TRUE" : "FALSE";
      return "";
    }
    default:
      return "";
  }
}

Result<SheetRead> parse_value_range(simdjson::dom::object value_range, const A1Range& requested) {
  SheetRead read;
  read.sheet = requested.sheet;
  A1Point start{0, 1};
  if (requested.start) {
    start.column = requested.start->column.value_or(0);
    start.row = requested.start->row.value_or(1);
  }
  // The echoed range says where the values really start (clipped to the grid).
  std::string_view echoed;
  if (value_range["range"].get(echoed) == simdjson::SUCCESS) {
    if (auto parsed = parse_a1_range(echoed); parsed && parsed->start) {
      start.column = parsed->start->column.value_or(*start.column);
      start.row = parsed->start->row.value_or(*start.row);
    }
  }
  read.first_column = *start.column;
  if (requested.end) read.last_row = requested.end->row;
  const std::string where = format_a1_range(requested);

  simdjson::dom::array rows;
  const auto values_error = value_range["values"].get(rows);
  if (values_error != simdjson::SUCCESS && values_error != simdjson::NO_SUCH_FIELD)
    return fail(ErrorKind::invalid, where + ": Google's answer has no readable values");

  bool have_header = false;
  std::size_t width = 0;
  // For columns without a header name: the first sheet row holding data there (0: none).
  std::map<std::size_t, int> unnamed_data;
  int sheet_row = *start.row - 1;
  std::vector<std::string> cells;
  if (values_error == simdjson::SUCCESS) {
    for (simdjson::dom::element row_element : rows) {
      ++sheet_row;
      simdjson::dom::array row;
      if (row_element.get(row) != simdjson::SUCCESS) continue;
      cells.clear();
      bool blank = true;
      for (simdjson::dom::element cell : row) {
        cells.push_back(cell_text(cell));
        if (!is_blank(cells.back())) blank = false;
      }
      if (blank) continue;

      if (!have_header) {
        have_header = true;
        read.header_row = sheet_row;
        width = cells.size();
        std::unordered_map<std::string, std::size_t> seen;
        for (std::size_t c = 0; c < width; ++c) {
          read.table.columns.push_back(trim(cells[c]));
          const std::string& name = read.table.columns.back();
          if (name.empty()) continue;
          if (auto [it, inserted] = seen.emplace(name, c); !inserted) {
            return fail(ErrorKind::invalid,
                        a1_cell(read.sheet, read.first_column + static_cast<int>(c), sheet_row) + ": column \"" +
                            name + "\" appears twice in the header (columns " +
                            column_letters(read.first_column + static_cast<int>(it->second)) + " and " +
                            column_letters(read.first_column + static_cast<int>(c)) + "): rename one of them");
          }
        }
        continue;
      }

      for (std::size_t c = 0; c < cells.size(); ++c) {
        const bool unnamed = c >= width || read.table.columns[c].empty();
        if (unnamed && !is_blank(cells[c])) unnamed_data.try_emplace(c, sheet_row);
      }
      cells.resize(width);  // Google drops trailing empty cells: pad them back
      Row& out = read.table.rows.emplace_back();
      out.row_ref = a1_cell(read.sheet, read.first_column, sheet_row);
      out.cells = std::move(cells);  // moved, not copied: each long cell allocated once
      cells.clear();
      cells.reserve(width);
      read.sheet_rows.push_back(sheet_row);
    }
  }
  if (!have_header) {
    return fail(ErrorKind::invalid, where + " has no header row (the range is empty): put the column names in "
                                            "its first row");
  }
  if (!unnamed_data.empty()) {
    std::string list;
    for (const auto& [c, row] : unnamed_data) {
      if (!list.empty()) list += ", ";
      list += column_letters(read.first_column + static_cast<int>(c)) + " (first at " +
              a1_cell(read.sheet, read.first_column + static_cast<int>(c), row) + ")";
    }
    return fail(ErrorKind::invalid, where + ": column" + (unnamed_data.size() > 1 ? "s " : " ") + list +
                                        " hold data but have no header name in row " +
                                        std::to_string(read.header_row) +
                                        ": name them in the header row or clear that data");
  }
  return read;
}

std::optional<std::size_t> find_column(const Table& table, std::string_view name) {
  const std::string wanted = trim(name);
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (table.columns[c] == wanted) return c;
  }
  return std::nullopt;
}


}  // namespace pinsync::connectors::sheets

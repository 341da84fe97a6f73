// The structural half of SheetsStore: spreadsheets.batchUpdate's insertDimension,
// deleteDimension, appendDimension and updateSheetProperties (hidden, title), the partner edits
// armed with before_next_write(), and values.append / values.clear, which need to know where a
// sheet's data lies. Messages are Google's (docs/sandbox.md, "Structure of a sheet").
#include <algorithm>
#include <set>

#include "sandbox/google/sheets_store.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

// Sheet titles are unique regardless of case.
bool same_title(std::string_view a, std::string_view b) { return iequals(a, b); }

// Google caps a spreadsheet at ten million cells, all sheets together.
constexpr std::int64_t k_max_cells = 10'000'000;

bool empty_cell(const std::vector<std::vector<Cell>>& rows, int r, int c) {
  if (r < 0 || static_cast<std::size_t>(r) >= rows.size()) return true;
  const auto& row = rows[static_cast<std::size_t>(r)];
  return c < 0 || static_cast<std::size_t>(c) >= row.size() || row[static_cast<std::size_t>(c)].empty();
}

}  // namespace

std::string_view StructuralChange::name() const {
  switch (kind) {
    case Kind::insert_dimension: return "insertDimension";
    case Kind::delete_dimension: return "deleteDimension";
    case Kind::append_dimension: return "appendDimension";
    case Kind::update_sheet_properties: return "updateSheetProperties";
  }
  return "insertDimension";
}

std::int64_t SheetsStore::cells_after(const Spreadsheet& s, const Tab& grown, bool rows, std::int64_t added) {
  std::int64_t total = 0;
  for (const Tab& t : s.tabs) {
    std::int64_t r = t.row_count, c = t.column_count;
    if (&t == &grown) (rows ? r : c) += added;
    total += r * c;
  }
  return total;
}

std::expected<void, std::string> SheetsStore::apply_changes(Spreadsheet& s, const std::vector<StructuralChange>& changes) {
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const StructuralChange& c = changes[i];
    auto tab = std::find_if(s.tabs.begin(), s.tabs.end(), [&](const Tab& t) { return t.sheet_id == c.sheet_id; });
    std::expected<void, std::string> done;
    if (tab == s.tabs.end()) {
      done = std::unexpected("No grid with id: " + std::to_string(c.sheet_id));
    } else if (c.kind == StructuralChange::Kind::update_sheet_properties) {
      done = update_properties(s, *tab, c);
    } else {
      done = resize(s, *tab, c);
    }
    if (!done) return std::unexpected("Invalid requests[" + std::to_string(i) + "]." + std::string(c.name()) + ": " + done.error());
  }
  return {};
}

std::expected<void, std::string> SheetsStore::resize(Spreadsheet& s, Tab& tab, const StructuralChange& c) {
  const bool rows = c.dimension == Dimension::rows;
  const std::int64_t size = rows ? tab.row_count : tab.column_count;
  const std::string unit = rows ? "row" : "column";
  if (c.kind == StructuralChange::Kind::append_dimension) {
    if (c.length <= 0) return std::unexpected(std::string("length must be greater than 0"));
    if (cells_after(s, tab, rows, c.length) > k_max_cells) return std::unexpected(std::string("above the limit of 10000000 cells."));
    (rows ? tab.row_count : tab.column_count) += static_cast<int>(c.length);
    return {};
  }
  if (!c.start) return std::unexpected(std::string("range.startIndex must be set"));
  if (!c.end) return std::unexpected(std::string("range.endIndex must be set"));
  if (*c.start < 0 || *c.end < 0) return std::unexpected(std::string("DimensionRange indexes must be >= 0"));
  if (*c.end <= *c.start) return std::unexpected(std::string("range.endIndex must be greater than range.startIndex"));
  const auto start = static_cast<std::size_t>(*c.start);
  const auto count = static_cast<std::size_t>(*c.end - *c.start);
  if (c.kind == StructuralChange::Kind::insert_dimension) {
    if (!c.inherit_from_before && *c.start >= size) {
      return std::unexpected("range.startIndex must be less than the grid size (" + std::to_string(size) +
                             ") if inheritFromBefore is false.");
    }
    if (c.inherit_from_before && *c.start == 0) {
      return std::unexpected(std::string("range.startIndex must be greater than 0 if inheritFromBefore is true."));
    }
    if (*c.start > size) {
      return std::unexpected("range.startIndex must be less than or equal to the grid size (" + std::to_string(size) + ")");
    }
    if (cells_after(s, tab, rows, static_cast<std::int64_t>(count)) > k_max_cells) {
      return std::unexpected(std::string("above the limit of 10000000 cells."));
    }
    if (rows) {
      if (start < tab.rows.size()) tab.rows.insert(tab.rows.begin() + static_cast<std::ptrdiff_t>(start), count, {});
    } else {
      for (auto& row : tab.rows) {
        if (start < row.size()) row.insert(row.begin() + static_cast<std::ptrdiff_t>(start), count, Cell{});
      }
    }
    (rows ? tab.row_count : tab.column_count) += static_cast<int>(count);
    return {};
  }
  if (*c.end > size) {
    return std::unexpected("Cannot delete a " + unit + " that doesn't exist. Tried to delete " + unit + " index " +
                           std::to_string(*c.end - 1) + " but there are only " + std::to_string(size) + " " + unit + "s.");
  }
  if (*c.start == 0 && *c.end == size) return std::unexpected("Sorry, it is not possible to delete all non-frozen " + unit + "s.");
  auto erase = [&](auto& list) {
    if (start >= list.size()) return;
    auto last = std::min(list.size(), start + count);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(start), list.begin() + static_cast<std::ptrdiff_t>(last));
  };
  if (rows) {
    erase(tab.rows);
  } else {
    for (auto& row : tab.rows) erase(row);
  }
  (rows ? tab.row_count : tab.column_count) -= static_cast<int>(count);
  return {};
}

std::expected<void, std::string> SheetsStore::update_properties(Spreadsheet& s, Tab& tab, const StructuralChange& c) {
  if (c.title) {
    if (c.title->empty()) return std::unexpected(std::string("Sheet title cannot be empty."));
    for (const Tab& other : s.tabs) {
      if (&other != &tab && same_title(other.title, *c.title)) {
        return std::unexpected("A sheet with the name \"" + *c.title + "\" already exists. Please enter another name.");
      }
    }
    tab.title = *c.title;
  }
  if (c.hidden) {
    tab.hidden = *c.hidden;
    if (std::all_of(s.tabs.begin(), s.tabs.end(), [](const Tab& t) { return t.hidden; })) {
      return std::unexpected(std::string("You can't hide all the sheets in a document."));
    }
  }
  return {};
}

std::expected<void, std::string> SheetsStore::restructure(std::string_view id,
                                                          const std::vector<StructuralChange>& changes) {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return {};
  // All or nothing: work on a copy.
  Spreadsheet next = it->second;
  if (auto ok = apply_changes(next, changes); !ok) return ok;
  it->second = std::move(next);
  record_change(it->second);
  return {};
}

std::expected<void, std::string> SheetsStore::before_next_write(std::string_view id,
                                                                std::vector<StructuralChange> changes) {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::unexpected(std::string("no spreadsheet ") + std::string(id));
  Spreadsheet probe = it->second;
  if (auto ok = apply_changes(probe, changes); !ok) return ok;
  auto& pending = it->second.before_next_write;
  pending.insert(pending.end(), changes.begin(), changes.end());
  return {};
}

bool SheetsStore::run_before_next_write(Spreadsheet& s) {
  if (s.before_next_write.empty()) return false;
  std::vector<StructuralChange> changes = std::move(s.before_next_write);
  s.before_next_write.clear();
  Spreadsheet next = s;
  if (!apply_changes(next, changes)) return false;
  s = std::move(next);
  return true;
}

std::optional<GridBox> SheetsStore::data_table(const Tab& tab, const GridBox& box) {
  auto row_has_data = [&](int r) {
    for (int c = box.col0; c <= box.col1; ++c) {
      if (!empty_cell(tab.rows, r, c)) return true;
    }
    return false;
  };
  const int stored_rows = static_cast<int>(tab.rows.size());
  int first = -1;
  for (int r = box.row0; r <= std::min(box.row1, stored_rows - 1) && first < 0; ++r) {
    if (row_has_data(r)) first = r;
  }
  if (first < 0) return std::nullopt;
  int last = first;
  while (last + 1 <= box.row1 && row_has_data(last + 1)) ++last;
  int col_min = box.col1, col_max = box.col0;
  for (int r = first; r <= last; ++r) {
    for (int c = box.col0; c <= box.col1; ++c) {
      if (empty_cell(tab.rows, r, c)) continue;
      col_min = std::min(col_min, c);
      col_max = std::max(col_max, c);
    }
  }
  return GridBox{first, col_min, last, col_max};
}

std::expected<AppendResult, std::string> SheetsStore::append(std::string_view id, const CellWrite& w, bool insert_rows) {
  std::lock_guard lock(m_mutex);
  AppendResult result;
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return result;
  Spreadsheet& s = it->second;
  if (run_before_next_write(s)) record_change(s);
  auto bound = resolve(s, w.range);
  if (!bound) return std::unexpected("Unable to parse range: " + w.range);
  Tab& tab = s.tabs[bound->tab];
  auto box = bind_range(bound->range, tab.row_count, tab.column_count, GridFit::within);
  if (!box) return std::unexpected("Unable to parse range: " + w.range);

  int at_row = box->row0, at_col = box->col0;
  if (auto table = data_table(tab, *box)) {
    result.table_range = format_range(tab.title, *table);
    at_row = table->row1 + 1;
    at_col = table->col0;
  }

  // values[a][b]: a is the row (ROWS) or the column (COLUMNS).
  const int outer = static_cast<int>(w.values.size());
  int inner = 0;
  for (const auto& line : w.values) inner = std::max(inner, static_cast<int>(line.size()));
  const int rows_written = w.major == Dimension::rows ? outer : inner;
  const int cols_written = w.major == Dimension::rows ? inner : outer;
  if (at_row + rows_written > k_max_sheet_rows || at_col + cols_written > k_max_sheet_columns) {
    return std::unexpected("Unable to parse range: " + w.range);
  }
  if (insert_rows && rows_written > 0) {
    if (static_cast<std::size_t>(at_row) < tab.rows.size()) {
      tab.rows.insert(tab.rows.begin() + at_row, static_cast<std::size_t>(rows_written), {});
    }
    tab.row_count += rows_written;
  }
  for (std::size_t a = 0; a < w.values.size(); ++a) {
    for (std::size_t b = 0; b < w.values[a].size(); ++b) {
      const auto& value = w.values[a][b];
      if (!value) continue;
      auto r = static_cast<std::size_t>(at_row + static_cast<int>(w.major == Dimension::rows ? a : b));
      auto c = static_cast<std::size_t>(at_col + static_cast<int>(w.major == Dimension::rows ? b : a));
      if (tab.rows.size() <= r) tab.rows.resize(r + 1);
      if (tab.rows[r].size() <= c) tab.rows[r].resize(c + 1);
      tab.rows[r][c] = *value;
      ++result.area.cells;
    }
  }
  tab.row_count = std::max(tab.row_count, at_row + rows_written);
  tab.column_count = std::max(tab.column_count, at_col + cols_written);
  if (rows_written > 0 && cols_written > 0) {
    GridBox written{at_row, at_col, at_row + rows_written - 1, at_col + cols_written - 1};
    result.area.updated_range = format_range(tab.title, written);
    result.area.rows = rows_written;
    result.area.columns = cols_written;
  } else {
    result.area.updated_range = format_range(tab.title, GridBox{at_row, at_col, at_row, at_col});
  }
  record_change(s);
  return result;
}

std::expected<std::optional<std::string>, std::string> SheetsStore::clear(std::string_view id, std::string_view range) {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::optional<std::string>();
  Spreadsheet& s = it->second;
  if (run_before_next_write(s)) record_change(s);
  auto bound = resolve(s, range);
  if (!bound) return std::unexpected("Unable to parse range: " + std::string(range));
  Tab& tab = s.tabs[bound->tab];
  auto box = bind_range(bound->range, tab.row_count, tab.column_count, GridFit::within);
  if (!box) return std::unexpected("Unable to parse range: " + std::string(range));
  for (int r = box->row0; r <= box->row1 && static_cast<std::size_t>(r) < tab.rows.size(); ++r) {
    auto& row = tab.rows[static_cast<std::size_t>(r)];
    for (int c = box->col0; c <= box->col1 && static_cast<std::size_t>(c) < row.size(); ++c) {
      row[static_cast<std::size_t>(c)] = Cell{};
    }
  }
  record_change(s);
  return std::optional<std::string>(format_range(tab.title, *box));
}

}  // namespace pinsync_sandbox

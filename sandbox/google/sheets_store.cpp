#include "sandbox/google/sheets_store.h"

#include <algorithm>
#include <functional>
#include <set>

#include <date/tz.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

// Sheets after the first get large ids in real spreadsheets (1613166149); keep them stable
// across runs so a test can pin them.
std::int64_t tab_id(std::string_view spreadsheet_id, std::string_view title, std::size_t index) {
  if (index == 0) return 0;
  std::size_t h = std::hash<std::string>{}(std::string(spreadsheet_id) + "\x1f" + std::string(title));
  return static_cast<std::int64_t>(h % 2000000000u) + 1;
}

std::expected<Cell, std::string> typed_cell(const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::null:
      return Cell{};
    case JsonType::string:
      return cell_from_user_entered(v.extract<std::string>());
    case JsonType::boolean:
      return cell_from_bool(v.extract<bool>());
    case JsonType::integer:
    case JsonType::number:
      if (auto n = as_number(v)) return cell_from_number(*n);
      return std::unexpected(std::string("a number out of range"));
    case JsonType::object: {
      // {"formula":"=SUM(B2:B9)","value":42}: a formula the emulator cannot compute, with the
      // value Sheets would show (typed as in the grid).
      auto o = v.extract<Poco::JSON::Object::Ptr>();
      auto formula = o->get("formula");
      auto value = o->get("value");
      if (o->size() != 2 || json_type(formula) != JsonType::string || !formula.extract<std::string>().starts_with("=") ||
          json_type(value) == JsonType::object || json_type(value) == JsonType::array || json_type(value) == JsonType::null) {
        return std::unexpected(std::string("a formula cell is {\"formula\":\"=…\",\"value\":string|number|boolean}"));
      }
      auto cell = typed_cell(value);
      if (!cell) return cell;
      if (!cell->formula.empty()) {
        return std::unexpected(std::string("a formula cell's value is its result, not another formula"));
      }
      cell->formula = formula.extract<std::string>();
      cell->entered_json = canonical_json(v);
      return cell;
    }
    default:
      return std::unexpected(std::string("a cell must be a string, number, boolean, null or {\"formula\",\"value\"}"));
  }
}

std::expected<std::vector<std::vector<Cell>>, std::string> typed_rows(const std::string& title,
                                                                      const Poco::Dynamic::Var& v) {
  if (json_type(v) != JsonType::array) return std::unexpected("sheet \"" + title + "\" must be an array of rows");
  auto rows = v.extract<Poco::JSON::Array::Ptr>();
  std::vector<std::vector<Cell>> out;
  for (unsigned r = 0; r < rows->size(); ++r) {
    auto row_var = rows->get(r);
    if (json_type(row_var) != JsonType::array) {
      return std::unexpected("sheet \"" + title + "\" row " + std::to_string(r + 1) + " must be an array of cells");
    }
    auto row = row_var.extract<Poco::JSON::Array::Ptr>();
    std::vector<Cell> cells;
    for (unsigned c = 0; c < row->size(); ++c) {
      auto cell = typed_cell(row->get(c));
      if (!cell) {
        return std::unexpected("sheet \"" + title + "\" cell " + column_letters(static_cast<int>(c)) +
                               std::to_string(r + 1) + ": " + cell.error());
      }
      cells.push_back(std::move(*cell));
    }
    out.push_back(std::move(cells));
  }
  return out;
}

std::expected<void, std::string> add_share(std::map<std::string, Access>& shares, const Poco::Dynamic::Var& entry,
                                           Access default_access) {
  if (json_type(entry) == JsonType::string) {
    shares[ascii_lower(entry.extract<std::string>())] = default_access;
    return {};
  }
  if (json_type(entry) != JsonType::object) {
    return std::unexpected(std::string("shared_with entries are an email or {\"email\":…,\"role\":\"reader\"|\"writer\"}"));
  }
  auto o = entry.extract<Poco::JSON::Object::Ptr>();
  if (json_type(o->get("email")) != JsonType::string) return std::unexpected(std::string("shared_with entry without email"));
  std::string role = json_type(o->get("role")) == JsonType::string ? o->getValue<std::string>("role") : "writer";
  Access access = Access::write;
  if (role == "reader" || role == "commenter") {
    access = Access::read;
  } else if (role != "writer" && role != "owner") {
    return std::unexpected("shared_with role \"" + role + "\" is not reader, commenter, writer or owner");
  }
  shares[ascii_lower(o->getValue<std::string>("email"))] = access;
  return {};
}

const Cell* cell_at(const std::vector<std::vector<Cell>>& rows, int r, int c) {
  if (r < 0 || static_cast<std::size_t>(r) >= rows.size()) return nullptr;
  const auto& row = rows[static_cast<std::size_t>(r)];
  if (c < 0 || static_cast<std::size_t>(c) >= row.size()) return nullptr;
  return &row[static_cast<std::size_t>(c)];
}

bool filled(const std::vector<std::vector<Cell>>& rows, int r, int c) {
  const Cell* cell = cell_at(rows, r, c);
  return cell != nullptr && !cell->empty();
}

}  // namespace

std::expected<void, std::string> SheetsStore::put(std::string_view id, std::string_view body) {
  // parse_json_object bounds the nesting; the second parse keeps the sheets' key order, which
  // decides which sheet is first.
  if (auto checked = parse_json_object(body); !checked) return std::unexpected(checked.error());
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    root = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return std::unexpected("malformed JSON: " + e.displayText());
  }
  Spreadsheet s;
  s.title = json_type(root->get("title")) == JsonType::string ? root->getValue<std::string>("title") : std::string(id);
  if (root->has("time_zone")) {
    if (json_type(root->get("time_zone")) != JsonType::string) return std::unexpected(std::string("time_zone must be a string"));
    s.time_zone = root->getValue<std::string>("time_zone");
    try {
      (void)date::locate_zone(s.time_zone);
    } catch (const std::exception&) {
      return std::unexpected("unknown time zone \"" + s.time_zone + "\"; use an IANA name such as America/New_York");
    }
  }
  if (root->has("public")) {
    if (json_type(root->get("public")) != JsonType::boolean) return std::unexpected(std::string("public must be true or false"));
    s.is_public = root->getValue<bool>("public");
  }
  for (const char* list : {"shared_with", "writable_by"}) {
    if (!root->has(list)) continue;
    if (json_type(root->get(list)) != JsonType::array) return std::unexpected(std::string(list) + " must be an array");
    auto entries = root->getArray(list);
    for (unsigned i = 0; i < entries->size(); ++i) {
      auto added = add_share(s.shares, entries->get(i), Access::write);
      if (!added) return std::unexpected(added.error());
    }
  }
  auto sheets = root->get("sheets");
  if (json_type(sheets) != JsonType::object) {
    return std::unexpected(std::string("sheets must be an object: {\"Sheet title\": [[row cells…], …]}"));
  }
  auto sheets_obj = sheets.extract<Poco::JSON::Object::Ptr>();
  Poco::JSON::Object::Ptr grids;
  if (root->has("grid")) {
    if (json_type(root->get("grid")) != JsonType::object) {
      return std::unexpected(std::string("grid must be an object: {\"Sheet title\": {\"rows\": N, \"columns\": M}}"));
    }
    grids = root->getObject("grid");
    for (const std::string& title : grids->getNames()) {
      if (!sheets_obj->has(title)) return std::unexpected("grid names sheet \"" + title + "\", which sheets does not have");
    }
  }
  std::set<std::string> seen;
  for (const std::string& title : sheets_obj->getNames()) {
    if (title.empty()) return std::unexpected(std::string("a sheet title must not be empty"));
    if (!seen.insert(ascii_lower(title)).second) return std::unexpected("sheet title \"" + title + "\" is used twice");
    auto rows = typed_rows(title, sheets_obj->get(title));
    if (!rows) return std::unexpected(rows.error());
    Tab tab;
    tab.title = title;
    tab.sheet_id = tab_id(id, title, s.tabs.size());
    tab.rows = std::move(*rows);
    if (grids && grids->has(title)) {
      auto size = grids->get(title);
      auto g = json_type(size) == JsonType::object ? size.extract<Poco::JSON::Object::Ptr>() : Poco::JSON::Object::Ptr();
      auto rows_n = g ? as_integer(g->get("rows")) : std::nullopt;
      auto cols_n = g ? as_integer(g->get("columns")) : std::nullopt;
      if (!rows_n || !cols_n || *rows_n < 1 || *cols_n < 1 || *rows_n > k_max_sheet_rows || *cols_n > k_max_sheet_columns) {
        return std::unexpected("grid of \"" + title + "\" must be {\"rows\": 1..10000000, \"columns\": 1..18278}");
      }
      tab.row_count = static_cast<int>(*rows_n);
      tab.column_count = static_cast<int>(*cols_n);
    }
    // The grid always holds the data given.
    tab.row_count = std::max<int>(tab.row_count, static_cast<int>(tab.rows.size()));
    for (const auto& row : tab.rows) tab.column_count = std::max<int>(tab.column_count, static_cast<int>(row.size()));
    s.tabs.push_back(std::move(tab));
  }
  if (s.tabs.empty()) return std::unexpected(std::string("sheets must name at least one sheet"));
  if (root->has("hidden")) {
    if (json_type(root->get("hidden")) != JsonType::array) {
      return std::unexpected(std::string("hidden must be an array of sheet titles"));
    }
    auto hidden = root->getArray("hidden");
    for (unsigned i = 0; i < hidden->size(); ++i) {
      auto title = hidden->get(i);
      auto tab = json_type(title) != JsonType::string
                     ? s.tabs.end()
                     : std::find_if(s.tabs.begin(), s.tabs.end(),
                                    [&](const Tab& t) { return t.title == title.extract<std::string>(); });
      if (tab == s.tabs.end()) return std::unexpected(std::string("hidden names a sheet that sheets does not have"));
      tab->hidden = true;
    }
    // Sheets refuses to hide every sheet of a spreadsheet; so does the control route.
    if (std::all_of(s.tabs.begin(), s.tabs.end(), [](const Tab& t) { return t.hidden; })) {
      return std::unexpected(std::string("hidden names every sheet; at least one must stay visible"));
    }
  }
  std::lock_guard lock(m_mutex);
  // Replacing a spreadsheet is a change of the same file: its history goes on.
  if (auto old = m_sheets.find(id); old != m_sheets.end()) s.changes = std::move(old->second.changes);
  record_change(s);
  m_sheets.insert_or_assign(std::string(id), std::move(s));
  return {};
}

std::optional<std::string> SheetsStore::dump(std::string_view id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::nullopt;
  const Spreadsheet& s = it->second;
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id).key("title").value(s.title);
  out.key("time_zone").value(s.time_zone).key("public").value(s.is_public);
  out.key("shared_with").begin_array();
  for (const auto& [email, access] : s.shares) {
    out.begin_object().key("email").value(email).key("role").value(access == Access::write ? "writer" : "reader").end_object();
  }
  out.end_array().key("hidden").begin_array();
  for (const Tab& tab : s.tabs) {
    if (tab.hidden) out.value(tab.title);
  }
  out.end_array().key("before_next_write").value(static_cast<std::int64_t>(s.before_next_write.size()));
  out.key("sheets").begin_object();
  for (const Tab& tab : s.tabs) {
    out.key(tab.title).begin_array();
    int last_row = -1;
    for (std::size_t r = 0; r < tab.rows.size(); ++r) {
      for (const Cell& c : tab.rows[r]) {
        if (!c.empty()) last_row = static_cast<int>(r);
      }
    }
    for (int r = 0; r <= last_row; ++r) {
      const auto& row = tab.rows[static_cast<std::size_t>(r)];
      std::size_t last = row.size();
      while (last > 0 && row[last - 1].empty()) --last;
      out.begin_array();
      for (std::size_t c = 0; c < last; ++c) {
        if (row[c].empty()) {
          out.value("");
        } else {
          out.raw(row[c].entered_json);
        }
      }
      out.end_array();
    }
    out.end_array();
  }
  out.end_object().end_object();
  return out.take();
}

std::string SheetsStore::list() const {
  std::lock_guard lock(m_mutex);
  JsonOut out;
  out.begin_object().key("spreadsheets").begin_array();
  for (const auto& [id, s] : m_sheets) out.value(id);
  out.end_array().end_object();
  return out.take();
}

bool SheetsStore::remove(std::string_view id) {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return false;
  m_sheets.erase(it);
  return true;
}

void SheetsStore::reset() {
  std::lock_guard lock(m_mutex);
  m_sheets.clear();
}

std::optional<Access> SheetsStore::access(std::string_view id, const std::optional<std::string>& email) const {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::nullopt;
  const Spreadsheet& s = it->second;
  Access granted = s.is_public ? Access::read : Access::none;
  if (email) {
    auto share = s.shares.find(ascii_lower(*email));
    if (share != s.shares.end() && share->second > granted) granted = share->second;
  }
  return granted;
}

std::optional<std::string> SheetsStore::metadata(std::string_view id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::nullopt;
  const Spreadsheet& s = it->second;
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id);
  out.key("properties").begin_object().key("title").value(s.title).key("locale").value("en_US");
  out.key("autoRecalc").value("ON_CHANGE").key("timeZone").value(s.time_zone).end_object();
  out.key("sheets").begin_array();
  for (std::size_t i = 0; i < s.tabs.size(); ++i) {
    const Tab& tab = s.tabs[i];
    out.begin_object().key("properties").begin_object();
    out.key("sheetId").value(tab.sheet_id).key("title").value(tab.title).key("index").value(static_cast<int>(i));
    out.key("sheetType").value("GRID").key("gridProperties").begin_object();
    out.key("rowCount").value(tab.row_count).key("columnCount").value(tab.column_count).end_object();
    // Present only when set, after gridProperties, as in the recorded metadata.
    if (tab.hidden) out.key("hidden").value(true);
    out.end_object().end_object();
  }
  out.end_array();
  out.key("spreadsheetUrl").value("https://docs.google.com/spreadsheets/d/" + std::string(id) + "/edit");
  out.end_object();
  return out.take();
}

std::optional<SheetsStore::Bound> SheetsStore::resolve(const Spreadsheet& s, std::string_view text) {
  auto range = parse_a1(text);
  if (!range) return std::nullopt;
  Bound b;
  b.range = *range;
  if (range->sheet) {
    auto it = std::find_if(s.tabs.begin(), s.tabs.end(), [&](const Tab& t) { return t.title == *range->sheet; });
    if (it == s.tabs.end()) return std::nullopt;
    b.tab = static_cast<std::size_t>(it - s.tabs.begin());
  } else {
    // A range without a sheet name means the first *visible* sheet.
    auto it = std::find_if(s.tabs.begin(), s.tabs.end(), [](const Tab& t) { return !t.hidden; });
    b.tab = it == s.tabs.end() ? 0 : static_cast<std::size_t>(it - s.tabs.begin());
  }
  return b;
}

std::string SheetsStore::value_range(const Tab& tab, const GridBox& box, const ReadOptions& options) {
  bool by_rows = options.major == Dimension::rows;
  int outer0 = by_rows ? box.row0 : box.col0, outer1 = by_rows ? box.row1 : box.col1;
  int inner0 = by_rows ? box.col0 : box.row0, inner1 = by_rows ? box.col1 : box.row1;
  auto at = [&](int o, int i) { return by_rows ? filled(tab.rows, o, i) : filled(tab.rows, i, o); };
  // Only rows (columns) up to the last stored one can hold data; no need to scan the grid.
  int stored_outer = by_rows ? static_cast<int>(tab.rows.size()) - 1 : 0;
  if (!by_rows) {
    for (const auto& row : tab.rows) stored_outer = std::max(stored_outer, static_cast<int>(row.size()) - 1);
  }
  int stored_inner = by_rows ? 0 : static_cast<int>(tab.rows.size()) - 1;
  if (by_rows) {
    for (const auto& row : tab.rows) stored_inner = std::max(stored_inner, static_cast<int>(row.size()) - 1);
  }
  std::vector<int> last_inner;
  int last_outer = -1;
  for (int o = outer0; o <= std::min(outer1, stored_outer); ++o) {
    int last = -1;
    for (int i = inner0; i <= std::min(inner1, stored_inner); ++i) {
      if (at(o, i)) last = i;
    }
    last_inner.push_back(last);
    if (last >= 0) last_outer = o;
  }
  JsonOut out;
  out.begin_object().key("range").value(format_range(tab.title, box));
  out.key("majorDimension").value(by_rows ? "ROWS" : "COLUMNS");
  if (last_outer >= 0) {
    out.key("values").begin_array();
    for (int o = outer0; o <= last_outer; ++o) {
      out.begin_array();
      for (int i = inner0; i <= last_inner[static_cast<std::size_t>(o - outer0)]; ++i) {
        const Cell* cell = by_rows ? cell_at(tab.rows, o, i) : cell_at(tab.rows, i, o);
        render_cell(out, cell ? *cell : Cell{}, options.value_render, options.date_render);
      }
      out.end_array();
    }
    out.end_array();
  }
  out.end_object();
  return out.take();
}

std::expected<std::vector<std::string>, std::string> SheetsStore::read(std::string_view id,
                                                                       const std::vector<std::string>& ranges,
                                                                       const ReadOptions& options) const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return out;
  const Spreadsheet& s = it->second;
  for (const std::string& text : ranges) {
    auto bound = resolve(s, text);
    if (!bound) return std::unexpected("Unable to parse range: " + text);
    const Tab& tab = s.tabs[bound->tab];
    auto box = bind_range(bound->range, tab.row_count, tab.column_count, GridFit::within);
    if (!box) {
      auto wide = bind_range(bound->range, tab.row_count, tab.column_count, GridFit::grow);
      std::string shown = wide ? format_range(tab.title, *wide) : text;
      return std::unexpected("Range (" + shown + ") exceeds grid limits. Max rows: " + std::to_string(tab.row_count) +
                             ", max columns: " + std::to_string(tab.column_count));
    }
    out.push_back(value_range(tab, *box, options));
  }
  return out;
}

std::expected<BatchWriteResult, std::string> SheetsStore::write(std::string_view id,
                                                                const std::vector<CellWrite>& writes) {
  std::lock_guard lock(m_mutex);
  BatchWriteResult result;
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return result;
  Spreadsheet& s = it->second;
  if (run_before_next_write(s)) record_change(s);
  struct Placed {
    std::size_t tab;
    int row, col;
    const std::optional<Cell>* value;
  };
  std::vector<Placed> placed;
  std::set<std::pair<std::size_t, int>> rows_touched, cols_touched;
  std::set<std::size_t> tabs_touched;
  // Resolve and bounds-check everything first: a batch is applied whole or not at all.
  for (const CellWrite& w : writes) {
    auto bound = resolve(s, w.range);
    if (!bound) return std::unexpected("Unable to parse range: " + w.range);
    const Tab& tab = s.tabs[bound->tab];
    auto box = bind_range(bound->range, tab.row_count, tab.column_count, GridFit::grow);
    if (!box) return std::unexpected("Unable to parse range: " + w.range);
    // A single cell (or an open end) only anchors the write; a closed range also bounds it.
    bool anchor = bound->range.whole_sheet || (box->rows() == 1 && box->cols() == 1);
    bool row_bounded = !anchor && bound->range.end_row.has_value();
    bool col_bounded = !anchor && bound->range.end_col.has_value();
    UpdatedArea area;
    int max_row = -1, max_col = -1;
    for (std::size_t a = 0; a < w.values.size(); ++a) {
      for (std::size_t b = 0; b < w.values[a].size(); ++b) {
        int r = box->row0 + static_cast<int>(w.major == Dimension::rows ? a : b);
        int c = box->col0 + static_cast<int>(w.major == Dimension::rows ? b : a);
        if (row_bounded && r > box->row1) {
          return std::unexpected("Requested writing within range [" + w.range + "], but tried writing to row [" +
                                 std::to_string(r + 1) + "]");
        }
        if (col_bounded && c > box->col1) {
          return std::unexpected("Requested writing within range [" + w.range + "], but tried writing to column [" +
                                 column_letters(c) + "]");
        }
        if (r >= k_max_sheet_rows || c >= k_max_sheet_columns) return std::unexpected("Unable to parse range: " + w.range);
        placed.push_back({bound->tab, r, c, &w.values[a][b]});
        max_row = std::max(max_row, r);
        max_col = std::max(max_col, c);
        ++area.cells;
        rows_touched.insert({bound->tab, r});
        cols_touched.insert({bound->tab, c});
        tabs_touched.insert(bound->tab);
      }
    }
    if (max_row >= 0) {
      GridBox written{box->row0, box->col0, max_row, max_col};
      area.updated_range = format_range(tab.title, written);
      area.rows = written.rows();
      area.columns = written.cols();
    } else {
      area.updated_range = format_range(tab.title, *box);
    }
    result.areas.push_back(std::move(area));
  }
  for (const Placed& p : placed) {
    Tab& tab = s.tabs[p.tab];
    if (!p.value->has_value()) continue;
    auto r = static_cast<std::size_t>(p.row), c = static_cast<std::size_t>(p.col);
    if (tab.rows.size() <= r) tab.rows.resize(r + 1);
    if (tab.rows[r].size() <= c) tab.rows[r].resize(c + 1);
    tab.rows[r][c] = **p.value;
    tab.row_count = std::max(tab.row_count, p.row + 1);
    tab.column_count = std::max(tab.column_count, p.col + 1);
  }
  record_change(s);
  result.total_rows = static_cast<int>(rows_touched.size());
  result.total_columns = static_cast<int>(cols_touched.size());
  result.total_sheets = static_cast<int>(tabs_touched.size());
  for (const auto& a : result.areas) result.total_cells += a.cells;
  return result;
}

void SheetsStore::record_change(Spreadsheet& s) {
  s.changes.push_back(Change{std::chrono::steady_clock::now(), std::chrono::system_clock::now(), ++m_last_version});
  while (s.changes.size() > k_kept_changes) s.changes.pop_front();
}

std::optional<FileRevision> SheetsStore::revision(std::string_view id, std::chrono::milliseconds lag) const {
  std::lock_guard lock(m_mutex);
  auto it = m_sheets.find(id);
  if (it == m_sheets.end()) return std::nullopt;
  const Spreadsheet& s = it->second;
  // put() records a change before a spreadsheet exists, so there is always one; the guard
  // keeps a broken invariant from reading past the end.
  if (s.changes.empty()) return FileRevision{s.title, m_last_version, std::chrono::system_clock::now()};
  const auto visible_until = std::chrono::steady_clock::now() - lag;
  const Change* shown = &s.changes.front();
  for (const Change& c : s.changes) {
    if (c.at <= visible_until) shown = &c;
  }
  return FileRevision{s.title, shown->version, shown->modified};
}

}  // namespace pinsync_sandbox

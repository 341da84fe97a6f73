#include "connectors/google_sheets.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <unordered_map>

#include "connectors/a1_range.h"
#include "connectors/google_sheets_api.h"
#include "core/json_writer.h"

namespace pinsync::connectors {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

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

struct Metadata {
  std::string time_zone;
  std::vector<std::string> titles;  // in tab order
  std::string first_visible;
};

// A parsed read of the sheet, with where each table cell sits in the sheet.
struct SheetRead {
  Table table;
  std::string sheet;
  int first_column = 0;         // sheet column (0-based) of table column 0
  std::vector<int> sheet_rows;  // sheet row (1-based) of each table row
  int header_row = 1;
};

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

struct CellChange {
  std::size_t row;     // table row
  std::size_t column;  // table column
  std::string value;
};

std::optional<std::size_t> find_column(const Table& table, std::string_view name) {
  const std::string wanted = trim(name);
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (table.columns[c] == wanted) return c;
  }
  return std::nullopt;
}

}  // namespace

struct GoogleSheetsConnector::State {
  GoogleSheetsSettings settings;
  ConnectorContext context;
  SheetsApi api;
  std::optional<Metadata> metadata;
  std::optional<SheetRead> last;

  State(GoogleSheetsSettings s, ConnectorContext c)
      : settings(std::move(s)), context(std::move(c)), api(settings, context) {}

  // Every error leaves through here: a message may quote a URL that holds the API key.
  Error redacted(Error error) const {
    error.message = redact(error.message, api.secrets());
    return error;
  }

  std::string spreadsheet_path() const { return "/v4/spreadsheets/" + http::url_encode(settings.spreadsheet_id); }

  Result<void> load_metadata() {
    if (metadata) return {};
    if (settings.spreadsheet_id.empty()) return fail(ErrorKind::config, "spreadsheet_id is not set");
    const std::string fields = "properties.timeZone,sheets.properties(title,index,hidden)";
    auto body = api.call("GET", spreadsheet_path() + "?fields=" + http::url_encode(fields), "", SheetsCall::metadata);
    if (!body) return std::unexpected(body.error());
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(*body).get(root) != simdjson::SUCCESS)
      return fail(ErrorKind::transient, "spreadsheets.get answered with something that is not JSON");
    Metadata meta;
    std::string_view text;
    if (root["properties"]["timeZone"].get(text) == simdjson::SUCCESS) meta.time_zone = std::string(text);
    simdjson::dom::array sheets;
    if (root["sheets"].get(sheets) == simdjson::SUCCESS) {
      for (auto sheet : sheets) {
        if (sheet["properties"]["title"].get(text) != simdjson::SUCCESS) continue;
        bool hidden = false;
        if (sheet["properties"]["hidden"].get(hidden) != simdjson::SUCCESS) hidden = false;
        meta.titles.emplace_back(text);
        if (!hidden && meta.first_visible.empty()) meta.first_visible = std::string(text);
      }
    }
    if (meta.first_visible.empty() && !meta.titles.empty()) meta.first_visible = meta.titles.front();
    api.set_sheet_titles(meta.titles);
    metadata = std::move(meta);
    return {};
  }

  // The range to read, with the sheet title always filled in and checked against the
  // spreadsheet's sheets.
  Result<A1Range> resolve_range() const {
    A1Range range;
    if (!settings.range.empty()) {
      auto parsed = parse_a1_range(settings.range);
      if (!parsed) return std::unexpected(parsed.error());
      range = std::move(*parsed);
    }
    if (range.sheet.empty()) range.sheet = settings.sheet;
    if (range.sheet.empty()) range.sheet = metadata->first_visible;
    if (std::ranges::find(metadata->titles, range.sheet) == metadata->titles.end()) {
      std::string list;
      for (const auto& t : metadata->titles) list += (list.empty() ? "" : ", ") + quote_sheet_title(t);
      return fail(ErrorKind::config, "spreadsheet " + settings.spreadsheet_id + " has no sheet " +
                                         quote_sheet_title(range.sheet) + " — its sheets are: " + list +
                                         "; set sheet (or range) to one of them");
    }
    return range;
  }

  // One batchGet of the configured range; a config or not-found error forgets the
  // metadata so that a renamed sheet or a fixed id is seen on the next pass.
  Result<SheetRead> read_sheet() {
    if (auto ok = api.ready(); !ok) return std::unexpected(ok.error());
    if (auto ok = load_metadata(); !ok) {
      return std::unexpected(ok.error());
    }
    auto range = resolve_range();
    if (!range) {
      metadata.reset();
      return std::unexpected(range.error());
    }
    const std::string path = spreadsheet_path() + "/values:batchGet?ranges=" + http::url_encode(format_a1_range(*range)) +
                             "&valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER"
                             "&majorDimension=ROWS&prettyPrint=false";
    auto body = api.call("GET", path, "", SheetsCall::read);
    if (!body) {
      if (body.error().kind == ErrorKind::config || body.error().kind == ErrorKind::not_found) metadata.reset();
      return std::unexpected(body.error());
    }
    // With room for simdjson's padding the parser reads the body in place instead of
    // copying all of it first.
    body->reserve(body->size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::parser parser;
    simdjson::dom::object value_range;
    if (parser.parse(*body)["valueRanges"].at(0).get(value_range) != simdjson::SUCCESS)
      return fail(ErrorKind::transient, "values:batchGet answered without a valueRange");
    auto read = parse_value_range(value_range, *range);
    if (read) read->table.time_zone = metadata->time_zone;
    return read;
  }

  // Sends `changes` (cells of `read`) in one values:batchUpdate, one range per run of
  // adjacent cells in a row, and applies them to `read` once Google accepted them.
  Result<int> write_cells(SheetRead& read, std::vector<CellChange> changes, SheetsCall kind) {
    if (changes.empty()) return 0;
    std::ranges::sort(changes, [&](const CellChange& a, const CellChange& b) {
      const int ra = read.sheet_rows[a.row];
      const int rb = read.sheet_rows[b.row];
      return ra != rb ? ra < rb : a.column < b.column;
    });
    json::Writer w;
    w.begin_object().key("valueInputOption").value("RAW").key("data").begin_array();
    std::size_t i = 0;
    while (i < changes.size()) {
      std::size_t j = i + 1;
      while (j < changes.size() && changes[j].row == changes[i].row && changes[j].column == changes[j - 1].column + 1) ++j;
      const int row = read.sheet_rows[changes[i].row];
      const int first = read.first_column + static_cast<int>(changes[i].column);
      const int final_column = read.first_column + static_cast<int>(changes[j - 1].column);
      w.begin_object().key("range").value(a1_row_run(read.sheet, first, final_column, row));
      w.key("majorDimension").value("ROWS").key("values").begin_array().begin_array();
      for (std::size_t k = i; k < j; ++k) w.value(changes[k].value);
      w.end_array().end_array().end_object();
      i = j;
    }
    w.end_array().end_object();
    auto body = api.call("POST", spreadsheet_path() + "/values:batchUpdate", w.take(), kind);
    if (!body) return std::unexpected(body.error());
    for (const auto& change : changes) read.table.rows[change.row].cells[change.column] = change.value;
    return static_cast<int>(changes.size());
  }

  // What write_back() needs to keep of a read `table`: the header, and with write-back
  // configured each row's reference and its ID and write-back cells (other cells empty).
  // Keeping a whole copy doubled the memory of a large pass.
  Table write_back_copy(const Table& table) const {
    Table out;
    out.columns = table.columns;
    out.time_zone = table.time_zone;
    out.complete = table.complete;
    const auto& wb = settings.write_back;
    if (!wb.any()) return out;
    std::vector<std::size_t> wanted;
    for (const std::string* name : {&settings.id_column, &wb.event_id_column, &wb.status_column, &wb.error_column}) {
      if (name->empty()) continue;
      if (const auto c = find_column(table, *name)) wanted.push_back(*c);
    }
    out.rows.reserve(table.rows.size());
    for (const Row& row : table.rows) {
      Row& kept = out.rows.emplace_back();
      kept.row_ref = row.row_ref;
      kept.native_id = row.native_id;
      kept.cells.resize(row.cells.size());
      for (const std::size_t c : wanted) {
        if (c < row.cells.size()) kept.cells[c] = row.cells[c];
      }
    }
    return out;
  }

  // Keeps `read` for write_back(), its table cut down by write_back_copy().
  void remember(SheetRead read, const Table& table) {
    read.table = write_back_copy(table);
    if (!settings.write_back.any()) read.sheet_rows = std::vector<int>();
    last = std::move(read);
  }

  std::vector<std::string> missing_columns(const Table& table) const {
    std::vector<std::string> missing;
    const auto& wb = settings.write_back;
    // The ID column locates rows for write-back and receives assigned IDs.
    for (const std::string* name : {&settings.id_column, &wb.event_id_column, &wb.status_column, &wb.error_column}) {
      if (trim(*name).empty()) continue;
      if (!find_column(table, *name) && std::ranges::find(missing, trim(*name)) == missing.end())
        missing.push_back(trim(*name));
    }
    return missing;
  }
};

GoogleSheetsConnector::GoogleSheetsConnector(GoogleSheetsSettings settings, ConnectorContext context)
    : m_state(std::make_unique<State>(std::move(settings), std::move(context))) {}

GoogleSheetsConnector::~GoogleSheetsConnector() = default;

Result<Table> GoogleSheetsConnector::fetch() {
  auto read = m_state->read_sheet();
  if (!read) return std::unexpected(m_state->redacted(read.error()));
  Table table = std::move(read->table);
  m_state->remember(std::move(*read), table);
  return table;
}

bool GoogleSheetsConnector::writes_back() const { return m_state->settings.write_back.any(); }

bool GoogleSheetsConnector::assigns_ids() const {
  return !m_state->settings.id_column.empty() && m_state->settings.auth.api_key.empty();
}

Result<void> GoogleSheetsConnector::check_write_back_columns(const Table& table) const {
  const auto missing = m_state->missing_columns(table);
  if (missing.empty()) return {};
  std::string list;
  for (const auto& name : missing) list += (list.empty() ? "\"" : ", \"") + name + "\"";
  const std::string sheet = m_state->last ? quote_sheet_title(m_state->last->sheet) : std::string("the sheet");
  return std::unexpected(m_state->redacted(
      Error{ErrorKind::config, "column" + std::string(missing.size() > 1 ? "s " : " ") + list +
                                   " missing from the header of " + sheet +
                                   ": add them to the header row, or change write_back/id_column"}));
}

Result<WriteBackReport> GoogleSheetsConnector::write_back(std::span<const RowResult> results) {
  State& s = *m_state;
  if (!s.settings.write_back.any() || results.empty()) return WriteBackReport{};
  if (!s.last) return std::unexpected(s.redacted(Error{ErrorKind::internal, "write-back before any fetch"}));
  if (auto ok = s.api.ready(); !ok) return std::unexpected(s.redacted(ok.error()));
  if (!s.api.auth().can_write()) {
    return std::unexpected(s.redacted(Error{
        ErrorKind::auth, "write-back failed: an API key can only read — use a service account, or remove write_back"}));
  }
  SheetRead& read = *s.last;
  if (auto ok = check_write_back_columns(read.table); !ok) return std::unexpected(ok.error());

  // Rows are found by their ID in the table just read, never by a position kept from an
  // older pass; an ID seen twice is ambiguous and left alone.
  std::unordered_map<std::string, std::optional<std::size_t>> by_key;
  const auto id_column = s.settings.id_column.empty() ? std::nullopt : find_column(read.table, s.settings.id_column);
  for (std::size_t r = 0; r < read.table.rows.size(); ++r) {
    const std::string key = id_column ? trim(read.table.rows[r].cells[*id_column]) : read.table.rows[r].row_ref;
    if (key.empty()) continue;
    auto [it, inserted] = by_key.emplace(key, r);
    if (!inserted) it->second.reset();
  }

  const auto& wb = s.settings.write_back;
  const std::optional<std::size_t> targets[] = {
      wb.event_id_column.empty() ? std::nullopt : find_column(read.table, wb.event_id_column),
      wb.status_column.empty() ? std::nullopt : find_column(read.table, wb.status_column),
      wb.error_column.empty() ? std::nullopt : find_column(read.table, wb.error_column)};
  std::vector<CellChange> changes;
  std::vector<bool> touched(read.table.rows.size() * read.table.columns.size(), false);
  for (const RowResult& result : results) {
    const std::string key = id_column ? trim(result.source_id) : result.row_ref;
    const auto found = by_key.find(key);
    if (found == by_key.end() || !found->second) continue;
    const std::size_t r = *found->second;
    const std::string* values[] = {&result.event_id, &result.status, &result.error};
    for (std::size_t t = 0; t < 3; ++t) {
      if (!targets[t]) continue;
      const std::size_t c = *targets[t];
      if (touched[r * read.table.columns.size() + c]) continue;
      if (read.table.rows[r].cells[c] == *values[t]) continue;
      touched[r * read.table.columns.size() + c] = true;
      changes.push_back({r, c, *values[t]});
    }
  }
  if (changes.empty()) return WriteBackReport{};
  auto written = s.write_cells(read, std::move(changes), SheetsCall::write_back);
  if (!written) return std::unexpected(s.redacted(written.error()));
  return WriteBackReport{*written, 1};
}

Result<std::vector<IdAssignment>> GoogleSheetsConnector::assign_ids(std::span<const IdAssignment> assignments) {
  State& s = *m_state;
  if (!assigns_ids()) {
    return std::unexpected(s.redacted(Error{ErrorKind::config, "cannot store IDs: that needs id_column and "
                                                            "credentials that can write (not an API key)"}));
  }
  std::vector<IdAssignment> done;
  if (assignments.empty()) return done;
  // Re-read right before writing: the sheet may have changed since fetch().
  auto fresh = s.read_sheet();
  if (!fresh) return std::unexpected(s.redacted(fresh.error()));
  SheetRead& read = *fresh;
  const auto id_column = find_column(read.table, s.settings.id_column);
  if (!id_column) {
    return std::unexpected(s.redacted(Error{ErrorKind::config, "the ID column \"" + trim(s.settings.id_column) +
                                                                "\" is not in the header of " +
                                                                quote_sheet_title(read.sheet) +
                                                                ": add it to the header row"}));
  }
  std::unordered_map<std::string, std::size_t> by_ref;
  for (std::size_t r = 0; r < read.table.rows.size(); ++r) by_ref.emplace(read.table.rows[r].row_ref, r);
  std::vector<bool> claimed(read.table.rows.size(), false);
  const auto same_row = [&](std::size_t r, const IdAssignment& a) {
    const auto& cells = read.table.rows[r].cells;
    if (claimed[r] || !is_blank(cells[*id_column])) return false;
    const std::size_t n = std::max(cells.size(), a.cells.size());
    for (std::size_t c = 0; c < n; ++c) {
      if (c == *id_column) continue;
      const std::string_view mine = c < cells.size() ? std::string_view(cells[c]) : std::string_view();
      const std::string_view theirs = c < a.cells.size() ? std::string_view(a.cells[c]) : std::string_view();
      if (mine != theirs) return false;
    }
    return true;
  };

  std::vector<CellChange> changes;
  for (const IdAssignment& a : assignments) {
    if (trim(a.new_id).empty()) continue;
    std::optional<std::size_t> pick;
    if (auto it = by_ref.find(a.row_ref); it != by_ref.end() && same_row(it->second, a)) {
      pick = it->second;
    } else {
      // The row moved (insert, sort, cut/paste): take it only if exactly one row matches.
      for (std::size_t r = 0; r < read.table.rows.size(); ++r) {
        if (!same_row(r, a)) continue;
        if (pick) {
          pick.reset();
          break;
        }
        pick = r;
      }
    }
    if (!pick) continue;
    claimed[*pick] = true;
    changes.push_back({*pick, *id_column, a.new_id});
    IdAssignment written = a;
    written.row_ref = read.table.rows[*pick].row_ref;
    done.push_back(std::move(written));
  }
  auto written = s.write_cells(read, std::move(changes), SheetsCall::assign_ids);
  if (!written) return std::unexpected(s.redacted(written.error()));
  const Table table = std::move(read.table);
  s.remember(std::move(read), table);
  return done;
}

std::unique_ptr<Connector> make_google_sheets_connector(GoogleSheetsSettings settings, ConnectorContext context) {
  return std::make_unique<GoogleSheetsConnector>(std::move(settings), std::move(context));
}

}  // namespace pinsync::connectors

#include "connectors/google_sheets.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <unordered_map>

#include "connectors/a1_range.h"
#include "connectors/google_sheets_api.h"
#include "connectors/google_sheets_values.h"
#include "core/json_writer.h"

namespace pinsync::connectors {

namespace {

using sheets::cell_text;
using sheets::find_column;
using sheets::is_blank;
using sheets::parse_value_range;
using sheets::SheetRead;
using sheets::trim;

struct Tab {
  std::string title;
  std::int64_t id = 0;  // sheetId: stays with the tab through renames and moves
  bool hidden = false;
};

struct Metadata {
  std::string time_zone;
  std::vector<Tab> tabs;            // in tab order
  std::vector<std::string> titles;  // the same, titles only
  std::string first_visible;

  const Tab* tab_titled(std::string_view title) const {
    for (const Tab& t : tabs) {
      if (t.title == title) return &t;
    }
    return nullptr;
  }
  const Tab* tab_with_id(std::int64_t id) const {
    for (const Tab& t : tabs) {
      if (t.id == id) return &t;
    }
    return nullptr;
  }
};

// The tab a source read, as SourceMemory keeps it under k_tab_key: "spreadsheet\tsheetId\ttitle".
constexpr std::string_view k_tab_key = "google_sheets.tab";

struct RememberedTab {
  std::string spreadsheet_id;
  std::int64_t id = 0;
  std::string title;

  std::string text() const { return spreadsheet_id + '\t' + std::to_string(id) + '\t' + title; }
  static std::optional<RememberedTab> parse(std::string_view text) {
    const auto first = text.find('\t');
    const auto second = first == std::string_view::npos ? first : text.find('\t', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    RememberedTab out;
    out.spreadsheet_id = std::string(text.substr(0, first));
    const auto id = text.substr(first + 1, second - first - 1);
    if (std::from_chars(id.data(), id.data() + id.size(), out.id).ec != std::errc{}) return std::nullopt;
    out.title = std::string(text.substr(second + 1));
    return out;
  }
  bool operator==(const RememberedTab&) const = default;
};

// The table columns of the three write-back cells (event id, status, error), when configured.
using Targets = std::array<std::optional<std::size_t>, 3>;

// A result's three write-back values, in the order of Targets.
std::array<const std::string*, 3> values_of(const RowResult& result) {
  return {&result.event_id, &result.status, &result.error};
}

// The table row of each ID (or row_ref) of a read; nullopt for one seen twice.
using RowsById = std::unordered_map<std::string, std::optional<std::size_t>>;

struct CellChange {
  int sheet_row = 0;       // 1-based row of the sheet the cell is written to
  std::size_t column = 0;  // table column
  std::string value;
  std::optional<std::size_t> table_row;  // the row of the kept read it belongs to, if any
};

}  // namespace

struct GoogleSheetsConnector::State {
  GoogleSheetsSettings settings;
  ConnectorContext context;
  SheetsApi api;
  std::optional<Metadata> metadata;
  std::optional<SheetRead> last;
  // The change gate: Drive's version of the file, asked just before the values of `last`
  // were read, so an edit made after it moves the version past it.
  std::optional<std::string> gate_version;
  // The tab the source read, as its memory holds it (loaded on first use; an empty
  // spreadsheet_id when there is none yet).
  std::optional<RememberedTab> remembered_tab;

  State(GoogleSheetsSettings s, ConnectorContext c)
      : settings(std::move(s)), context(std::move(c)), api(settings, context) {}

  // Every error leaves through here: a message may quote a URL that holds the API key.
  Error redacted(Error error) const {
    error.message = redact(error.message, api.secrets());
    return error;
  }

  std::string spreadsheet_path() const { return "/v4/spreadsheets/" + http::url_encode(settings.spreadsheet_id); }

  // Drive's files.get of the spreadsheet: its version, a number that grows with every
  // change of the file (sent as a string).
  Result<std::string> drive_version() {
    if (settings.spreadsheet_id.empty()) return fail(ErrorKind::config, "spreadsheet_id is not set");
    auto body = api.call("GET", "/drive/v3/files/" + http::url_encode(settings.spreadsheet_id) +
                                    "?fields=version&supportsAllDrives=true&prettyPrint=false",
                         "", SheetsCall::drive_file);
    if (!body) return std::unexpected(body.error());
    simdjson::dom::parser parser;
    std::string_view version;
    if (parser.parse(*body)["version"].get(version) != simdjson::SUCCESS || version.empty())
      return fail(ErrorKind::transient, "the change gate's Drive call answered without the file's version");
    return std::string(version);
  }

  Result<void> load_metadata() {
    if (metadata) return {};
    if (settings.spreadsheet_id.empty()) return fail(ErrorKind::config, "spreadsheet_id is not set");
    const std::string fields = "properties.timeZone,sheets.properties(sheetId,title,index,hidden)";
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
        Tab tab{std::string(text)};
        if (sheet["properties"]["sheetId"].get(tab.id) != simdjson::SUCCESS) tab.id = 0;
        if (sheet["properties"]["hidden"].get(tab.hidden) != simdjson::SUCCESS) tab.hidden = false;
        meta.titles.push_back(tab.title);
        if (!tab.hidden && meta.first_visible.empty()) meta.first_visible = tab.title;
        meta.tabs.push_back(std::move(tab));
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

  // True when the configuration names the tab to read (sheet:, or a sheet in range:).
  bool names_tab() const {
    if (!settings.sheet.empty()) return true;
    if (settings.range.empty()) return false;
    const auto parsed = parse_a1_range(settings.range);
    return parsed && !parsed->sheet.empty();
  }

  // Keeps the tab `range` resolved to in the source's memory, and refuses to read another
  // tab than last time when the configuration names none: the first visible tab changes
  // when a partner hides, moves or deletes one, and reading whatever tab is first would
  // create events from it and write into it. Returns nothing, the memory's error, or
  // Error{config} naming both tabs and the fix.
  Result<void> check_tab(const A1Range& range) {
    if (context.memory == nullptr) return {};
    const Tab* tab = metadata->tab_titled(range.sheet);
    PINSYNC_ASSERT(tab != nullptr);
    if (!remembered_tab) {
      auto text = context.memory->recall(k_tab_key);
      if (!text) return std::unexpected(text.error());
      remembered_tab = *text ? RememberedTab::parse(**text) : std::nullopt;
      if (!remembered_tab) remembered_tab = RememberedTab{};
    }
    const RememberedTab& before = *remembered_tab;
    const bool same_sheet = before.spreadsheet_id == settings.spreadsheet_id;
    if (same_sheet && before.id != tab->id && !names_tab()) return std::unexpected(tab_changed(before, *tab));
    const RememberedTab now{settings.spreadsheet_id, tab->id, tab->title};
    if (now == before) return {};
    if (auto ok = context.memory->remember(k_tab_key, now.text()); !ok) return std::unexpected(ok.error());
    remembered_tab = now;
    return {};
  }

  Error tab_changed(const RememberedTab& before, const Tab& first_visible) const {
    const Tab* old_tab = metadata->tab_with_id(before.id);
    const std::string old_name = quote_sheet_title(old_tab ? old_tab->title : before.title);
    const std::string why = !old_tab            ? old_name + " is no longer in the spreadsheet"
                            : old_tab->hidden   ? old_name + " is hidden now"
                                                : old_name + " is no longer the first visible tab";
    const std::string what = settings.range.empty() ? std::string("neither sheet nor range names a tab")
                                                     : "range " + settings.range + " names no sheet";
    const std::string new_name = quote_sheet_title(first_visible.title);
    A1Range keep;
    if (!settings.range.empty()) {
      if (auto parsed = parse_a1_range(settings.range)) keep = *parsed;
    }
    keep.sheet = old_tab ? old_tab->title : before.title;
    return Error{ErrorKind::config,
                 what + ", so it is read from the first visible tab of the spreadsheet, which is now " + new_name +
                     " — but this source has read " + quote_sheet_title(before.title) + " until now, and " + why +
                     ". Nothing was read or written. To go on with " + old_name + ", set sheet: " + keep.sheet +
                     " (or range: " + format_a1_range(keep) + "); to read " + new_name +
                     " from now on, set sheet: " + first_visible.title};
  }

  // One batchGet of the configured range; a config or not-found error forgets the
  // metadata so that a renamed sheet or a fixed id is seen on the next pass.
  Result<SheetRead> read_sheet() {
    if (auto ok = api.ready(); !ok) return std::unexpected(ok.error());
    if (auto ok = load_metadata(); !ok) {
      return std::unexpected(ok.error());
    }
    auto range = resolve_range();
    if (range) {
      if (auto ok = check_tab(*range); !ok) range = std::unexpected(ok.error());
    }
    if (!range) {
      metadata.reset();  // the next pass sees a renamed, unhidden or moved tab
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

  // Sends `changes` (cells of `read`'s sheet) in one values:batchUpdate, one range per
  // run of adjacent cells in a row, and applies them to `read`'s table once Google
  // accepted them. `changes` is left sorted by row and column.
  Result<int> write_cells(SheetRead& read, std::vector<CellChange>& changes, SheetsCall kind) {
    if (changes.empty()) return 0;
    std::ranges::sort(changes, [](const CellChange& a, const CellChange& b) {
      return a.sheet_row != b.sheet_row ? a.sheet_row < b.sheet_row : a.column < b.column;
    });
    json::Writer w;
    w.begin_object().key("valueInputOption").value("RAW").key("data").begin_array();
    std::size_t i = 0;
    while (i < changes.size()) {
      std::size_t j = i + 1;
      while (j < changes.size() && changes[j].sheet_row == changes[i].sheet_row &&
             changes[j].column == changes[j - 1].column + 1)
        ++j;
      const int first = read.first_column + static_cast<int>(changes[i].column);
      const int final_column = read.first_column + static_cast<int>(changes[j - 1].column);
      w.begin_object().key("range").value(a1_row_run(read.sheet, first, final_column, changes[i].sheet_row));
      w.key("majorDimension").value("ROWS").key("values").begin_array().begin_array();
      for (std::size_t k = i; k < j; ++k) w.value(changes[k].value);
      w.end_array().end_array().end_object();
      i = j;
    }
    w.end_array().end_object();
    auto body = api.call("POST", spreadsheet_path() + "/values:batchUpdate", w.take(), kind);
    if (!body) return std::unexpected(body.error());
    for (const auto& change : changes) {
      if (change.table_row) read.table.rows[*change.table_row].cells[change.column] = change.value;
    }
    return static_cast<int>(changes.size());
  }

  // Reads the ID column of `read`'s range as it is now (one values.get, from the row
  // under the header to the range's end) and returns the trimmed ID of every sheet row
  // that has one, by row.
  Result<std::map<int, std::string>> read_id_column(const SheetRead& read, std::size_t id_column) {
    const int column = read.first_column + static_cast<int>(id_column);
    const A1Range range{read.sheet, A1Point{column, read.header_row + 1}, A1Point{column, read.last_row}};
    const std::string path = spreadsheet_path() + "/values/" + http::url_encode(format_a1_range(range)) +
                             "?valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER"
                             "&majorDimension=ROWS&prettyPrint=false";
    auto body = api.call("GET", path, "", SheetsCall::check_ids);
    if (!body) return std::unexpected(body.error());
    body->reserve(body->size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::parser parser;
    simdjson::dom::object value_range;
    if (parser.parse(*body).get(value_range) != simdjson::SUCCESS)
      return fail(ErrorKind::transient, "values.get answered with something that is not JSON");
    int row = read.header_row + 1;
    std::string_view echoed;
    if (value_range["range"].get(echoed) == simdjson::SUCCESS) {
      if (auto parsed = parse_a1_range(echoed); parsed && parsed->start && parsed->start->row) row = *parsed->start->row;
    }
    std::map<int, std::string> ids;
    simdjson::dom::array rows;
    if (value_range["values"].get(rows) != simdjson::SUCCESS) return ids;  // the column is empty
    for (simdjson::dom::element line : rows) {
      simdjson::dom::element first;
      if (line.at(0).get(first) == simdjson::SUCCESS) {
        std::string id = trim(cell_text(first));
        if (!id.empty()) ids.emplace(row, std::move(id));
      }
      ++row;
    }
    return ids;
  }

  // Google has no conditional write: a row inserted or deleted between pinsync's read and
  // its write shifts the rows below it, and cells written to remembered positions land in
  // other rows. So after a write-back the ID column is read once (one values.get for the
  // whole batch), and every row whose position did not hold its ID is written again where
  // its ID is now; cells that landed in another row get that row's own values, or are
  // cleared when it has none. A row whose ID is gone, or now in two rows, gets nothing
  // and a line in report.skipped. Returns nothing, or the error of the read or the write
  // (the first write stands either way).
  // `row_of` is the table row of each ID in `read` (none when seen twice), `result_of` the
  // result of each ID written.
  Result<void> repair_moved_rows(SheetRead& read, std::size_t id_column, const Targets& targets,
                                 const std::vector<CellChange>& written, const RowsById& row_of,
                                 const std::unordered_map<std::string, const RowResult*>& result_of,
                                 WriteBackReport& report) {
    auto now = read_id_column(read, id_column);
    ++report.requests;
    if (!now) {
      return fail(now.error().kind, "wrote " + std::to_string(report.cells_written) +
                                        " cells back, but could not check that their rows had not moved "
                                        "meanwhile (the next pass checks again): " + now.error().message);
    }
    std::unordered_map<std::string, std::vector<int>> rows_of;  // ID -> the sheet rows holding it now
    for (const auto& [row, id] : *now) rows_of[id].push_back(row);
    // The result that belongs in a sheet row now, when exactly one row holds its ID.
    const auto owner_of = [&](int row) -> std::pair<const RowResult*, std::optional<std::size_t>> {
      const auto at = now->find(row);
      if (at == now->end() || rows_of[at->second].size() != 1) return {nullptr, std::nullopt};
      const auto result = result_of.find(at->second);
      if (result == result_of.end()) return {nullptr, std::nullopt};
      const auto table_row = row_of.find(at->second);
      return {result->second, table_row == row_of.end() ? std::nullopt : table_row->second};
    };

    // The written cells that landed in a row not holding their ID, by sheet row, and the
    // rows they were meant for, with the columns each changed.
    std::map<int, std::vector<std::size_t>> misplaced;
    std::map<std::size_t, std::vector<std::size_t>> strayed;
    for (const CellChange& change : written) {
      const std::size_t r = *change.table_row;
      const auto at = now->find(change.sheet_row);
      if (at != now->end() && at->second == trim(read.table.rows[r].cells[id_column])) continue;
      misplaced[change.sheet_row].push_back(change.column);
      strayed[r].push_back(change.column);
    }
    const auto value_in = [&](const RowResult& result, std::size_t column) {
      for (std::size_t t = 0; t < targets.size(); ++t) {
        if (targets[t] == column) return *values_of(result)[t];
      }
      return std::string();
    };
    std::map<std::pair<int, std::size_t>, CellChange> repair;  // by (sheet row, column)
    int moved = 0;
    for (const auto& [r, columns] : strayed) {
      const std::string id = trim(read.table.rows[r].cells[id_column]);
      const auto where = rows_of.find(id);
      if (where == rows_of.end() || where->second.size() != 1) {
        report.skipped.push_back(skipped_row(read, r, id, where == rows_of.end() ? std::vector<int>{} : where->second));
        continue;
      }
      ++moved;
      const int row = where->second.front();
      read.sheet_rows[r] = row;
      // What the row changed, and whatever cells meant for another row overwrote there.
      std::vector<std::size_t> wanted = columns;
      if (const auto over = misplaced.find(row); over != misplaced.end())
        wanted.insert(wanted.end(), over->second.begin(), over->second.end());
      const RowResult& result = *result_of.at(id);
      for (const std::size_t c : wanted) repair.insert_or_assign({row, c}, CellChange{row, c, value_in(result, c), r});
    }
    for (const auto& [row, columns] : misplaced) {
      const auto [owner, table_row] = owner_of(row);
      for (const std::size_t c : columns) {
        repair.try_emplace({row, c}, CellChange{row, c, owner != nullptr ? value_in(*owner, c) : std::string(), table_row});
      }
    }
    if (repair.empty()) return {};
    context.log.info("rows moved while pinsync wrote back; their cells were written again where their IDs are now",
                     {{"source", context.source}, {"rows", moved}});
    std::vector<CellChange> cells;
    cells.reserve(repair.size());
    for (auto& [where, cell] : repair) cells.push_back(std::move(cell));
    auto again = write_cells(read, cells, SheetsCall::write_back);
    ++report.requests;
    if (!again) {
      return fail(again.error().kind, "rows moved while pinsync wrote back, and writing their cells again where "
                                      "their IDs are now failed (the next pass writes them): " + again.error().message);
    }
    report.cells_written += *again;
    return {};
  }

  // Why the cells of table row `r` (ID `id`) were not written back, in the operator's
  // words; `rows` are the sheet rows holding the ID now (none, or more than one).
  static std::string skipped_row(const SheetRead& read, std::size_t r, const std::string& id, const std::vector<int>& rows) {
    const std::string name = "ID \"" + id + "\" (" + read.table.rows[r].row_ref + " when read)";
    if (rows.empty()) {
      return name + ": no row of " + quote_sheet_title(read.sheet) +
             " holds this ID any more — the row was deleted or its ID changed while pinsync wrote back; its "
             "results were not written";
    }
    std::string list;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      list += (i == 0 ? "" : i + 1 == rows.size() ? " and " : ", ") + std::to_string(rows[i]);
    }
    return name + ": the ID is now in rows " + list + " of " + quote_sheet_title(read.sheet) +
           ", so its results were not written: give each row its own ID";
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
  State& s = *m_state;
  // With the gate on, a complete read notes the file's version first, so the reads of only
  // the changes after it can skip the values while it stays the same.
  std::optional<std::string> version;
  if (s.settings.change_gate) {
    auto v = s.drive_version();
    if (!v) return std::unexpected(s.redacted(v.error()));
    version = std::move(*v);
  }
  return read_all(std::move(version));
}

Result<Table> GoogleSheetsConnector::read_all(std::optional<std::string> version) {
  State& s = *m_state;
  auto read = s.read_sheet();
  if (!read) return std::unexpected(s.redacted(read.error()));
  Table table = std::move(read->table);
  s.remember(std::move(*read), table);
  s.gate_version = std::move(version);
  return table;
}

bool GoogleSheetsConnector::reads_changes() const { return m_state->settings.change_gate; }

Result<Table> GoogleSheetsConnector::fetch_changes() {
  State& s = *m_state;
  if (!s.settings.change_gate || !s.last || !s.gate_version) return fetch();
  auto version = s.drive_version();
  if (!version) return std::unexpected(s.redacted(version.error()));
  if (*version != *s.gate_version) return read_all(std::move(*version));
  // Unchanged since the last complete read: no row changed, none is gone.
  Table unchanged;
  unchanged.columns = s.last->table.columns;
  unchanged.time_zone = s.last->table.time_zone;
  unchanged.complete = false;
  return unchanged;
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
  RowsById by_key;
  std::optional<std::size_t> id_column;
  if (!s.settings.id_column.empty()) id_column = find_column(read.table, s.settings.id_column);
  for (std::size_t r = 0; r < read.table.rows.size(); ++r) {
    const std::string key = id_column ? trim(read.table.rows[r].cells[*id_column]) : read.table.rows[r].row_ref;
    if (key.empty()) continue;
    auto [it, inserted] = by_key.emplace(key, r);
    if (!inserted) it->second.reset();
  }

  const auto& wb = s.settings.write_back;
  const Targets targets = {
      wb.event_id_column.empty() ? std::nullopt : find_column(read.table, wb.event_id_column),
      wb.status_column.empty() ? std::nullopt : find_column(read.table, wb.status_column),
      wb.error_column.empty() ? std::nullopt : find_column(read.table, wb.error_column)};
  std::vector<CellChange> changes;
  std::unordered_map<std::string, const RowResult*> result_of;  // by ID: what each written row should hold
  std::vector<bool> touched(read.table.rows.size() * read.table.columns.size(), false);
  for (const RowResult& result : results) {
    const std::string key = id_column ? trim(result.source_id) : result.row_ref;
    const auto found = by_key.find(key);
    if (found == by_key.end() || !found->second) continue;
    const std::size_t r = *found->second;
    result_of.emplace(key, &result);
    const auto values = values_of(result);
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (!targets[t]) continue;
      const std::size_t c = *targets[t];
      if (touched[r * read.table.columns.size() + c]) continue;
      if (read.table.rows[r].cells[c] == *values[t]) continue;
      touched[r * read.table.columns.size() + c] = true;
      changes.push_back({read.sheet_rows[r], c, *values[t], r});
    }
  }
  if (changes.empty()) return WriteBackReport{};
  auto written = s.write_cells(read, changes, SheetsCall::write_back);
  if (!written) return std::unexpected(s.redacted(written.error()));
  WriteBackReport report{*written, 1, {}};
  // Without an ID column rows are found by position: there is nothing to check them by.
  if (!id_column) return report;
  if (auto ok = s.repair_moved_rows(read, *id_column, targets, changes, by_key, result_of, report); !ok)
    return std::unexpected(s.redacted(ok.error()));
  return report;
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
    changes.push_back({read.sheet_rows[*pick], *id_column, a.new_id, *pick});
    IdAssignment written = a;
    written.row_ref = read.table.rows[*pick].row_ref;
    done.push_back(std::move(written));
  }
  auto written = s.write_cells(read, changes, SheetsCall::assign_ids);
  if (!written) return std::unexpected(s.redacted(written.error()));
  const Table table = std::move(read.table);
  s.remember(std::move(read), table);
  return done;
}

std::unique_ptr<Connector> make_google_sheets_connector(GoogleSheetsSettings settings, ConnectorContext context) {
  return std::make_unique<GoogleSheetsConnector>(std::move(settings), std::move(context));
}

}  // namespace pinsync::connectors

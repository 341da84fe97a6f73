// The emulated spreadsheets: contents set through PUT /_sandbox/sheets/{id}, who may read or
// write each one, the Sheets v4 read/write semantics on them (ragged rows, omitted trailing
// blanks, grid-clipped range echo, atomic batch writes), and the Drive version and
// modifiedTime every change of content bumps. Thread-safe; one mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/google/a1_range.h"
#include "sandbox/google/cells.h"

namespace pinsync_sandbox {

enum class Dimension { rows, columns };
enum class Access { none, read, write };

struct ReadOptions {
  Dimension major = Dimension::rows;
  ValueRender value_render = ValueRender::formatted;
  DateRender date_render = DateRender::serial_number;
};

// One data[] entry of values:batchUpdate (or the body of values.update), already converted to
// cells; nullopt is JSON null ("leave this cell unchanged").
struct CellWrite {
  std::string range;  // as the client wrote it
  Dimension major = Dimension::rows;
  std::vector<std::vector<std::optional<Cell>>> values;
};

struct UpdatedArea {
  std::string updated_range;  // "Sheet1!A1:D1"
  int rows = 0, columns = 0, cells = 0;
};

struct BatchWriteResult {
  std::vector<UpdatedArea> areas;
  int total_rows = 0, total_columns = 0, total_cells = 0, total_sheets = 0;
};

// What values.append did: the table it found (absent when the range held no data) and where the
// values went.
struct AppendResult {
  std::optional<std::string> table_range;
  UpdatedArea area;
};

// One request of spreadsheets.batchUpdate that the sandbox emulates, already read from JSON
// (sheets_batch.cpp). Sheet ids and indexes are checked against the grid when it is applied.
struct StructuralChange {
  enum class Kind { insert_dimension, delete_dimension, append_dimension, update_sheet_properties };
  Kind kind = Kind::insert_dimension;
  std::int64_t sheet_id = 0;  // proto3: an absent sheetId is 0, the first sheet's id
  Dimension dimension = Dimension::rows;
  std::optional<std::int64_t> start, end;  // insert/delete: range.startIndex / range.endIndex
  bool inherit_from_before = false;        // insert
  std::int64_t length = 0;                 // append
  std::optional<std::string> title;        // update_sheet_properties, when "fields" names it
  std::optional<bool> hidden;              // update_sheet_properties, when "fields" names it

  // Returns the request's JSON name, e.g. "insertDimension".
  std::string_view name() const;
};

// What Drive's files.get reports of a spreadsheet (drive.h): its name and one change's version
// and time.
struct FileRevision {
  std::string title;
  std::int64_t version = 0;  // grows by at least 1 at every change of content
  std::chrono::system_clock::time_point modified;
};

class SheetsStore {
 public:
  // How many changes per spreadsheet revision() can look back on.
  static constexpr std::size_t k_kept_changes = 32;

  // Creates or replaces spreadsheet `id` from the control-route body (see docs/sandbox.md).
  // Returns nothing on success, or the issue ("sheets must be an object of row arrays", "unknown
  // time zone Mars/Base") on a bad body.
  std::expected<void, std::string> put(std::string_view id, std::string_view body);
  // Returns the control-route view {"spreadsheetId","title","time_zone","public","shared_with",
  // "sheets":{title:[[cell as typed/written…]]}}, or nullopt when `id` is unknown.
  std::optional<std::string> dump(std::string_view id) const;
  // Returns {"spreadsheets":[ids…]}.
  std::string list() const;
  // Forgets `id`; returns false when it did not exist.
  bool remove(std::string_view id);
  void reset();

  // Returns what `email` (nullopt: an API key, i.e. anyone-with-the-link) may do with `id`, or
  // nullopt when no spreadsheet has that id.
  std::optional<Access> access(std::string_view id, const std::optional<std::string>& email) const;

  // Returns the spreadsheets.get body (compact JSON), or nullopt when `id` is unknown.
  std::optional<std::string> metadata(std::string_view id) const;
  // Returns one compact ValueRange per range, in order, or Google's 400 message for the first
  // bad range ("Unable to parse range: NOPE!A1", "Range ('Sheet1'!A1:ZZ1) exceeds grid limits…").
  // An unknown `id` yields an empty vector.
  std::expected<std::vector<std::string>, std::string> read(std::string_view id,
                                                            const std::vector<std::string>& ranges,
                                                            const ReadOptions& options) const;
  // Applies every write or none. Returns the areas written, or Google's 400 message.
  std::expected<BatchWriteResult, std::string> write(std::string_view id, const std::vector<CellWrite>& writes);
  // values.append: finds the table in `w.range` (the first run of rows holding data there) and
  // writes `w.values` below it, from its first column; with `insert_rows` the rows below move
  // down first. Returns what was written, or Google's 400 message. An unknown `id` yields an
  // empty result.
  std::expected<AppendResult, std::string> append(std::string_view id, const CellWrite& w, bool insert_rows);
  // values.clear: empties every cell of `range` (the grid stays). Returns the cleared range as
  // Google echoes it, or Google's 400 message; nullopt for an unknown `id`.
  std::expected<std::optional<std::string>, std::string> clear(std::string_view id, std::string_view range);

  // spreadsheets.batchUpdate: applies every change or none. Returns nothing, or Google's message
  // for the first change that fails ("Invalid requests[1].insertDimension: No grid with id: 7").
  // An unknown `id` changes nothing and succeeds (the API's authorize() has answered 404 before).
  std::expected<void, std::string> restructure(std::string_view id, const std::vector<StructuralChange>& changes);
  // Arms `changes` to be applied just before the next values write (update, batchUpdate, append,
  // clear) to `id`: a partner editing the sheet while a client works. They are checked against
  // the sheet now. Returns nothing, the issue, or "no spreadsheet" when `id` is unknown.
  std::expected<void, std::string> before_next_write(std::string_view id, std::vector<StructuralChange> changes);

  // Every successful put(), write(), append(), clear() and restructure() of a spreadsheet is a
  // change: it takes the next version of a store-wide counter (so a version never repeats or
  // goes back, even across remove() or reset()) and the wall-clock time. A partner edit armed
  // by before_next_write() is a change of its own when the write that triggers it runs.
  // Returns the spreadsheet's title with the version and time of the newest change at least
  // `lag` old (steady clock); when every kept change is younger, the oldest kept one (the
  // spreadsheet's creation until k_kept_changes changes have followed it). nullopt when `id`
  // is unknown.
  std::optional<FileRevision> revision(std::string_view id, std::chrono::milliseconds lag) const;

 private:
  struct Tab {
    std::string title;
    std::int64_t sheet_id = 0;
    bool hidden = false;
    int row_count = 1000;
    int column_count = 26;
    std::vector<std::vector<Cell>> rows;  // ragged; missing cells are empty
  };
  struct Change {
    std::chrono::steady_clock::time_point at;  // for revision()'s lag
    std::chrono::system_clock::time_point modified;
    std::int64_t version = 0;
  };
  struct Spreadsheet {
    std::string title;
    std::string time_zone = "America/New_York";
    bool is_public = false;
    std::map<std::string, Access> shares;  // lower-case email → read or write
    std::vector<Tab> tabs;
    std::vector<StructuralChange> before_next_write;  // applied and cleared by the next values write
    std::deque<Change> changes;  // oldest first, at most k_kept_changes
  };
  struct Bound {
    std::size_t tab = 0;
    A1Range range;
  };

  static std::optional<Bound> resolve(const Spreadsheet& s, std::string_view text);
  static std::string value_range(const Tab& tab, const GridBox& box, const ReadOptions& options);
  // Returns the cells of every sheet of `s` once `added` rows (or columns) are added to `grown`.
  static std::int64_t cells_after(const Spreadsheet& s, const Tab& grown, bool rows, std::int64_t added);
  // Applies `changes` to `s` in order; on failure `s` is left part-way (callers work on a copy).
  static std::expected<void, std::string> apply_changes(Spreadsheet& s, const std::vector<StructuralChange>& changes);
  // One insertDimension / deleteDimension / appendDimension, or one updateSheetProperties, on
  // `tab` of `s`. Returns nothing or Google's message without the "Invalid requests[N].kind: ".
  static std::expected<void, std::string> resize(Spreadsheet& s, Tab& tab, const StructuralChange& c);
  static std::expected<void, std::string> update_properties(Spreadsheet& s, Tab& tab, const StructuralChange& c);
  // Returns the "table" values.append finds in `box`: the first row holding data there, the
  // rows after it that do too, from the leftmost to the rightmost filled column; nullopt when
  // `box` holds no data.
  static std::optional<GridBox> data_table(const Tab& tab, const GridBox& box);
  // Applies and clears the changes armed by before_next_write(); a change that no longer fits
  // the sheet is dropped with the rest. Returns whether the sheet changed.
  static bool run_before_next_write(Spreadsheet& s);
  // Records a change of `s` now with the next version (m_mutex held).
  void record_change(Spreadsheet& s);

  mutable std::mutex m_mutex;
  std::map<std::string, Spreadsheet, std::less<>> m_sheets;
  std::int64_t m_last_version = 0;  // the newest version any change took
};

}  // namespace pinsync_sandbox

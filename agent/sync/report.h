// One truth about a pass: what it came to (PassResult), and the one JSON shape and the one
// text every surface shows it in — plan, sync and resync (--json or not), POST /resync and
// the passes of /status and status --json.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sync/pass_types.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "state/store.h"

namespace pinsync::agent {

// What a pass came to, most serious first where several hold. A success (ok) is a pass
// that read the source and put every valid row into Pinned Events; invalid rows and rows
// held for a person are counted apart and do not make it fail (PassReport::succeeded).
enum class PassResult {
  ok,               // every valid row is in Pinned Events as it should be
  rows_not_synced,  // the pass ran, but valid rows failed (they wait to be retried) or are dead
  suspect,      // the read looked wrong: removals were held back (see PassReport::suspect)
  paused,       // the source is paused: Pinned Events refused its key or access
  stopped,      // the source could not be synced (unreadable, the store failed, the agent stopped)
};
// Every result, in the order metrics and pages list them.
inline constexpr PassResult k_pass_results[] = {PassResult::ok, PassResult::rows_not_synced, PassResult::suspect,
                                                PassResult::paused, PassResult::stopped};
// "ok", "rows_not_synced", "suspect", "paused", "stopped".
std::string_view to_string(PassResult r);
// The result named `s`, or nullopt for any other text.
std::optional<PassResult> pass_result_from_string(std::string_view s);
// The report's result: paused, else stopped, else suspect, else rows_not_synced when rows
// failed or are dead, else ok.
PassResult result_of(const PassReport& report);

// "created", "would create", "dead"…: the word the operator reads.
std::string_view to_string(RowAction a);
// The action named `s`, or nullopt for any other text.
std::optional<RowAction> row_action_from_string(std::string_view s);

// Whether a JSON report lists its rows: a summary (the last pass on /status) leaves them out.
enum class ReportRows { listed, omitted };

// Writes `report` as one JSON object:
//   {"source","result","error"?,"error_kind"?,"suspect"?,"recovering"?,"created","updated","unchanged",
//    "invalid","removed","held","failed","dead","unpublished","republished","adopted","api_requests",
//    "write_back_cells","write_back_error"?,"write_back_skipped"?:[text…],"paused_by"?:"operator",
//    "row_scoped"?:true,"unknown_rows"?:[id…],
//    "rows"?:[{"row_ref","source_id","action","event_id"|null,"detail",
//              "changes"?:[{"field","old","new"}]}]}   (a plan's updates: old/new as JSON, null when absent)
// ("error" and its "error_kind" when stopped or paused, "suspect" when the read looked wrong,
// "recovering" when creates were (or, in a plan, will be) looked for first after a lost, new or
// restored state file, "write_back_skipped" when rows could not be written back, "paused_by"
// when an operator paused the source, "row_scoped" for a resync of named rows, "unknown_rows"
// for the ones of them no row has, "rows" unless omitted).
// README documents it with a sample.
void write_report_json(json::Writer& w, const PassReport& report, ReportRows rows = ReportRows::listed);
// {"reports":[…]}: the answer of plan/sync/resync --json and POST /resync.
std::string reports_json(const std::vector<PassReport>& reports);
// Writes reports_json() text to a stream a report at a time, as passes end, and a long
// report in pieces: a plan of a million rows is never held as one text.
class JsonReportStream {
 public:
  explicit JsonReportStream(std::ostream& out);
  void add(const PassReport& report);
  // Ends the list; nothing is added after.
  void finish();

 private:
  std::ostream& m_out;
  json::Writer m_writer;
};
// Reads reports_json() text back (the CLI reading the agent's answer). Returns the reports
// (the stop's kind is config, auth or transient as the result and error say), or
// Error{invalid} naming what is missing.
Result<std::vector<PassReport>> reports_from_json(std::string_view text);

// The report in plain words for a terminal: a summary line with the counts, the stop,
// suspect read and write-back lines (a "not written back:" line per skipped row) when
// they apply, then one line per listed row. A dry
// run says "to create" / "to update" and leaves out the request count.
std::string report_text(const PassReport& report, PassMode mode);
// The same text, written to `out` a line at a time.
void write_report_text(std::ostream& out, const PassReport& report, PassMode mode);


// The run log's record of a finished pass: counts, result word and its reason.
state::RunRecord run_record_of(const PassReport& report);
// A report with the counts and result of a logged run (no rows), for status.
PassReport report_of(const state::RunRecord& run);

}  // namespace pinsync::agent

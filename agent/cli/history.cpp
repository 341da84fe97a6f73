#include "agent/cli/history.h"

#include <iomanip>
#include <sstream>

#include "agent/cli/exit_codes.h"
#include "core/datetime.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

std::string when(std::int64_t unix_seconds) { return unix_seconds > 0 ? format_utc(unix_seconds) : "-"; }

void write_run(json::Writer& w, const state::RunRecord& run) {
  w.begin_object().key("started_at");
  write_time(w, run.started_at);
  w.key("finished_at");
  write_time(w, run.finished_at);
  w.key("trigger").value(run.trigger).key("result").value(run.result);
  if (!run.detail.empty()) w.key("detail").value(run.detail);
  w.key("created").value(std::int64_t{run.created}).key("updated").value(std::int64_t{run.updated}).key("unchanged").value(std::int64_t{run.unchanged});
  w.key("invalid").value(std::int64_t{run.invalid}).key("removed").value(std::int64_t{run.removed}).key("held").value(std::int64_t{run.held});
  w.key("failed").value(std::int64_t{run.failed}).key("dead").value(std::int64_t{run.dead});
  w.key("unpublished").value(std::int64_t{run.unpublished}).key("republished").value(std::int64_t{run.republished});
  w.key("adopted").value(std::int64_t{run.adopted}).key("api_requests").value(std::int64_t{run.api_requests});
  w.end_object();
}

std::string run_line(const state::RunRecord& run) {
  std::ostringstream line;
  line << "  " << when(run.started_at) << "  " << std::left << std::setw(13) << run.trigger << ' ' << std::setw(16)
       << (run.finished_at > 0 ? run.result : std::string("(unfinished)")) << ' ' << run.created << " created, "
       << run.updated << " updated, " << run.unchanged << " unchanged, " << run.invalid << " invalid, "
       << run.removed << " removed, " << run.held << " held, " << run.failed << " failed, " << run.dead << " dead";
  // Only when there were any, like the pass report's own line.
  if (run.unpublished > 0) line << ", " << run.unpublished << " taken down to draft";
  if (run.republished > 0) line << ", " << run.republished << " brought back";
  if (run.adopted > 0) line << ", " << run.adopted << " adopted";
  line << " (" << run.api_requests << " API requests)";
  if (!run.detail.empty()) line << "\n      " << run.detail;
  return line.str();
}

}  // namespace

int command_history(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.history_row.empty() && options.source.empty() && config.sources.size() > 1) {
    err << "pinsync history: --row needs --source NAME: row IDs belong to one source\n";
    return k_exit_usage;
  }
  auto opened = open_session(config, options, err, StoreAccess::read);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  state::Store* store = session->store();
  json::Writer w;
  w.begin_object().key("sources").begin_array();
  for (const auto* source : selected_sources(config, options)) {
    w.begin_object().key("name").value(source->name);
    if (!options.history_row.empty()) {
      std::vector<state::AuditRecord> writes;
      if (store != nullptr) {
        auto audit = store->audit(source->name, options.history_row);
        if (!audit) {
          err << "pinsync history: " << audit.error().message << '\n';
          return k_exit_failure;
        }
        writes = std::move(*audit);
      }
      w.key("row").value(options.history_row).key("writes").begin_array();
      if (!options.json) {
        out << source->name << " row " << options.history_row << " — every write, oldest first";
        out << (writes.empty() ? ": none (kept for 90 days)\n" : ":\n");
      }
      for (const auto& a : writes) {
        w.begin_object().key("at");
        write_time(w, a.at);
        w.key("action").value(state::to_string(a.action));
        w.key("http_status").value(std::int64_t{a.http_status}).key("event_id");
        if (a.event_id) w.value(*a.event_id);
        else w.null();
        w.key("request_id").value(a.request_id).key("row_ref").value(a.row_ref);
        w.key("fields").begin_array();  // the event's fields the write changed
        for (std::size_t at = 0; !a.fields.empty() && at != std::string::npos;) {
          const auto comma = a.fields.find(", ", at);
          w.value(std::string_view(a.fields).substr(at, comma == std::string::npos ? comma : comma - at));
          at = comma == std::string::npos ? comma : comma + 2;
        }
        w.end_array().end_object();
        if (!options.json) {
          out << "  " << when(a.at) << "  " << std::left << std::setw(7) << state::to_string(a.action) << ' '
              << a.http_status << (a.event_id ? "  event " + std::to_string(*a.event_id) : std::string())
              << (a.fields.empty() ? std::string() : "  changed " + a.fields)
              << (a.request_id.empty() ? std::string() : "  request " + a.request_id) << "  (" << a.row_ref << ")\n";
        }
      }
      w.end_array();
    } else {
      std::vector<state::RunRecord> runs;
      if (store != nullptr) {
        auto recent = store->recent_runs(source->name, options.limit);
        if (!recent) {
          err << "pinsync history: " << recent.error().message << '\n';
          return k_exit_failure;
        }
        runs = std::move(*recent);
      }
      w.key("passes").begin_array();
      for (const auto& run : runs) write_run(w, run);
      w.end_array();
      if (!options.json) {
        out << source->name << " — the last " << runs.size() << " passes, newest first"
            << (runs.empty() ? ": none yet\n" : ":\n");
        for (const auto& run : runs) out << run_line(run) << '\n';
      }
    }
    w.end_object();
  }
  w.end_array().end_object();
  if (options.json) out << w.str() << '\n';
  return k_exit_ok;
}

}  // namespace pinsync::agent

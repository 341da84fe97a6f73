#include "agent/cli/commands.h"

#include "core/datetime.h"

#include <date/date.h>

#include <algorithm>
#include <iomanip>
#include <map>
#include <memory>

#include "agent/alerts/alerts.h"
#include "agent/cli/exit_codes.h"
#include "agent/pinned/client.h"
#include "agent/sync/session.h"
#include "agent/sync/sources.h"
#include "agent/sync/pass.h"
#include "core/json_writer.h"
#include "state/store.h"

namespace pinsync::agent {

namespace {

std::string format_time(std::int64_t unix_seconds) {
  return unix_seconds <= 0 ? "-" : format_utc(unix_seconds);
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

void write_report_json(json::Writer& w, const PassReport& r) {
  w.begin_object().key("source").value(r.source);
  if (r.stopped) w.key("stopped").value(r.stopped->message);
  w.key("create").value(std::int64_t{r.created}).key("update").value(std::int64_t{r.updated});
  w.key("unchanged").value(std::int64_t{r.unchanged}).key("invalid").value(std::int64_t{r.invalid});
  w.key("removed").value(std::int64_t{r.removed}).key("held").value(std::int64_t{r.held});
  w.key("failed").value(std::int64_t{r.failed}).key("dead").value(std::int64_t{r.dead});
  if (!r.suspect.empty()) w.key("suspect").value(r.suspect);
  w.key("write_back_cells").value(std::int64_t{r.write_back_cells});
  if (!r.write_back_error.empty()) w.key("write_back_error").value(r.write_back_error);
  w.key("rows").begin_array();
  for (const auto& row : r.rows) {
    w.begin_object().key("row_ref").value(row.row_ref).key("source_id").value(row.source_id);
    w.key("action").value(row.action);
    if (row.event_id) w.key("event_id").value(*row.event_id);
    if (!row.detail.empty()) w.key("detail").value(row.detail);
    w.end_object();
  }
  w.end_array().end_object();
}

void print_report(std::ostream& out, const PassReport& r, bool dry) {
  out << r.source << ": ";
  if (r.stopped) {
    // Stop messages usually lead with the source name already.
    std::string_view why = r.stopped->message;
    if (why.starts_with(r.source + ": ")) why.remove_prefix(r.source.size() + 2);
    out << "STOPPED — " << why << "\n  ";
  }
  const char* c = dry ? "to create" : "created";
  const char* u = dry ? "to update" : "updated";
  out << r.created << ' ' << c << ", " << r.updated << ' ' << u << ", " << r.unchanged << " unchanged, "
      << r.invalid << " invalid, " << r.removed << " removed";
  if (r.held > 0) out << ", " << r.held << " held for review";
  if (r.failed > 0) out << ", " << r.failed << " failed";
  if (r.dead > 0) out << ", " << r.dead << " dead";
  if (!dry) out << " (" << r.api_requests << " API requests)";
  out << '\n';
  if (!r.suspect.empty()) out << "  SUSPECT READ, nothing marked removed — " << r.suspect << '\n';
  if (r.write_back_cells > 0) out << "  wrote " << r.write_back_cells << " cells back into the source\n";
  if (!r.write_back_error.empty()) out << "  write-back failed: " << r.write_back_error << '\n';
  for (const auto& row : r.rows) {
    out << "  " << pad(row.action, 13) << ' ' << pad(row.row_ref, 22) << ' ' << pad(row.source_id, 12);
    if (row.event_id) out << " event " << *row.event_id;
    if (!row.detail.empty()) out << "  " << row.detail;
    out << '\n';
  }
}

int run_passes(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err,
               PassMode mode) {
  const bool dry = mode == PassMode::dry_run;
  auto session = open_session(config, err, dry ? StoreAccess::read : StoreAccess::write);
  if (!session) return k_exit_failure;
  // One-shot runs alert too: that is what cron users have. The memory file keeps a cron
  // job from repeating the same alert every run.
  auto alerter = dry ? nullptr : Alerter::from_config(config, session->log(), [] { return http::make_curl_transport(); });
  if (auto slugs = session->known_slugs(); !slugs) {
    err << "pinsync: " << slugs.error().message << '\n';
    if (alerter) {
      for (const auto* source : selected_sources(config, options)) {
        PassReport refused;
        refused.source = source->name;
        refused.stopped = slugs.error().with_context(source->name);
        alerter->report(pass_health(refused, session->store()));
      }
    }
    return k_exit_auth;
  }
  int code = k_exit_ok;
  std::vector<PassReport> reports;
  for (const auto* source : selected_sources(config, options)) {
    PassReport report = session->sync_source(*source, mode, "cli");
    if (alerter) alerter->report(pass_health(report, session->store()));
    code = worse(code, exit_code_for(report));
    reports.push_back(std::move(report));
  }
  if (options.json) {
    json::Writer w;
    w.begin_object().key("sources").begin_array();
    for (const auto& r : reports) write_report_json(w, r);
    w.end_array().end_object();
    out << w.str() << '\n';
  } else {
    for (const auto& r : reports) print_report(out, r, dry);
    if (dry) out << "(plan only: nothing was sent and nothing was changed)\n";
  }
  return code;
}

}  // namespace

int command_sync(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  return run_passes(config, options, out, err, PassMode::apply);
}

int command_plan(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  return run_passes(config, options, out, err, PassMode::dry_run);
}

int command_status(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  auto session = open_session(config, err, StoreAccess::read);
  if (!session) return k_exit_failure;
  state::Store* store = session->store();
  json::Writer w;
  w.begin_object().key("sources").begin_array();
  for (const auto* source : selected_sources(config, options)) {
    std::map<std::string, int> by_state;
    std::optional<state::RunRecord> last;
    if (store != nullptr) {
      auto rows = store->rows(source->name);
      if (!rows) {
        err << "pinsync: " << rows.error().message << '\n';
        return k_exit_failure;
      }
      for (const auto& r : *rows) ++by_state[std::string(state::to_string(r.state))];
      auto runs = store->recent_runs(source->name, 1);
      if (runs && !runs->empty()) last = runs->front();
    }
    if (options.json) {
      w.begin_object().key("name").value(source->name).key("kind").value(source->kind);
      w.key("channel_id").value(source->channel_id).key("rows").begin_object();
      for (const auto& [state_name, n] : by_state) w.key(state_name).value(std::int64_t{n});
      w.end_object();
      if (last) {
        w.key("last_pass").begin_object().key("trigger").value(last->trigger);
        w.key("started_at").value(format_time(last->started_at)).key("finished_at").value(format_time(last->finished_at));
        w.key("result").value(last->result).key("created").value(std::int64_t{last->created});
        w.key("updated").value(std::int64_t{last->updated}).key("unchanged").value(std::int64_t{last->unchanged});
        w.key("invalid").value(std::int64_t{last->invalid}).key("removed").value(std::int64_t{last->removed});
        w.key("failed").value(std::int64_t{last->failed}).key("api_requests").value(std::int64_t{last->api_requests});
        w.end_object();
      }
      w.end_object();
      continue;
    }
    out << source->name << " (" << source->kind << ", channel " << source->channel_id << ")\n  rows: ";
    if (by_state.empty()) out << "none yet";
    bool first = true;
    for (const auto& [state_name, n] : by_state) {
      out << (first ? "" : ", ") << n << ' ' << state_name;
      first = false;
    }
    out << "\n  last pass: ";
    if (!last) {
      out << "never\n";
    } else {
      out << format_time(last->started_at) << " (" << last->trigger << "): " << last->result << " — "
          << last->created << " created, " << last->updated << " updated, " << last->unchanged
          << " unchanged, " << last->invalid << " invalid, " << last->removed << " removed, "
          << last->failed << " failed, " << last->api_requests << " API requests\n";
    }
  }
  w.end_array().end_object();
  if (options.json) out << w.str() << '\n';
  if (store == nullptr && !options.json) out << "(no state file yet at " << config.state_path.string() << ")\n";
  return k_exit_ok;
}

int command_errors(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  auto session = open_session(config, err, StoreAccess::read);
  if (!session) return k_exit_failure;
  state::Store* store = session->store();
  json::Writer w;
  w.begin_array();
  int count = 0;
  for (const auto* source : selected_sources(config, options)) {
    if (store == nullptr) break;
    auto rows = store->rows(source->name);
    if (!rows) {
      err << "pinsync: " << rows.error().message << '\n';
      return k_exit_failure;
    }
    for (const auto& r : *rows) {
      if (!state::needs_attention(r.state)) continue;
      ++count;
      const std::string id = r.source_id.starts_with('@') ? "" : r.source_id;
      if (options.json) {
        w.begin_object().key("source").value(r.source).key("row_ref").value(r.row_ref);
        w.key("source_id").value(id).key("state").value(state::to_string(r.state));
        w.key("field").value(r.error_field).key("value").value(r.error_value);
        w.key("reason").value(r.error_reason).end_object();
      } else {
        out << r.source << ", " << r.row_ref << (id.empty() ? "" : " (" + id + ")") << ": "
            << state::to_string(r.state) << " — " << r.error_reason;
        if (!r.error_value.empty()) out << " [value: \"" << r.error_value << "\"]";
        out << '\n';
      }
    }
  }
  w.end_array();
  if (options.json) out << w.str() << '\n';
  else if (count == 0) out << "no rows with errors\n";
  return k_exit_ok;
}

namespace {

// Prints what a listing call returned, as a JSON array or one line per entry.
template <typename List, typename JsonItem, typename TextItem>
int print_listing(const Result<List>& list, const CommandOptions& options, std::ostream& out, std::ostream& err,
                  JsonItem json_item, TextItem text_item, std::string_view when_empty) {
  if (!list) {
    err << "pinsync: " << list.error().message << '\n';
    return exit_code_for(list.error());
  }
  if (options.json) {
    json::Writer w;
    w.begin_array();
    for (const auto& entry : *list) json_item(w, entry);
    w.end_array();
    out << w.str() << '\n';
  } else {
    for (const auto& entry : *list) text_item(out, entry);
    if (list->empty()) out << when_empty << '\n';
  }
  return k_exit_ok;
}

}  // namespace

int command_channels(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  auto session = open_session(config, err, StoreAccess::none);
  if (!session) return k_exit_failure;
  return print_listing(
      session->client().channels(), options, out, err,
      [](json::Writer& w, const Channel& c) { w.begin_object().key("id").value(c.id).key("name").value(c.name).end_object(); },
      [](std::ostream& o, const Channel& c) { o << std::setw(8) << c.id << "  " << c.name << '\n'; },
      "the API key can use no channel");
}

int command_classifications(const Config& config, const CommandOptions& options, std::ostream& out,
                            std::ostream& err) {
  auto session = open_session(config, err, StoreAccess::none);
  if (!session) return k_exit_failure;
  return print_listing(
      session->client().classifications(), options, out, err,
      [](json::Writer& w, const std::string& slug) { w.value(slug); },
      [](std::ostream& o, const std::string& slug) { o << slug << '\n'; }, "no classifications");
}

}  // namespace pinsync::agent

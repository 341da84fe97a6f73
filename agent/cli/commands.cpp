#include "agent/cli/commands.h"

#include "core/datetime.h"

#include <date/date.h>

#include <algorithm>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>

#include "agent/alerts/alerts.h"
#include "agent/cli/exit_codes.h"
#include "agent/daemon/attention.h"
#include "agent/daemon/stored_status.h"
#include "agent/pinned/client.h"
#include "agent/sync/session.h"
#include "agent/config/sources.h"
#include "agent/sync/pass.h"
#include "agent/sync/report.h"
#include "core/json_writer.h"
#include "state/store.h"

namespace pinsync::agent {

namespace {

std::string format_time(std::int64_t unix_seconds) {
  return unix_seconds <= 0 ? "-" : format_utc(unix_seconds);
}

int run_passes(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err,
               PassMode mode) {
  const bool dry = mode == PassMode::dry_run;
  auto opened = open_session(config, options, err, dry ? StoreAccess::read : StoreAccess::write);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  // One-shot runs alert too: that is what cron users have. The memory file keeps a cron
  // job from repeating the same alert every run.
  auto alerter = dry ? nullptr
                     : Alerter::from_config(config, session->log(), options.world.unpooled(), session->clock());
  // The key is tried once up front (a refused key is one message, not one per source) —
  // unless every source is paused: a paused source makes no request.
  bool any_running = session->store() == nullptr;
  for (const auto* source : selected_sources(config, options)) {
    if (session->store() == nullptr) break;
    auto pause = session->store()->pause(source->name);
    any_running = any_running || !pause || !*pause;
  }
  if (auto slugs = any_running ? session->known_slugs() : Result<KnownSlugs>{KnownSlugs{}}; !slugs) {
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
  // Each report is printed as its pass ends, and let go: a plan of many large sources holds
  // one source's rows at a time.
  std::optional<JsonReportStream> json;
  if (options.json) json.emplace(out);
  for (const auto* source : selected_sources(config, options)) {
    PassOptions pass_options;
    pass_options.accept_new_state = options.resync.accept_new_state;
    const PassReport report = session->sync_source(*source, mode, "cli", pass_options);
    if (alerter) alerter->report(pass_health(report, session->store()));
    code = worse(code, exit_code_for(report));
    if (json) {
      json->add(report);
    } else {
      write_report_text(out, report, mode);
    }
  }
  if (json) {
    json->finish();
    out << '\n';
  } else if (dry) {
    out << "(plan only: nothing was sent and nothing was changed)\n";
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
  auto opened = open_session(config, options, err, StoreAccess::read);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  state::Store* store = session->store();
  // The verdict first, by the page's and /status's rule (attention.h), from the state file.
  std::map<std::string, std::vector<Need>> needs;
  int needing = 0;
  for (const auto* source : selected_sources(config, options)) {
    if (store == nullptr) break;
    SourceStatus s;
    s.name = source->name;
    s.kind = source->kind();
    add_pass_history(*store, session->log(), s);
    add_stored_facts(*store, s);
    auto& n = needs[source->name] = needs_of(s);
    needing += n.empty() ? 0 : 1;
  }
  if (!options.json && store != nullptr) {
    const auto total = selected_sources(config, options).size();
    if (needing == 0) {
      out << "FINE — nothing needs you (" << total << (total == 1 ? " source" : " sources") << ")\n";
    } else {
      out << "NEED YOU — " << needing << " of " << total << (total == 1 ? " source" : " sources") << ":\n";
      for (const auto& [name, list] : needs) {
        for (const auto& need : list) {
          out << "  " << name << ": " << need.badge << (need.detail.empty() ? "" : " — " + need.detail)
              << (need.command.empty() ? "" : "\n      → " + need.command) << '\n';
        }
      }
    }
    out << '\n';
  }
  json::Writer w;
  w.begin_object().key("sources").begin_array();
  for (const auto* source : selected_sources(config, options)) {
    std::map<std::string, int> by_state;
    std::optional<state::RunRecord> last;
    std::optional<state::SourcePause> pause;
    if (store != nullptr) {
      auto rows = store->rows(source->name);
      if (!rows) {
        err << "pinsync: " << rows.error().message << '\n';
        return k_exit_failure;
      }
      for (const auto& r : *rows) ++by_state[std::string(state::to_string(r.state))];
      // The last pass of the whole source: a resync of named rows is not one.
      auto runs = store->recent_runs(source->name, 50);
      if (runs) {
        for (const auto& run : *runs) {
          if (run.trigger == k_row_resync_trigger) continue;
          last = run;
          break;
        }
      }
      auto paused = store->pause(source->name);
      if (!paused) {
        err << "pinsync: " << paused.error().message << '\n';
        return k_exit_failure;
      }
      pause = *paused;
    }
    if (options.json) {
      w.begin_object().key("name").value(source->name).key("kind").value(source->kind());
      w.key("channel_id").value(source->channel_id).key("rows").begin_object();
      for (const auto& [state_name, n] : by_state) w.key(state_name).value(std::int64_t{n});
      w.end_object();
      w.key("paused");
      if (pause) {
        w.begin_object().key("by").value(state::to_string(pause->by)).key("since");
        write_time(w, pause->since);
        w.key("reason").value(pause->reason).end_object();
      } else {
        w.null();
      }
      if (last) {
        w.key("last_pass").begin_object().key("trigger").value(last->trigger);
        w.key("started_at");
        write_time(w, last->started_at);
        w.key("finished_at");
        write_time(w, last->finished_at);
        w.key("report");
        write_report_json(w, report_of(*last), ReportRows::omitted);
        w.end_object();
      }
      // What needs a person, as /status says it.
      w.key("needs_you").begin_array();
      for (const auto& n : needs[source->name]) {
        w.begin_object().key("kind").value(to_string(n.kind)).key("badge").value(n.badge);
        w.key("detail").value(n.detail).key("fix").value(n.command).end_object();
      }
      w.end_array();
      w.end_object();
      continue;
    }
    out << source->name << " (" << source->kind() << ", channel " << source->channel_id << ")\n  rows: ";
    if (by_state.empty()) out << "none yet";
    bool first = true;
    for (const auto& [state_name, n] : by_state) {
      out << (first ? "" : ", ") << n << ' ' << state_name;
      first = false;
    }
    if (pause) {
      out << "\n  PAUSED by " << (pause->by == state::PausedBy::operator_ ? "an operator" : "pinsync") << " since "
          << format_time(pause->since) << ": " << pause->reason << " — pinsync resume --source " << source->name;
    }
    out << "\n  last pass: ";
    if (!last) {
      out << "never\n";
    } else {
      out << format_time(last->started_at) << " (" << last->trigger << "): " << last->result;
      if (!last->detail.empty()) out << " (" << last->detail << ")";
      out << " — " << last->created << " created, " << last->updated << " updated, " << last->unchanged
          << " unchanged, " << last->invalid << " invalid, " << last->removed << " removed, " << last->held
          << " held, " << last->failed << " failed, " << last->dead << " dead";
      if (last->unpublished > 0) out << ", " << last->unpublished << " taken down to draft";
      if (last->republished > 0) out << ", " << last->republished << " brought back";
      if (last->adopted > 0) out << ", " << last->adopted << " adopted";
      out << ", " << last->api_requests << " API requests\n";
    }
  }
  w.end_array().end_object();
  if (options.json) out << w.str() << '\n';
  if (store == nullptr && !options.json) out << "(no state file yet at " << config.state_path.string() << ")\n";
  return k_exit_ok;
}

int command_errors(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  auto opened = open_session(config, options, err, StoreAccess::read);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
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
      // A forgotten row is no error, but it is listed so nobody wonders where its show went.
      if (!state::needs_attention(r.state) && r.state != state::RowState::forgotten) continue;
      ++count;
      const std::string id = state::is_placeholder_id(r.source_id) ? "" : r.source_id;
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
  auto opened = open_session(config, options, err, StoreAccess::none);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  return print_listing(
      session->client().channels(), options, out, err,
      [](json::Writer& w, const Channel& c) { w.begin_object().key("id").value(c.id).key("name").value(c.name).end_object(); },
      [](std::ostream& o, const Channel& c) { o << std::setw(8) << c.id << "  " << c.name << '\n'; },
      "the API key can use no channel");
}

int command_classifications(const Config& config, const CommandOptions& options, std::ostream& out,
                            std::ostream& err) {
  auto opened = open_session(config, options, err, StoreAccess::none);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  return print_listing(
      session->client().classifications(), options, out, err,
      [](json::Writer& w, const std::string& slug) { w.value(slug); },
      [](std::ostream& o, const std::string& slug) { o << slug << '\n'; }, "no classifications");
}

}  // namespace pinsync::agent

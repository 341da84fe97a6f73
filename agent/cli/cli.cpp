#include "agent/cli/cli.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "agent/cli/backup.h"
#include "agent/cli/check.h"
#include "agent/cli/commands.h"
#include "agent/cli/exit_codes.h"
#include "agent/cli/forget.h"
#include "agent/cli/history.h"
#include "agent/cli/pause.h"
#include "agent/cli/resync.h"
#include "agent/cli/run.h"
#include "agent/config/env_file.h"
#include "agent/config/load.h"
#include "core/build_info.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_usage =
    "usage: pinsync COMMAND --config FILE [options]\n"
    "\n"
    "Keeps partner spreadsheets and Pinned Events in step.\n"
    "\n"
    "commands:\n"
    "  sync             one pass over every source (or --source NAME): create and update events\n"
    "  plan             what sync would do, without sending or changing anything\n"
    "  status           per source: rows by state and the last pass\n"
    "  errors           rows that are invalid, failed or held, with the cell and the reason\n"
    "  history          past passes of each source (--limit N), or every write of a row (--row ID)\n"
    "  channels         the Pinned Events channels the API key can use\n"
    "  classifications  the classification slugs Pinned Events accepts\n"
    "  check            preflight: config, API key, channel access, classifications, sources\n"
    "  run              the agent: poll every source on its schedule, serve the admin endpoint\n"
    "  resync           a pass now, through the running agent (or alone): --source, --row, --force\n"
    "  pause            stop one source (--source NAME [--reason TEXT]) until resume; kept across restarts\n"
    "  resume           start a paused source again (--source NAME)\n"
    "  forget           delete what the state file remembers of a source removed from the config\n"
    "  backup           a consistent copy of the state file (--to FILE), safe while the agent runs\n"
    "  recover          after a lost or restored state file: adopt the events rows already have (--source)\n"
    "\n"
    "Every command takes --env-file FILE: variables for ${VAR} in the config, read as systemd\n"
    "reads a unit's EnvironmentFile= ('-' reads standard input); they override the environment.\n"
    "\n"
    "Run 'pinsync COMMAND --help' (or 'pinsync help COMMAND') for the options of one command;\n"
    "'pinsync --version' prints the version.\n"
    "\n"
    "exit codes: 0 ok, 1 unexpected failure, 2 bad command line, 3 configuration error,\n"
    "            4 access refused (API key or source), 5 rows left invalid or failed\n";

// The parts of the config a command uses: a ${VAR} unset elsewhere is no error for it.
enum class Uses {
  everything,        // sync, run, check, resync: every part, every variable
  state,             // reads or changes only the state file (or asks the agent)
  pinned,            // the API key (channels, classifications)
  pinned_and_source  // the key and the selected source(s) (plan)
};

struct CommandSpec {
  std::string_view name;
  std::string_view help;
  bool takes_source;
  bool takes_json;
  CommandFn run;
  Uses uses = Uses::everything;
};

ConfigNeeds needs_of(Uses uses, const std::string& source) {
  switch (uses) {
    case Uses::everything: return ConfigNeeds{};
    case Uses::state: return ConfigNeeds::state_only();
    case Uses::pinned: return ConfigNeeds{false, true, false, ""};
    case Uses::pinned_and_source: return ConfigNeeds{false, true, true, source};
  }
  return ConfigNeeds{};
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> table = {
      {"sync", "usage: pinsync sync --config FILE [--source NAME] [--accept-new-state] [--json]\n"
               "One pass: reads each source, creates events for new approved rows, updates events\n"
               "whose rows changed, reports invalid rows. Exit 5 when rows are left invalid or failed.\n"
               "After a lost, new or restored state file a source first looks for the events its rows\n"
               "may already have (see 'pinsync recover'); --accept-new-state creates them without looking\n"
               "when it cannot look (no events:read, no event-ID column).\n"
               "--json prints the pass reports as JSON (README, \"Pass reports\").\n",
       true, true, command_sync},
      {"plan", "usage: pinsync plan --config FILE [--source NAME] [--json]\n"
               "Shows what sync would create, update, leave unchanged, report invalid or removed.\n"
               "Sends nothing to Pinned Events and changes nothing (it only reads).\n",
       true, true, command_plan, Uses::pinned_and_source},
      {"status", "usage: pinsync status --config FILE [--source NAME] [--json]\n"
                 "Per source: rows by state, the last pass and its result.\n",
       true, true, command_status, Uses::state},
      {"errors", "usage: pinsync errors --config FILE [--source NAME] [--json]\n"
                 "Rows that are invalid, failed or held for review: source, row, ID, column, value, reason.\n",
       true, true, command_errors, Uses::state},
      {"history", "usage: pinsync history --config FILE [--source NAME] [--row ID] [--limit N] [--json]\n"
                  "What pinsync did and when, from the state file (kept 90 days, at most 10,000 passes per\n"
                  "source): each source's last N passes (default 20), newest first; or with --row ID every\n"
                  "write of that row, oldest first: time, create/update, HTTP status, event, request id.\n"
                  "Reads only; works while the agent runs.\n",
       true, true, command_history, Uses::state},
      {"channels", "usage: pinsync channels --config FILE [--json]\n"
                   "The Pinned Events channels the configured API key can use (channel_id values).\n",
       false, true, command_channels, Uses::pinned},
      {"classifications", "usage: pinsync classifications --config FILE [--json]\n"
                          "The classification slugs Pinned Events accepts.\n",
       false, true, command_classifications, Uses::pinned},
      {"check", "usage: pinsync check --config FILE [--source NAME]\n"
                "Preflight: loads the config, checks the API key, its channel access and the\n"
                "classifications, reads each source and checks its mapped columns. Sends no writes.\n",
       true, false, command_check},
      {"run", "usage: pinsync run --config FILE\n"
              "Runs the agent: polls each source at its poll_interval (±10 % jitter) and serves the admin\n"
              "endpoint (agent.admin_listen). SIGTERM/SIGINT stop it (exit 0), SIGHUP reloads the config,\n"
              "SIGUSR1 resyncs every source. Exit 1 when another pinsync holds the state file.\n",
       false, false, command_run},
      {"resync", "usage: pinsync resync --config FILE [--source NAME] [--row ID[,ID…]]… [--recreate | --forget] [--dead]\n"
                 "                      [--force] [--accept-removals] [--local] [--json]\n"
                 "A pass now, done by the running agent through its admin endpoint. When the config has an\n"
                 "admin endpoint but no agent answers, resync refuses (is the agent down?) unless --local\n"
                 "is given: then it runs the pass itself (safe: the state lock refuses while an agent runs).\n"
                 "Rows waiting in the retry queue are sent now and a source paused by a refused key resumes.\n"
                 "--row ID (repeat it, or ID,ID) writes only those rows and re-arms each that is dead,\n"
                 "refused or held for review; an ID no row has is an error naming the closest IDs (exit 2).\n"
                 "--recreate (with --row) gives a row whose event was deleted in Pinned Events a new event;\n"
                 "--forget (with --row) lets that event go: nothing is sent for the row until --recreate.\n"
                 "--dead re-arms every dead row of the source(s), each with its own key. --force re-sends\n"
                 "rows whose event was edited in Pinned Events (all rows without events:read);\n"
                 "--accept-removals confirms the removals of a suspect read.\n",
       true, true, command_resync},
      {"pause", "usage: pinsync pause --config FILE --source NAME [--reason TEXT]\n"
                "Pauses one source: its passes send nothing and read nothing until 'pinsync resume' (a\n"
                "resync or a new key does not end it). /status, /metrics, the page, status and errors show\n"
                "who paused it, when and why. Through the running agent, or in the state file when no agent\n"
                "answers. The pause is kept across restarts.\n",
       true, false, command_pause, Uses::state},
      {"resume", "usage: pinsync resume --config FILE --source NAME\n"
                 "Ends a source's pause, whoever made it (an operator, or pinsync after a refused key);\n"
                 "its next pass runs at once under the agent. Through the running agent, or in the state\n"
                 "file when no agent answers.\n",
       true, false, command_resume, Uses::state},
      {"backup", "usage: pinsync backup --config FILE --to FILE\n"
                 "Writes a consistent copy of the state file to a new FILE (mode 0600), also while the agent\n"
                 "runs, and checks it. Never overwrites a file. Copying the live file with cp can give a torn\n"
                 "copy; use this instead. To restore: stop pinsync, put the copy at state.path, start it.\n",
       false, false, command_backup, Uses::state},
      {"recover", "usage: pinsync recover --config FILE --source NAME [--accept-new-state] [--local] [--json]\n"
                  "After the state file was lost, started anew or put back from a backup: a pass of one\n"
                  "source (through the running agent, or --local) that, before creating a row the state\n"
                  "file does not know, adopts the event the row already has — the one its event-ID cell\n"
                  "names (write_back), else, with events:read, the one event of the channel with the same\n"
                  "content that no other row owns — and prints each row it adopted. sync does the same by\n"
                  "itself after a new state file or a restored `pinsync backup` copy. Without events:read\n"
                  "and without an event-ID column nothing can be looked up: it creates nothing unless\n"
                  "--accept-new-state says the rows have no events yet.\n",
       true, true, command_recover},
      {"forget", "usage: pinsync forget --config FILE --source NAME [--yes]\n"
                 "Deletes what the state file remembers of a source that is no longer in the config: its\n"
                 "rows, queued writes, change log and pause (its pass history stays). Events in Pinned Events\n"
                 "are not touched. Refuses a source still in the config. Asks for the source's name unless\n"
                 "--yes is given. Needs the state lock: stop the agent first.\n",
       true, false, command_forget, Uses::state},
  };
  return table;
}

// Reads `path` ('-': standard input) as an environment file and sets its variables in this
// process, so the config's ${VAR}, check's list and everything else see them. Prints what
// it ignored; false (after a message) when the file cannot be read or parsed.
bool apply_env_file(const std::string& path, std::ostream& err) {
  constexpr std::size_t k_max_bytes = 1024 * 1024;
  const std::string origin = path == "-" ? std::string("standard input") : path;
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::error_code ec(errno, std::generic_category());
      err << "pinsync: cannot read the env file " << path << ": " << ec.message()
          << (ec == std::errc::permission_denied ? " — it is usually root's: run with sudo, or pass it on "
                                                   "standard input with --env-file -"
                                                 : "")
          << '\n';
      return false;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.size() > k_max_bytes) {
    err << "pinsync: the env file " << origin << " is larger than 1 MiB — is it the right file?\n";
    return false;
  }
  const auto file = parse_env_file(text, origin);
  if (!file) {
    err << "pinsync: " << file.error().message << '\n';
    return false;
  }
  for (const auto& line : file->ignored) err << "pinsync: " << line << '\n';
  for (const auto& [name, value] : file->variables) ::setenv(name.c_str(), value.c_str(), 1);
  return true;
}

}  // namespace

int run_cli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << k_usage;
    return k_exit_usage;
  }
  const std::string_view name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (args.size() > 1) {
      for (const auto& c : commands()) {
        if (c.name == args[1]) {
          out << c.help;
          return k_exit_ok;
        }
      }
      err << "pinsync help: unknown command '" << args[1] << "'\n\n" << k_usage;
      return k_exit_usage;
    }
    out << k_usage;
    return k_exit_ok;
  }
  if (name == "--version") {
    // The first line is what help2man puts in the manual page; the revision follows it.
    out << "pinsync " << build_info::version() << "\nrevision " << build_info::revision() << '\n';
    return k_exit_ok;
  }
  const CommandSpec* spec = nullptr;
  for (const auto& c : commands()) {
    if (c.name == name) spec = &c;
  }
  if (spec == nullptr) {
    err << "pinsync: unknown command '" << name << "'\n\n" << k_usage;
    return k_exit_usage;
  }

  CommandOptions options;
  std::optional<std::filesystem::path> config;
  std::optional<std::string> env_file;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        err << "pinsync " << name << ": " << flag << " needs a value\n";
        return std::nullopt;
      }
      return std::string(args[++i]);
    };
    if (a == "--help" || a == "-h") {
      out << spec->help;
      return k_exit_ok;
    } else if (a == "--config" || a == "-c") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      config = *v;
    } else if (a.starts_with("--config=")) {
      config = std::string(a.substr(9));
    } else if (a == "--env-file") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      env_file = *v;
    } else if (a == "--source" && spec->takes_source) {
      auto v = value(a);
      if (!v) return k_exit_usage;
      options.source = *v;
    } else if (a == "--row" && name == "resync") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      // --row A --row B and --row A,B name the same two rows.
      for (std::size_t start = 0; start <= v->size();) {
        const auto comma = std::min(v->find(',', start), v->size());
        const auto id = text::trim(std::string_view(*v).substr(start, comma - start));
        if (!id.empty()) options.resync.rows.emplace_back(id);
        start = comma + 1;
      }
      if (options.resync.rows.empty()) {
        err << "pinsync resync: --row needs a row ID (the value of the source's ID column)\n";
        return k_exit_usage;
      }
    } else if (a == "--dead" && name == "resync") {
      options.resync.dead = true;
    } else if (a == "--recreate" && name == "resync") {
      options.resync.recreate = true;
    } else if (a == "--forget" && name == "resync") {
      options.resync.forget = true;
    } else if (a == "--accept-new-state" && (name == "sync" || name == "resync" || name == "recover")) {
      options.resync.accept_new_state = true;
    } else if (a == "--local" && (name == "resync" || name == "recover")) {
      options.local = true;
    } else if (a == "--force" && name == "resync") {
      options.resync.force = true;
    } else if (a == "--accept-removals" && name == "resync") {
      options.resync.accept_removals = true;
    } else if (a == "--reason" && name == "pause") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      options.reason = *v;
    } else if (a == "--row" && name == "history") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      options.history_row = *v;
    } else if (a == "--limit" && name == "history") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      int n = 0;
      const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc{} || end != v->data() + v->size() || n < 1 || n > state::k_history_runs) {
        err << "pinsync history: --limit needs a number from 1 to " << state::k_history_runs << '\n';
        return k_exit_usage;
      }
      options.limit = n;
    } else if (a == "--to" && name == "backup") {
      auto v = value(a);
      if (!v) return k_exit_usage;
      options.backup_to = *v;
    } else if (a == "--yes" && name == "forget") {
      options.yes = true;
    } else if (a == "--json" && spec->takes_json) {
      options.json = true;
    } else {
      err << "pinsync " << name << ": unknown option '" << a << "'\n\n" << spec->help;
      return k_exit_usage;
    }
  }
  if (!config) {
    err << "pinsync " << name << ": --config FILE is required\n\n" << spec->help;
    return k_exit_usage;
  }
  options.config_path = *config;
  if (env_file && !apply_env_file(*env_file, err)) return k_exit_config;
  auto loaded = load_config(*config, process_environment(), needs_of(spec->uses, options.source));
  // check turns an unloadable config into its checklist (which env vars are missing).
  if (!loaded && spec->run == command_check) return command_check_unloaded(*config, out, err);
  if (!loaded) {
    err << "pinsync: config error: " << loaded.error().message << '\n';
    return k_exit_config;
  }
  // forget is for a source the config no longer has.
  if (!options.source.empty() && spec->run != command_forget && loaded->find_source(options.source) == nullptr) {
    err << "pinsync " << name << ": no source named '" << options.source << "' in " << config->string()
        << "; sources:";
    for (const auto& s : loaded->sources) err << ' ' << s.name;
    err << '\n';
    return k_exit_usage;
  }
  if (options.resync.recreate && options.resync.forget) {
    err << "pinsync resync: --recreate and --forget together: choose one — --recreate creates the deleted event "
           "again, --forget lets it go\n";
    return k_exit_usage;
  }
  if (options.resync.forget && options.resync.rows.empty()) {
    err << "pinsync resync: --forget needs --row ID: it lets go of the deleted events of the rows named, one "
           "decision at a time\n";
    return k_exit_usage;
  }
  if (options.resync.recreate && options.resync.rows.empty()) {
    err << "pinsync resync: --recreate needs --row ID: it gives a new event to the rows named, one decision at a "
           "time\n";
    return k_exit_usage;
  }
  if (!options.resync.rows.empty() && options.source.empty() && loaded->sources.size() > 1) {
    err << "pinsync resync: --row needs --source NAME: row IDs belong to one source; sources:";
    for (const auto& s : loaded->sources) err << ' ' << s.name;
    err << '\n';
    return k_exit_usage;
  }
  return spec->run(*loaded, options, out, err);
}

}  // namespace pinsync::agent

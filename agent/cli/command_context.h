// What every command starts from: its options, the sources it selects and the session it
// opens.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/sync/pass.h"
#include "agent/sync/session.h"
#include "core/json_writer.h"

namespace pinsync::agent {

struct CommandOptions {
  std::filesystem::path config_path;  // as given with --config (for reloads)
  std::string source;  // empty: every source
  ResyncAsk resync;    // resync --row (repeated or comma-separated), --dead, --force, --accept-removals
  bool local = false;  // resync --local: run the pass here even though an agent is configured
  std::string reason;  // pause --reason: why, shown wherever the pause is
  std::filesystem::path backup_to;  // backup --to FILE
  std::string history_row;  // history --row ID
  int limit = 20;           // history --limit N
  bool json = false;
  bool yes = false;    // forget --yes: no confirmation asked
  WorldSeams world;    // the clock and transports every session of the command uses; empty
                       // from the command line (the system clock, libcurl), filled by tests
};

using CommandFn = int (*)(const Config&, const CommandOptions&, std::ostream& out, std::ostream& err);

// Writes an instant as the commands' JSON gives every time: ISO 8601 UTC
// ("2026-12-02T06:25:52Z", which jq's fromdateiso8601 reads), or null for none (0: a pass
// that never finished).
void write_time(json::Writer& w, std::int64_t unix_seconds);

// The sources a command works on: the one named by --source, else all, in config order.
std::vector<const SourceConfig*> selected_sources(const Config& config, const CommandOptions& options);

// Opens the session for a command, on the command's WorldSeams (options.world). Returns the
// session, or, after writing it to `err`, the error that kept it from opening (Error{conflict}
// when another pinsync holds the state file; the store's error when the file is unreadable),
// for the command to exit with exit_code_for(error).
Result<std::unique_ptr<Session>> open_session(const Config& config, const CommandOptions& options,
                                              std::ostream& err, StoreAccess access);

}  // namespace pinsync::agent

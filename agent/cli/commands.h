// The subcommands of the pinsync CLI, each given a loaded config. Each returns an
// exit code from cli.h and writes its report to `out`, problems to `err`.
#pragma once

#include <ostream>
#include <filesystem>
#include <string>

#include "agent/config/config.h"

namespace pinsync::agent {

struct CommandOptions {
  std::filesystem::path config_path;  // as given with --config (for reloads)
  std::string source;  // empty: every source
  std::string row;     // resync --row: one source id
  bool force = false;  // resync --force
  bool accept_removals = false;  // resync --accept-removals
  bool json = false;
};

using CommandFn = int (*)(const Config&, const CommandOptions&, std::ostream& out, std::ostream& err);

int command_sync(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_plan(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_status(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_errors(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_channels(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_classifications(const Config& config, const CommandOptions& options, std::ostream& out,
                            std::ostream& err);
int command_check(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

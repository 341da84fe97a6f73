// The subcommands of the pinsync CLI, each given a loaded config. Each returns an
// exit code from exit_codes.h and writes its report to `out`, problems to `err`.
#pragma once

#include <ostream>
#include <filesystem>
#include <string>

#include "agent/cli/command_context.h"
#include "agent/config/config.h"

namespace pinsync::agent {

int command_sync(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_plan(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_status(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_errors(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_channels(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);
int command_classifications(const Config& config, const CommandOptions& options, std::ostream& out,
                            std::ostream& err);

}  // namespace pinsync::agent

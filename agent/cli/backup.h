// `pinsync backup --to FILE`: a consistent copy of the state file, safe while the agent runs
// (copying the live file with cp can catch it halfway through a write).
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"

namespace pinsync::agent {

// Copies the state file to options.backup_to (mode 0600; never over an existing file) and
// checks the copy. Returns 0, 2 without --to, 1 when there is no state file yet or the copy
// cannot be made.
int command_backup(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

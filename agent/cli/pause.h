// `pinsync pause --source NAME [--reason TEXT]` and `pinsync resume --source NAME`: stop one
// partner's source without deleting it, and start it again. Through the running agent
// (POST /pause, /resume) or, with no agent answering, in the state file itself (the state
// lock decides). The pause is kept in the state file, so it outlives restarts.
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"

namespace pinsync::agent {

// Pauses options.source: its passes make no request until `pinsync resume` (a resync or a
// new key does not end it). Returns 0, 2 without --source, 1 when the agent refused or the
// state file could not be written.
int command_pause(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

// Ends options.source's pause, whoever made it (an operator, or pinsync on a refused key).
// Returns 0 (also when it was not paused), 2 without --source, 1 as command_pause.
int command_resume(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

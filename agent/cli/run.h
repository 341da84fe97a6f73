// `pinsync run`: the agent in the foreground, driven by signals.
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"

namespace pinsync::agent {

// `pinsync run`: runs the agent until SIGTERM/SIGINT (exit 0); SIGHUP reloads the config
// file, SIGUSR1 resyncs every source. Returns 1 when another pinsync holds the state
// file (the message names its pid), 3 when the admin endpoint cannot listen.
int command_run(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

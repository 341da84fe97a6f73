// `pinsync resync`: a pass now. Asks the running agent through its admin endpoint
// (POST /resync); with nothing listening there it runs the pass itself, like sync.
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"
#include "agent/config/config.h"

namespace pinsync::agent {

// Prints what each pass did. Returns 0 when every pass was clean, 5 when rows are left
// invalid or failed, 1 when a source was stopped, the agent answered with an error, or
// (with no agent listening) another pinsync holds the state file.
int command_resync(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

// `pinsync recover --source NAME [--accept-new-state]`: a resync of one source (through the
// agent, or --local) that looks for the event of every row the state file does not know
// before it creates one — by the event ID written back into the row, else by the same
// content — and prints what it adopted. With --accept-new-state a source that cannot be
// searched creates its unknown rows instead (a person's word that they have no events).
int command_recover(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

// `pinsync forget --source NAME`: deletes what the state file remembers of a source that
// was removed from the config — its rows, outbox, change log and pause (its pass history
// stays). The events in Pinned Events are not touched.
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"

namespace pinsync::agent {

// Refuses (exit 2) a source that is still in the config: its next pass would take every
// row for new and create a second event for each. Without options.yes it says what would
// be deleted and asks for the source's name on a terminal (exit 2 when the answer differs
// or there is no terminal). Returns 0 when the source is forgotten, 1 when the state file
// is locked by another pinsync or cannot be written.
int command_forget(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

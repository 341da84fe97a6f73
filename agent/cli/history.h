// `pinsync history`: what pinsync did and when, from the state file — the passes of each
// source (kept 90 days, at most 10,000 per source), or every write of one row.
#pragma once

#include <ostream>

#include "agent/cli/command_context.h"

namespace pinsync::agent {

// Without --row: the newest passes of each selected source (options.limit, default 20),
// newest first. With --row ID (and --source when there are several): every write of that
// row, oldest first — time, create or update, HTTP status, event id, request id. Reads
// only; works while the agent runs. Returns 0, 2 for --row without a needed --source, 1
// when the state file cannot be read.
int command_history(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

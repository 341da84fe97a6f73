// What the state file says about a source's status: its last passes from the run log, its
// pause and its rows by state. The agent seeds its status with it after a restart and adds
// it to every /status answer; `pinsync status` builds its whole view from it, so the CLI,
// /status and the page judge a source by the same facts (attention.h).
#pragma once

#include <string>

#include "agent/daemon/status.h"
#include "core/log.h"
#include "state/store.h"

namespace pinsync::agent {

// Fills `status`'s recent passes (newest first, at most k_recent_passes; neither unfinished
// passes nor row-scoped resyncs), when each result was last seen and the last success, from
// the run log. A run log that cannot be read is logged and leaves them empty.
void add_pass_history(state::Store& store, Logger& log, SourceStatus& status);

// Fills `status`'s pause (reason, by whom, since), rows by state, retry queue depth, events
// taken down and the rows that need attention, from the store. What cannot be read is left
// as it was (the retry queue depth unknown).
void add_stored_facts(state::Store& store, SourceStatus& status);

}  // namespace pinsync::agent

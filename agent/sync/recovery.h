// Whether a source's rows may be behind Pinned Events: its state file was lost, is new, or
// was put back from a backup, so rows the store does not know may already have events. A
// pass of such a source looks for every row it would create first (Executor): adopting the
// event its row's write-back event-ID cell names, else one with the same content, and only
// then creating. The answer lives in the store as the fact state::k_recovery_fact.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "state/store.h"

namespace pinsync::agent {

// Why the next pass of `source` must look for existing events before it creates, or "":
// the store was put back from a backup made by `pinsync backup` (the copy is marked), or it
// has no record of the source at all (`has_rows` false: a new state file, or a new source)
// and no pass has settled that since. A source with rows and no mark needs nothing.
Result<std::string> recovery_reason(state::Store& store, std::string_view source, bool has_rows);

// Notes that a pass of `source` looked for the events of every row it did not know (or a
// person accepted creating them): its next passes create without looking.
Result<void> settle_recovery(state::Store& store, std::string_view source);

}  // namespace pinsync::agent

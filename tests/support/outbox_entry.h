// One row's outbox entry, for tests that look at what pinsync left unsent: the store reads
// its outbox a source at a time (Store::outbox_entries), as pinsync itself does.
#pragma once

#include <optional>
#include <string_view>

#include "state/store.h"

namespace pinsync::testing {

// The entry of (source, source_id) among its source's outbox entries; nullopt when the row
// has none; the store's error when it cannot read the outbox.
inline Result<std::optional<state::OutboxEntry>> outbox_entry(state::Store& store, std::string_view source,
                                                               std::string_view source_id) {
  auto entries = store.outbox_entries(source);
  if (!entries) return std::unexpected(entries.error());
  for (auto& entry : *entries) {
    if (entry.source_id == source_id) return std::optional<state::OutboxEntry>(std::move(entry));
  }
  return std::optional<state::OutboxEntry>();
}

}  // namespace pinsync::testing

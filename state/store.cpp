#include "state/store.h"


namespace pinsync::state {

std::string_view to_string(RowState s) {
  switch (s) {
    case RowState::synced: return "synced";
    case RowState::pending: return "pending";
    case RowState::invalid: return "invalid";
    case RowState::failed: return "failed";
    case RowState::removed: return "removed";
    case RowState::needs_review: return "needs_review";
    case RowState::gone: return "gone";
    case RowState::dead: return "dead";
  }
  return "pending";
}

std::optional<RowState> row_state_from_string(std::string_view s) {
  for (auto state : k_row_states) {
    if (to_string(state) == s) return state;
  }
  return std::nullopt;
}

std::string_view to_string(WriteAction a) {
  return a == WriteAction::create ? "create" : "update";
}

Result<void> Store::record_success(const OutboxEntry& entry, const WriteOutcome& outcome) {
  const Outcome one{entry, outcome, std::nullopt};
  return record_outcomes({&one, 1});
}

Result<void> Store::record_failure(const OutboxEntry& entry, const WriteOutcome& outcome, const Failure& failure) {
  const Outcome one{entry, outcome, failure};
  return record_outcomes({&one, 1});
}

}  // namespace pinsync::state

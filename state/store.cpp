#include "state/store.h"

namespace pinsync::state {

namespace {

constexpr char k_placeholder_mark = '@';

}  // namespace

std::string placeholder_id(std::string_view row_ref) { return k_placeholder_mark + std::string(row_ref); }

bool is_placeholder_id(std::string_view source_id) { return source_id.starts_with(k_placeholder_mark); }

std::string_view to_string(PausedBy by) { return by == PausedBy::operator_ ? "operator" : "pinsync"; }

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
    case RowState::forgotten: return "forgotten";
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


}  // namespace pinsync::state

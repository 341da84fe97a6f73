#include "state/store.h"

#include <algorithm>
#include <new>
#include <type_traits>

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


static_assert(std::is_trivially_destructible_v<RowDigest>, "RowDigests never destroys its digests");

RowDigests::RowDigests() : m_arena(std::make_unique<BlockArena>()) {}

RowDigest& RowDigests::add() {
  if (m_size == m_chunks.size() * k_chunk) {
    m_chunks.push_back(static_cast<RowDigest*>(m_arena->allocate(k_chunk * sizeof(RowDigest), alignof(RowDigest))));
  }
  RowDigest* const at = &m_chunks.back()[m_size % k_chunk];
  ++m_size;
  return *new (at) RowDigest();
}

std::string_view RowDigests::keep(std::string_view text) {
  if (text.empty()) return {};
  char* const at = static_cast<char*>(m_arena->allocate(text.size(), 1));
  std::copy(text.begin(), text.end(), at);
  return {at, text.size()};
}

}  // namespace pinsync::state

#include "agent/sync/recovery.h"

#include <charconv>
#include <cstdint>

#include "core/datetime.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_settled = "settled";
constexpr std::string_view k_backup = "backup ";

}  // namespace

Result<std::string> recovery_reason(state::Store& store, std::string_view source, bool has_rows) {
  auto fact = store.fact(source, state::k_recovery_fact);
  if (!fact) return std::unexpected(fact.error());
  if (!*fact) {
    if (has_rows) return std::string();
    return std::string("the state file has no record of this source (a new or lost state file, or a new source)");
  }
  const std::string_view value = **fact;
  if (value == k_settled) return std::string();
  if (value.starts_with(k_backup)) {
    std::int64_t at = 0;
    const auto digits = value.substr(k_backup.size());
    if (std::from_chars(digits.data(), digits.data() + digits.size(), at).ec == std::errc{}) {
      return "the state file was put back from a backup taken " + format_utc(at) +
             ", so rows created since are unknown to it";
    }
  }
  return "the state file says this source may be behind Pinned Events (" + std::string(value) + ")";
}

Result<void> settle_recovery(state::Store& store, std::string_view source) {
  // Cached: should a power cut take it, the next pass looks for its creates first again.
  return store.set_fact(source, state::k_recovery_fact, k_settled, state::Durability::cached);
}

}  // namespace pinsync::agent

#include "core/backoff.h"

#include <algorithm>

namespace pinsync {

Backoff::Backoff(RetryPolicy policy, std::uint64_t seed) : m_policy(policy), m_rng(seed) {}

std::chrono::milliseconds Backoff::delay(int retry, std::optional<std::chrono::seconds> retry_after) {
  const int shift = std::clamp(retry - 1, 0, 30);
  const auto ceiling = std::max<std::int64_t>(
      0, std::min<std::int64_t>(m_policy.cap.count(), m_policy.base.count() * (std::int64_t{1} << shift)));
  std::chrono::milliseconds wait{ceiling};
  if (m_policy.jitter == Jitter::full) {
    std::uniform_int_distribution<std::int64_t> draw(0, ceiling);
    wait = std::chrono::milliseconds{draw(m_rng)};
  }
  if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
  return wait;
}

}  // namespace pinsync

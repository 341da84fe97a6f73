// The public classification slugs for every session of one process (the agent's sources
// share them): fetched once, kept for an hour, fetched again sooner when Pinned Events
// refuses a write for a classification it does not know (the list changed under us). So
// `pinsync run` asks GET /classifications about once an hour, not on every pass of every
// source.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "agent/pinned/client.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

namespace pinsync::agent {

class SlugCache {
 public:
  // How long a fetched list is trusted.
  static constexpr std::chrono::seconds k_ttl = std::chrono::hours(1);
  // After a fetch failed (other than a refused key), how long the slugs stay "not checked"
  // (Pinned Events checks them instead) before the next try.
  static constexpr std::chrono::seconds k_retry_after_failure = std::chrono::minutes(5);

  // The slugs; null: not checked (the list could not be fetched).
  using Slugs = std::shared_ptr<const std::set<std::string>>;

  explicit SlugCache(Clock& clock, std::chrono::seconds ttl = k_ttl) : m_clock(clock), m_ttl(ttl) {}

  // Returns the slugs kept, fetching them with `client` first when none are kept, they are
  // older than the TTL, or stale() was called since. One fetch at a time: callers meanwhile
  // wait and share its answer. Returns Error{auth} (and keeps nothing) when the key is
  // refused; after another failure, null ("not checked", with one warning on `log`) until
  // k_retry_after_failure has passed.
  Result<Slugs> get(PinnedClient& client, Logger& log);
  // The list is stale (a write was refused for an unknown slug): the next get() fetches.
  void stale();
  // Fetches made so far (tests, request economy).
  int fetches() const;

 private:
  Clock& m_clock;
  const std::chrono::seconds m_ttl;
  std::mutex m_fetch;  // held across a fetch, so only one goes at a time
  mutable std::mutex m_mutex;
  std::optional<Slugs> m_slugs;  // nullopt: nothing kept
  std::chrono::steady_clock::time_point m_expires;
  int m_fetches = 0;
};

}  // namespace pinsync::agent

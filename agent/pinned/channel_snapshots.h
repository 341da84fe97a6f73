// What the channels held when a recovery first listed them, shared by every source of the
// agent. A source whose rows the state file does not know looks for their events before
// creating them (agent/sync/recovery.h); the events a lost state file could have known
// existed before this process began, so one listing per channel answers every source — a
// thousand sources on a new state file listed their growing channel a thousand times.
// Events this process creates after the listing are its rows' own, never adopted anyway.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "agent/pinned/client.h"
#include "core/clock.h"
#include "core/error.h"

namespace pinsync::agent {

class ChannelSnapshots {
 public:
  // A listing older than this is taken again: a recovery asked for much later (pinsync
  // recover through a long-running agent) sees the channel as it is then.
  static constexpr std::chrono::minutes k_ttl{10};

  explicit ChannelSnapshots(Clock& clock, std::chrono::seconds ttl = k_ttl) : m_clock(clock), m_ttl(ttl) {}

  // The events of `channel` as listed at most the TTL ago — listed now through `client`
  // when there is no such listing or `fresh` is asked. Callers for the same channel wait for
  // one listing. Errors as PinnedClient::list_events (a failed listing is not kept).
  Result<std::shared_ptr<const ChannelEvents>> events(std::int64_t channel, PinnedClient& client, bool fresh);

 private:
  struct Listing {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<const ChannelEvents> events;
  };
  Clock& m_clock;
  std::chrono::seconds m_ttl;
  std::mutex m_mutex;  // held while a channel is listed
  std::map<std::int64_t, Listing> m_listings;
};

}  // namespace pinsync::agent

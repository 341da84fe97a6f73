#include "agent/pinned/channel_snapshots.h"

namespace pinsync::agent {

Result<std::shared_ptr<const ChannelEvents>> ChannelSnapshots::events(std::int64_t channel, PinnedClient& client,
                                                                      bool fresh) {
  std::lock_guard lock(m_mutex);
  const auto now = m_clock.monotonic();
  if (const auto it = m_listings.find(channel);
      !fresh && it != m_listings.end() && now - it->second.at < m_ttl) {
    return it->second.events;
  }
  auto listed = client.list_events(channel);
  if (!listed) return std::unexpected(listed.error());
  auto events = std::make_shared<const ChannelEvents>(std::move(*listed));
  m_listings[channel] = Listing{now, events};
  return events;
}

}  // namespace pinsync::agent

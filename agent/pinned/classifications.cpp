#include "agent/pinned/classifications.h"

namespace pinsync::agent {

Result<SlugCache::Slugs> SlugCache::get(PinnedClient& client, Logger& log) {
  std::lock_guard fetching(m_fetch);
  {
    std::lock_guard lock(m_mutex);
    if (m_slugs && m_clock.monotonic() < m_expires) return *m_slugs;
  }
  auto fetched = client.classifications();
  std::lock_guard lock(m_mutex);
  ++m_fetches;
  if (!fetched) {
    // A refused key pauses the source; the next pass (after a new key) asks again.
    if (fetched.error().kind == ErrorKind::auth) return std::unexpected(fetched.error());
    log.warn("classifications unavailable; slugs are checked by Pinned Events instead",
             {{"reason", fetched.error().message}});
    m_slugs = Slugs{};
    m_expires = m_clock.monotonic() + k_retry_after_failure;
    return *m_slugs;
  }
  m_slugs = std::make_shared<const std::set<std::string>>(std::move(*fetched));
  m_expires = m_clock.monotonic() + m_ttl;
  return *m_slugs;
}

void SlugCache::stale() {
  std::lock_guard lock(m_mutex);
  m_expires = m_clock.monotonic();
}

int SlugCache::fetches() const {
  std::lock_guard lock(m_mutex);
  return m_fetches;
}

}  // namespace pinsync::agent

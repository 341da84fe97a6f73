#include "sandbox/pinned/store.h"

#include <date/date.h>

namespace pinsync_sandbox {

namespace {

std::string utc_now() {
  auto now = date::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return date::format("%FT%TZ", now);
}

PinnedStore::Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<PinnedStore::Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

bool PinnedStore::expired(const Entry& e, Clock::time_point now, double succeeded_ttl,
                          double in_progress_ttl) const {
  double ttl = e.succeeded ? succeeded_ttl : in_progress_ttl;
  return now - e.since >= to_duration(ttl);
}

void PinnedStore::purge_expired(Clock::time_point now, double succeeded_ttl, double in_progress_ttl) {
  for (auto it = m_idempotency.begin(); it != m_idempotency.end();) {
    it = expired(it->second, now, succeeded_ttl, in_progress_ttl) ? m_idempotency.erase(it) : std::next(it);
  }
}

Claim PinnedStore::claim(const std::string& owner, const std::string& key, const std::string& canonical_payload,
                         double succeeded_ttl, double in_progress_ttl) {
  std::lock_guard lock(m_mutex);
  auto now = Clock::now();
  // Expired entries are also skipped on lookup; the purge only bounds memory. It walks the
  // whole table, so it runs at most once a second: purging every N claims made each claim
  // cost O(table size / N), the largest single cost of a create under a 100,000-row import.
  if (now - m_last_purge >= std::chrono::seconds(1)) {
    m_last_purge = now;
    purge_expired(now, succeeded_ttl, in_progress_ttl);
  }
  auto it = m_idempotency.find({owner, key});
  if (it != m_idempotency.end() && !expired(it->second, now, succeeded_ttl, in_progress_ttl)) {
    const Entry& e = it->second;
    if (e.payload != canonical_payload) return Claim{ClaimOutcome::payload_mismatch, 0, {}};
    if (!e.succeeded) return Claim{ClaimOutcome::in_progress, 0, {}};
    return Claim{ClaimOutcome::replay, 0, e.response};
  }
  Entry entry;
  entry.payload = canonical_payload;
  entry.since = now;
  entry.token = m_next_token++;
  std::uint64_t token = entry.token;
  m_idempotency[{owner, key}] = std::move(entry);
  ++m_claims_held;
  return Claim{ClaimOutcome::fresh, token, {}};
}

void PinnedStore::complete(const std::string& owner, const std::string& key, std::uint64_t token,
                           CachedResponse response) {
  std::lock_guard lock(m_mutex);
  --m_claims_held;
  auto it = m_idempotency.find({owner, key});
  if (it == m_idempotency.end() || it->second.token != token) return;
  it->second.succeeded = true;
  it->second.since = Clock::now();
  it->second.response = std::move(response);
}

void PinnedStore::release(const std::string& owner, const std::string& key, std::uint64_t token) {
  std::lock_guard lock(m_mutex);
  --m_claims_held;
  auto it = m_idempotency.find({owner, key});
  if (it != m_idempotency.end() && it->second.token == token && !it->second.succeeded) {
    m_idempotency.erase(it);
  }
}

std::int64_t PinnedStore::claims_held() const {
  std::lock_guard lock(m_mutex);
  return m_claims_held;
}

StoredEvent PinnedStore::insert(EventFields fields, std::optional<std::string> idempotency_key) {
  std::string now = utc_now();
  std::lock_guard lock(m_mutex);
  StoredEvent ev{m_next_id++, std::move(fields), now, now, std::move(idempotency_key)};
  m_events[ev.id] = ev;
  return ev;
}

std::optional<StoredEvent> PinnedStore::find(std::int64_t id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_events.find(id);
  if (it == m_events.end()) return std::nullopt;
  return it->second;
}

std::optional<StoredEvent> PinnedStore::update(std::int64_t id, EventFields fields) {
  std::string now = utc_now();
  std::lock_guard lock(m_mutex);
  auto it = m_events.find(id);
  if (it == m_events.end()) return std::nullopt;
  it->second.fields = std::move(fields);
  it->second.updated_at = now;
  return it->second;
}

bool PinnedStore::erase(std::int64_t id) {
  std::lock_guard lock(m_mutex);
  return m_events.erase(id) == 1;
}

void PinnedStore::reset() {
  std::lock_guard lock(m_mutex);
  m_events.clear();
  m_next_id = 1;
  m_idempotency.clear();
}

}  // namespace pinsync_sandbox

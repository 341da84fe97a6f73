// In-memory state of the emulated Pinned Events account: stored events and the
// Idempotency-Key table with its two lifetimes (succeeded, in progress) on the steady clock.
// One mutex guards everything; callers never hold it while sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/pinned/validation.h"

namespace pinsync_sandbox {

struct StoredEvent {
  std::int64_t id = 0;
  EventFields fields;
  std::string created_at;  // UTC, millisecond precision, e.g. 2026-06-01T09:30:00.123Z
  std::string updated_at;
  std::optional<std::string> idempotency_key;
};

struct CachedResponse {
  int status = 0;
  std::string body;
};

enum class ClaimOutcome {
  fresh,              // the caller owns the key now and must complete() or release() it
  replay,             // a success is cached for the same payload: answer it again
  payload_mismatch,   // a live entry exists for a different payload: 409
  in_progress,        // the same key is being processed by another request: 409
};

struct Claim {
  ClaimOutcome outcome = ClaimOutcome::fresh;
  std::uint64_t token = 0;  // identifies the caller's claim for complete()/release()
  CachedResponse cached;    // set for replay
};

class PinnedStore {
 public:
  using Clock = std::chrono::steady_clock;

  // Looks up (owner, key). An expired entry counts as absent; a fresh claim is recorded as
  // in progress. `succeeded_ttl` and `in_progress_ttl` are in seconds and may be 0.
  Claim claim(const std::string& owner, const std::string& key, const std::string& canonical_payload,
              double succeeded_ttl, double in_progress_ttl);
  // Records the success of a fresh claim so later identical requests replay it. Does nothing
  // when the claim has since expired and been taken over.
  void complete(const std::string& owner, const std::string& key, std::uint64_t token,
                CachedResponse response);
  // Forgets a fresh claim whose request failed, so a corrected resend is processed anew.
  void release(const std::string& owner, const std::string& key, std::uint64_t token);
  // Returns how many fresh claims are not yet completed or released: the keyed creates under
  // way, counted also when a later request took over an expired claim.
  std::int64_t claims_held() const;

  // Stores a new event with the next id (from 1) and returns it.
  StoredEvent insert(EventFields fields, std::optional<std::string> idempotency_key);
  // Returns the event, or nullopt for an unknown id.
  std::optional<StoredEvent> find(std::int64_t id) const;
  // Replaces the fields of an existing event; returns the updated event, or nullopt when the
  // id is unknown.
  std::optional<StoredEvent> update(std::int64_t id, EventFields fields);
  // Removes the event (ids are never reused); returns false when the id is unknown.
  bool erase(std::int64_t id);
  struct Page {
    std::vector<StoredEvent> events;  // at most `limit`, in id order
    std::int64_t total = 0;           // all events passing the filter
  };
  // Returns the events passing `keep`, in id order, skipping `offset` and keeping at most
  // `limit` (copies only the page: benchmarks leave many thousands of events behind).
  template <typename Pred>
  Page page(Pred keep, std::int64_t offset, std::int64_t limit) const {
    std::lock_guard lock(m_mutex);
    Page out;
    for (const auto& [id, ev] : m_events) {
      if (!keep(ev)) continue;
      if (out.total >= offset && out.total < offset + limit) out.events.push_back(ev);
      ++out.total;
    }
    return out;
  }
  // Forgets every event and idempotency entry; ids restart at 1.
  void reset();

 private:
  struct Entry {
    bool succeeded = false;
    std::string payload;
    Clock::time_point since;  // claim time, or completion time once succeeded
    std::uint64_t token = 0;
    CachedResponse response;
  };

  bool expired(const Entry& e, Clock::time_point now, double succeeded_ttl, double in_progress_ttl) const;
  void purge_expired(Clock::time_point now, double succeeded_ttl, double in_progress_ttl);

  mutable std::mutex m_mutex;
  std::map<std::int64_t, StoredEvent> m_events;
  std::int64_t m_next_id = 1;
  std::map<std::pair<std::string, std::string>, Entry> m_idempotency;
  std::uint64_t m_next_token = 1;
  std::int64_t m_claims_held = 0;  // not reset: a create under way still completes or releases
  Clock::time_point m_last_purge = Clock::now();
};

}  // namespace pinsync_sandbox

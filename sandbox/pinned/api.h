// The emulated Pinned Events Public API under /api/public/v1, as docs/sandbox.md ("The API")
// describes it: bearer / x-api-key auth with scopes and channel access, strict validation, the
// documented error envelope, Idempotency-Key with its TTLs, pagination envelopes, per-key
// rate limits and injected faults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"
#include "sandbox/pinned/api_keys.h"
#include "sandbox/pinned/faults.h"
#include "sandbox/pinned/store.h"

namespace pinsync_sandbox {

class PinnedApi final : public Service {
 public:
  // `faults` and `stats` are shared with the control routes and must outlive this object.
  PinnedApi(const std::vector<ApiKey>& keys, const std::vector<Channel>& channels, Faults& faults,
            RequestStats& stats);

  std::string_view prefix() const override { return "/api/public/v1"; }
  // Returns the API's answer (or a dropped connection); counts the request in the stats.
  Response handle(const Request& request) override;

  // Returns {"events":[…],"keyed_creates_in_progress":N}: the events with every stored field
  // plus idempotencyKey, in id order, and how many creates hold an Idempotency-Key claim now.
  std::string events_json() const;
  // Deletes an event as a person does in the Pinned Events app (the API has no delete):
  // GET and PATCH of it answer 404 from then on; a cached create answer of its
  // Idempotency-Key is kept. Returns false when no event has that id.
  bool delete_event(std::int64_t id) { return m_store.erase(id); }
  // Forgets all events and idempotency entries (ids restart at 1).
  void reset() { m_store.reset(); }

 private:
  enum class RouteId { channels, classifications, events, event_by_id, unknown };
  struct Match {
    RouteId id = RouteId::unknown;
    std::string_view route_template;
    std::string id_text;
  };
  struct Paging {
    std::int64_t page = 1;
    std::int64_t limit = 10;
  };

  static Match match(std::string_view path);
  Response route(const Request& req, const Match& m, const RateDecision& rate);
  // Rewrites a successful answer as a bad one when the fault settings roll for it.
  void spoil_if_asked(const Request& req, const Match& m, Response& r);
  // Returns the key named by the request's single credential header, or the error response.
  std::expected<const ApiKey*, Response> authenticate(const Request& req) const;
  std::string rate_bucket(const Request& req) const;
  bool channel_accessible(const ApiKey& key, std::int64_t channel_id) const;
  std::expected<Paging, Response> paging(const Request& req) const;

  Response list_channels(const Request& req, const ApiKey& key);
  Response list_classifications(const Request& req);
  Response create_event(const Request& req, const ApiKey& key);
  Response list_events(const Request& req, const ApiKey& key);
  Response get_event(const Request& req, const ApiKey& key, std::string_view id_text);
  Response update_event(const Request& req, const ApiKey& key, std::string_view id_text);

  std::map<std::string, ApiKey, std::less<>> m_keys;  // by secret; read-only after construction
  std::map<std::int64_t, Channel> m_channels;         // read-only after construction
  Faults& m_faults;
  RequestStats& m_stats;
  PinnedStore m_store;
};

}  // namespace pinsync_sandbox

// The Pinned Events Public API as pinsync uses it: list channels and classification
// slugs, create and update events. Retries 429, 5xx and timeouts within the call
// (honouring Retry-After), resending the same body with the same Idempotency-Key.
// Never logs the API key or request bodies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/http_retry.h"
#include "core/log.h"
#include "core/rate_limiter.h"

namespace pinsync::agent {

struct Channel {
  std::int64_t id = 0;
  std::string name;
};

// How a write ended, after the retries this call is allowed.
enum class WriteStatus {
  ok,         // 2xx with an event id
  invalid,    // 400: the row is wrong as it stands; do not retry until it changes
  auth,       // 401/403: the key or its access is the problem; stop the source
  not_found,  // 404: the event is gone (update)
  conflict,   // 409
  retryable,  // 429/5xx/bad answer and the attempts ran out; the server did not act
  in_doubt,   // no response after the request may have reached the server
};
std::string_view to_string(WriteStatus s);

struct WriteResult {
  WriteStatus status = WriteStatus::retryable;
  long http_status = 0;  // of the last attempt; 0 when no response arrived
  std::string request_id;
  std::optional<std::int64_t> event_id;
  std::string field;    // the API's details.field for 400
  std::string message;  // plain words for the operator
  int attempts = 0;
  std::optional<std::chrono::seconds> retry_after;  // the last answer's Retry-After
};

// What Pinned Events answered a probe.
struct ProbeAnswer {
  long status = 0;   // 0: no answer (the request failed, or the agent is stopping)
  std::string code;  // the error envelope's error.code ("insufficient_scope"); "" when none
};

// One event of a channel as a listing read it: its id, title and the event as JSON.
struct ChannelEvent {
  std::int64_t id = 0;
  std::string title;
  std::string json;
};
using ChannelEvents = std::vector<ChannelEvent>;
// Where find_created_events takes a channel's events from (ChannelSnapshots); unset: it
// lists the channel itself.
using ChannelListing = std::function<Result<std::shared_ptr<const ChannelEvents>>(std::int64_t channel)>;

class PinnedClient {
 public:
  // `limiter`, when given, is shared by every client of the same key: each attempt waits
  // for it, 429s slow it down and X-RateLimit-Remaining: 0 pauses it until the reset.
  PinnedClient(const PinnedConfig& config, http::Transport& transport, Logger& log, Clock& clock,
               RetryPolicy policy = {}, std::shared_ptr<RateLimiter> limiter = nullptr);

  // Returns the channels the key can use (all pages), or an Error: auth for 401/403,
  // transient/timeout/rate_limited when the attempts ran out, invalid for a bad answer.
  Result<std::vector<Channel>> channels();
  // Returns the public classification slugs, or an Error as for channels().
  Result<std::set<std::string>> classifications();
  // POST /events with `body` and `idempotency_key`.
  WriteResult create_event(std::string_view body, std::string_view idempotency_key);
  // PATCH /events/{id} with `body` and `idempotency_key`.
  WriteResult update_event(std::int64_t event_id, std::string_view body,
                           std::string_view idempotency_key);

  // Looks for the events creates with `create_bodies` may have made: reads every event of
  // each body's channelId once (one scan per channel, however many bodies), and returns for
  // each body, in the same order, the ids of the events whose fields equal every field of
  // the body (fields only the event has are ignored; startAt/endAt compare as instants),
  // in id order: empty when there is none. Returns Error{auth} when the key may not read
  // events (no events:read scope), Error{internal} for a body that is not a stored create
  // (no channelId), other errors as for channels().
  // `listing`, when set, gives the channels' events instead (a snapshot shared by sources).
  Result<std::vector<std::vector<std::int64_t>>> find_created_events(std::span<const std::string> create_bodies,
                                                                     const ChannelListing& listing = {});
  // GET /events?channelId=…, every page: the channel's events — only those whose title
  // `keep` accepts, when given (the rest are passed over after reading their title). Errors as
  // find_created_events.
  Result<ChannelEvents> list_events(std::int64_t channel,
                                    const std::function<bool(std::string_view title)>& keep = {});

  // GET /events/{id}: returns the event's JSON text, or Error{auth} when the key may not
  // read events (no events:read), Error{not_found} when it was deleted, other errors as
  // for channels().
  Result<std::string> get_event(std::int64_t event_id);

  // GET /events?channelId=N&limit=1: returns nothing when Pinned Events lists the channel's
  // events (the API answers at base_url and knows the channel, even with no event in it),
  // Error{auth} when the key may not read events, Error{not_found} for a 404 (no such route
  // or channel there), other errors as for channels().
  Result<void> read_channel_events(std::int64_t channel_id);

  // Asks whether the key holds `scope` (channels:read, events:create, events:update or
  // events:read) with one request that scope guards, chosen so that the API refuses it
  // after its scope check: nothing is created or changed and at most one channel or event
  // is read. Sent once, without retries, through the shared limiter like every request.
  // Returns the status and error code of the answer; ProbeAnswer{} (status 0) when none
  // came, or without a request for a scope this client does not know.
  ProbeAnswer probe_scope(std::string_view scope);

  // Names the source whose requests follow in this client's log lines ("" for none: the
  // channels and classifications commands). Set between passes, never while sending.
  void set_log_source(std::string source) { m_source = std::move(source); }

  // Requests sent so far (every attempt counts).
  int requests_sent() const { return m_requests; }

  // `hook` is called (on the sending thread) each time Pinned Events refuses a create or
  // update with 400 naming a classification (details.field "classifications…"): the list
  // of slugs pinsync keeps has gone stale. Set it before the client is shared.
  void on_unknown_slug(std::function<void()> hook) { m_on_unknown_slug = std::move(hook); }

 private:
  enum class Tries { per_policy, once };
  // `path` is what follows /api/public/v1 (with its query); `route` its template for the
  // request counts ("/events/{id}").
  http::Exchange send(std::string_view method, std::string_view path, std::string_view route,
                      std::string_view body, std::string_view idempotency_key, Tries tries);
  Result<std::string> get_json(std::string_view path, std::string_view route);
  WriteResult write(std::string_view method, std::string_view path, std::string_view route, std::string_view body,
                    std::string_view idempotency_key);

  const PinnedConfig& m_config;
  http::Transport& m_transport;
  Logger& m_log;
  Clock& m_clock;
  Backoff m_backoff;
  Backoff m_once{RetryPolicy{.max_attempts = 1}, 0};  // for probes: one attempt, so it never draws
  std::shared_ptr<RateLimiter> m_limiter;
  int m_requests = 0;
  std::string m_source;  // for log lines (set_log_source)
  std::function<void()> m_on_unknown_slug;
};

}  // namespace pinsync::agent

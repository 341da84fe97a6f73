// The /events routes of PinnedApi: create (with Idempotency-Key), list, read, partial update.
#include <charconv>
#include <cstdint>

#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"
#include "sandbox/pinned/api.h"

namespace pinsync_sandbox {

namespace {

std::optional<std::int64_t> event_id(std::string_view text) {
  std::int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

void write_event(JsonOut& out, const StoredEvent& ev, bool with_idempotency_key) {
  out.begin_object().key("id").value(ev.id);
  write_fields(out, ev.fields);
  out.key("createdAt").value(ev.created_at).key("updatedAt").value(ev.updated_at);
  if (with_idempotency_key) out.key("idempotencyKey").value_or_null(ev.idempotency_key);
  out.end_object();
}

std::string doc_json(const StoredEvent& ev) {
  JsonOut out;
  out.begin_object().key("doc");
  write_event(out, ev, false);
  out.end_object();
  return out.take();
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Response invalid(const Request& req, const FieldIssue& problem) {
  return api_error(req, 400, "invalid_request", "Invalid event: " + problem.field + " " + problem.issue, problem.field,
                   problem.issue);
}

Response bad_body(const Request& req, const std::string& issue) {
  return api_error(req, 400, "invalid_request", "Invalid request body: " + issue, "body", issue);
}

Response missing_scope(const Request& req, std::string_view scope) {
  std::string s(scope);
  return api_error(req, 403, "insufficient_scope", "This API key lacks the " + s + " scope", "scope", s + " required");
}

Response no_channel_access(const Request& req, std::int64_t channel) {
  return api_error(req, 403, "forbidden",
                   "The key owner has no access to channel " + std::to_string(channel) +
                       "; list usable channels with GET /api/public/v1/channels",
                   "channelId", "no access to this channel");
}

}  // namespace

Response PinnedApi::create_event(const Request& req, const ApiKey& key) {
  if (!key.scopes.contains(Scope::events_create)) return missing_scope(req, "events:create");
  auto body = parse_json_object(req.body);
  if (!body) return bad_body(req, body.error());

  std::optional<std::string> idem = req.header("idempotency-key");
  Claim claim;
  if (idem) {
    if (!valid_idempotency_key(*idem)) {
      return api_error(req, 400, "invalid_request", "Idempotency-Key must be 1-255 visible ASCII characters",
                       "Idempotency-Key", "must be 1-255 visible ASCII characters");
    }
    FaultSettings s = m_faults.settings();
    claim = m_store.claim(key.secret, *idem, canonical_json(*body), s.idempotency_ttl_seconds,
                          s.in_progress_ttl_seconds);
    switch (claim.outcome) {
      case ClaimOutcome::replay: {
        Response r{claim.cached.status, {}, claim.cached.body};
        r.headers.emplace_back("Idempotent-Replayed", "true");
        // A connection can break on a replayed answer as on any other.
        if (m_faults.roll(s.drop_after_commit_rate)) r.delivery = Delivery::drop_connection;
        return r;
      }
      case ClaimOutcome::payload_mismatch:
        return api_error(req, 409, "conflict",
                         "This Idempotency-Key was already used with a different payload; use a new key for a "
                         "different request",
                         "Idempotency-Key", "reused with a different payload");
      case ClaimOutcome::in_progress:
        return api_error(req, 409, "conflict",
                         "A request with this Idempotency-Key is still in progress; retry after it finishes",
                         "Idempotency-Key", "request in progress");
      case ClaimOutcome::fresh:
        break;
    }
  }
  auto give_up = [&](Response r) {
    if (idem) m_store.release(key.secret, *idem, claim.token);
    return r;
  };

  m_faults.sleep_latency();
  auto fields = validate_event(**body);
  if (!fields) return give_up(invalid(req, fields.error()));
  if (!channel_accessible(key, fields->channel_id)) return give_up(no_channel_access(req, fields->channel_id));

  StoredEvent ev = m_store.insert(std::move(*fields), idem);
  Response r{201, {}, doc_json(ev)};
  if (idem) m_store.complete(key.secret, *idem, claim.token, CachedResponse{r.status, r.body});
  if (m_faults.roll(m_faults.settings().drop_after_commit_rate)) r.delivery = Delivery::drop_connection;
  return r;
}

Response PinnedApi::list_events(const Request& req, const ApiKey& key) {
  if (!key.scopes.contains(Scope::events_read)) return missing_scope(req, "events:read");
  auto p = paging(req);
  if (!p) return p.error();
  std::optional<std::int64_t> channel;
  if (auto it = req.query.find("channelId"); it != req.query.end()) {
    channel = event_id(it->second);
    if (!channel) {
      return api_error(req, 400, "invalid_request", "channelId must be a positive integer", "channelId",
                       "must be a positive integer");
    }
    if (!channel_accessible(key, *channel)) return no_channel_access(req, *channel);
  }
  auto page = m_store.page(
      [&](const StoredEvent& ev) {
        return channel_accessible(key, ev.fields.channel_id) && (!channel || ev.fields.channel_id == *channel);
      },
      (p->page - 1) * p->limit, p->limit);
  JsonOut out;
  out.begin_object().key("docs").begin_array();
  for (const StoredEvent& ev : page.events) write_event(out, ev, false);
  out.end_array();
  out.key("totalDocs").value(page.total).key("limit").value(p->limit).key("page").value(p->page);
  out.end_object();
  return Response{200, {}, out.take()};
}

Response PinnedApi::get_event(const Request& req, const ApiKey& key, std::string_view id_text) {
  if (!key.scopes.contains(Scope::events_read)) return missing_scope(req, "events:read");
  auto id = event_id(id_text);
  auto ev = id ? m_store.find(*id) : std::nullopt;
  // Events in channels the key cannot use are reported as missing, not forbidden, so that a
  // key cannot probe which ids exist elsewhere.
  if (!ev || !channel_accessible(key, ev->fields.channel_id)) {
    return api_error(req, 404, "not_found", "No event with id " + std::string(id_text));
  }
  return Response{200, {}, doc_json(*ev)};
}

Response PinnedApi::update_event(const Request& req, const ApiKey& key, std::string_view id_text) {
  if (!key.scopes.contains(Scope::events_update)) return missing_scope(req, "events:update");
  auto id = event_id(id_text);
  auto ev = id ? m_store.find(*id) : std::nullopt;
  if (!ev || !channel_accessible(key, ev->fields.channel_id)) {
    return api_error(req, 404, "not_found", "No event with id " + std::string(id_text));
  }
  auto patch = parse_json_object(req.body);
  if (!patch) return bad_body(req, patch.error());

  Poco::JSON::Object::Ptr merged = to_json_object(ev->fields);
  merge_patch(*merged, **patch);
  auto fields = validate_event(*merged);
  if (!fields) return invalid(req, fields.error());
  if (!channel_accessible(key, fields->channel_id)) return no_channel_access(req, fields->channel_id);

  auto updated = m_store.update(*id, std::move(*fields));
  if (!updated) return api_error(req, 404, "not_found", "No event with id " + std::string(id_text));
  Response r{200, {}, doc_json(*updated)};
  if (m_faults.roll(m_faults.settings().drop_after_commit_rate)) r.delivery = Delivery::drop_connection;
  return r;
}

std::string PinnedApi::events_json() const {
  auto all = m_store.page([](const StoredEvent&) { return true; }, 0, INT64_MAX);
  JsonOut out;
  out.begin_object().key("events").begin_array();
  for (const StoredEvent& ev : all.events) write_event(out, ev, true);
  out.end_array().key("keyed_creates_in_progress").value(m_store.claims_held()).end_object();
  return out.take();
}

}  // namespace pinsync_sandbox

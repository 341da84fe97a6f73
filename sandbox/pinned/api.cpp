#include "sandbox/pinned/api.h"

#include <algorithm>
#include <charconv>

#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

std::optional<std::int64_t> positive_int(std::string_view text) {
  std::int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

PinnedApi::PinnedApi(const std::vector<ApiKey>& keys, const std::vector<Channel>& channels, Faults& faults,
                     RequestStats& stats)
    : m_faults(faults), m_stats(stats) {
  for (const ApiKey& key : keys) m_keys[key.secret] = key;
  for (const Channel& channel : channels) m_channels[channel.id] = channel;
}

PinnedApi::Match PinnedApi::match(std::string_view path) {
  constexpr std::string_view base = "/api/public/v1";
  Match m;
  m.route_template = "(unmatched)";
  if (path.substr(0, base.size()) != base) return m;
  std::string_view rest = path.substr(base.size());
  if (rest == "/channels") return {RouteId::channels, "/api/public/v1/channels", {}};
  if (rest == "/classifications") return {RouteId::classifications, "/api/public/v1/classifications", {}};
  if (rest == "/events") return {RouteId::events, "/api/public/v1/events", {}};
  constexpr std::string_view events_slash = "/events/";
  if (rest.substr(0, events_slash.size()) == events_slash && rest.size() > events_slash.size() &&
      rest.find('/', events_slash.size()) == std::string_view::npos) {
    return {RouteId::event_by_id, "/api/public/v1/events/{id}", std::string(rest.substr(events_slash.size()))};
  }
  return m;
}

Response PinnedApi::handle(const Request& req) {
  const auto handling = m_stats.handling();
  Match m = match(req.path);
  RateDecision rate = m_faults.take_rate_token(rate_bucket(req));
  Response r = route(req, m, rate);
  spoil_if_asked(req, m, r);
  if (rate.limited) {
    r.headers.emplace_back("X-RateLimit-Limit", std::to_string(rate.limit));
    r.headers.emplace_back("X-RateLimit-Remaining", std::to_string(rate.remaining));
    r.headers.emplace_back("X-RateLimit-Reset", std::to_string(rate.reset_seconds));
  }
  m_stats.record(req.method, m.route_template, r.delivery == Delivery::drop_connection ? 0 : r.status);
  return r;
}

Response PinnedApi::route(const Request& req, const Match& m, const RateDecision& rate) {
  if (!rate.allowed) {
    Response r = api_error(req, 429, "rate_limited", "Too many requests for this API key; retry after Retry-After seconds");
    r.headers.emplace_back("Retry-After", std::to_string(rate.reset_seconds));
    return r;
  }
  if (m.id == RouteId::unknown) return api_error(req, 404, "not_found", "No such route: " + req.method + " " + req.path);

  std::string_view allowed = "GET";
  if (m.id == RouteId::events) allowed = "GET, POST";
  if (m.id == RouteId::event_by_id) allowed = "GET, PATCH";
  bool method_ok = req.method == "GET" || (req.method == "POST" && m.id == RouteId::events) ||
                   (req.method == "PATCH" && m.id == RouteId::event_by_id);
  if (!method_ok) {
    Response r = api_error(req, 405, "method_not_allowed",
                           req.method + " is not allowed on " + std::string(m.route_template) + "; allowed: " +
                               std::string(allowed));
    r.headers.emplace_back("Allow", std::string(allowed));
    return r;
  }
  if (req.body_too_large) {
    return api_error(req, 413, "payload_too_large", "The request body exceeds 1 MiB", "body", "larger than 1048576 bytes");
  }
  auto key = authenticate(req);
  if (!key) return key.error();

  FaultSettings faults = m_faults.settings();
  if (m_faults.roll(faults.rate_limited_rate)) {
    Response r = api_error(req, 429, "rate_limited", "Too many requests; retry after Retry-After seconds");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (m_faults.roll(faults.error_rate)) {
    return api_error(req, 500, "internal_error", "Internal error; retry with backoff and the same Idempotency-Key");
  }

  // A create sleeps after claiming its Idempotency-Key, so that a concurrent duplicate meets
  // it "in progress"; every other route sleeps here.
  if (!(m.id == RouteId::events && req.method == "POST")) m_faults.sleep_latency();
  switch (m.id) {
    case RouteId::channels: return list_channels(req, **key);
    case RouteId::classifications: return list_classifications(req);
    case RouteId::events: return req.method == "POST" ? create_event(req, **key) : list_events(req, **key);
    case RouteId::event_by_id:
      return req.method == "PATCH" ? update_event(req, **key, m.id_text) : get_event(req, **key, m.id_text);
    case RouteId::unknown: break;
  }
  return api_error(req, 404, "not_found", "No such route");
}

void PinnedApi::spoil_if_asked(const Request& req, const Match& m, Response& r) {
  // Only answers the API gave after doing its work, on the routes pinsync depends on.
  const bool write = (m.id == RouteId::events && req.method == "POST") ||
                     (m.id == RouteId::event_by_id && req.method == "PATCH");
  const bool listing = req.method == "GET" && (m.id == RouteId::channels || m.id == RouteId::classifications);
  if (!(write || listing) || r.status < 200 || r.status > 299 || r.delivery != Delivery::send) return;
  if (auto kind = m_faults.pick_bad_answer(req.body)) spoil_answer(*kind, m.route_template, r);
}

std::expected<const ApiKey*, Response> PinnedApi::authenticate(const Request& req) const {
  auto authorization = req.header("authorization");
  auto api_key = req.header("x-api-key");
  if (authorization && api_key) {
    return std::unexpected(api_error(req, 400, "invalid_request",
                                     "Send exactly one credential: Authorization: Bearer <key> or x-api-key, not both",
                                     "Authorization", "sent together with x-api-key"));
  }
  const char* missing = "API key missing: send Authorization: Bearer <key>";
  const char* unknown = "API key is malformed, unknown, revoked or expired";
  std::string secret;
  if (authorization) {
    if (!istarts_with(*authorization, "bearer ")) {
      return std::unexpected(api_error(req, 401, "invalid_api_key", "Authorization must use the Bearer scheme"));
    }
    secret = trim(std::string_view(*authorization).substr(7));
  } else if (api_key) {
    secret = trim(*api_key);
  } else {
    return std::unexpected(api_error(req, 401, "invalid_api_key", missing));
  }
  auto it = m_keys.find(secret);
  if (secret.empty() || it == m_keys.end()) return std::unexpected(api_error(req, 401, "invalid_api_key", unknown));
  return &it->second;
}

std::string PinnedApi::rate_bucket(const Request& req) const {
  // Requests with a known key count against that key; everything else shares one bucket.
  std::string secret;
  if (auto a = req.header("authorization"); a && istarts_with(*a, "bearer ")) {
    secret = trim(std::string_view(*a).substr(7));
  } else if (auto k = req.header("x-api-key")) {
    secret = trim(*k);
  }
  return m_keys.contains(secret) ? "key:" + secret : std::string("anonymous");
}

bool PinnedApi::channel_accessible(const ApiKey& key, std::int64_t channel_id) const {
  return key.channels.contains(channel_id) && m_channels.contains(channel_id);
}

std::expected<PinnedApi::Paging, Response> PinnedApi::paging(const Request& req) const {
  Paging p;
  if (auto it = req.query.find("page"); it != req.query.end()) {
    auto v = positive_int(it->second);
    if (!v) return std::unexpected(api_error(req, 400, "invalid_request", "page must be a positive integer", "page", "must be a positive integer"));
    p.page = *v;
  }
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    auto v = positive_int(it->second);
    if (!v) return std::unexpected(api_error(req, 400, "invalid_request", "limit must be a positive integer", "limit", "must be a positive integer"));
    p.limit = std::min<std::int64_t>(*v, 100);
  }
  // Guards the page * limit product below against overflow.
  p.page = std::min<std::int64_t>(p.page, 1'000'000'000);
  return p;
}

Response PinnedApi::list_channels(const Request& req, const ApiKey& key) {
  if (!key.scopes.contains(Scope::channels_read)) {
    return api_error(req, 403, "insufficient_scope", "This API key lacks the channels:read scope", "scope", "channels:read required");
  }
  auto p = paging(req);
  if (!p) return p.error();
  std::vector<const Channel*> visible;
  for (const auto& [id, channel] : m_channels) {
    if (key.channels.contains(id)) visible.push_back(&channel);
  }
  auto total = static_cast<std::int64_t>(visible.size());
  std::int64_t total_pages = (total + p->limit - 1) / p->limit;
  JsonOut out;
  out.begin_object().key("docs").begin_array();
  for (std::int64_t i = (p->page - 1) * p->limit; i < total && i < p->page * p->limit; ++i) {
    const Channel& c = *visible[static_cast<std::size_t>(i)];
    out.begin_object().key("id").value(c.id).key("name").value(c.name).key("slug").value(c.slug).end_object();
  }
  out.end_array();
  out.key("page").value(p->page).key("limit").value(p->limit).key("totalDocs").value(total);
  out.key("totalPages").value(total_pages);
  out.key("hasNextPage").value(p->page < total_pages).key("hasPrevPage").value(p->page > 1);
  out.end_object();
  return Response{200, {}, out.take()};
}

Response PinnedApi::list_classifications(const Request&) {
  JsonOut out;
  out.begin_object().key("docs").begin_array();
  for (const Classification& c : classifications()) {
    out.begin_object().key("slug").value(c.slug).key("name").value(c.name).end_object();
  }
  out.end_array().end_object();
  return Response{200, {}, out.take()};
}

}  // namespace pinsync_sandbox

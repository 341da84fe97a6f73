#include "agent/pinned/client.h"

#include <simdjson.h>

#include <algorithm>
#include <map>

#include "agent/pinned/drift.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_api_prefix = "/api/public/v1";

struct ApiProblem {
  std::string code;
  std::string message;
  std::string request_id;
  std::string field;
  std::string issue;
};

std::string string_at(simdjson::dom::element el, std::string_view key) {
  std::string_view v;
  if (el[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

ApiProblem parse_envelope(std::string_view body) {
  ApiProblem p;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return p;
  simdjson::dom::element error;
  if (root["error"].get(error) != simdjson::SUCCESS) return p;
  p.code = string_at(error, "code");
  p.message = string_at(error, "message");
  p.request_id = string_at(error, "requestId");
  simdjson::dom::element details;
  if (error["details"].get(details) == simdjson::SUCCESS) {
    p.field = string_at(details, "field");
    p.issue = string_at(details, "issue");
  }
  return p;
}

// Reads the documented error envelope; empty fields when the body is not one. The fields
// end up in reports and the state file, not only in logs, so `api_key` is redacted from them
// here: a proxy or a server may echo the Authorization header (found by fuzz_pinned_api).
ApiProblem parse_problem(std::string_view body, const std::string& api_key) {
  ApiProblem p = parse_envelope(body);
  const std::vector<std::string> secrets{api_key};
  for (std::string* field : {&p.code, &p.message, &p.request_id, &p.field, &p.issue}) *field = redact(*field, secrets);
  return p;
}

std::string request_id_of(const http::Response& r, const ApiProblem& p) {
  if (const auto h = r.header("x-request-id")) return std::string(*h);
  return p.request_id;
}

// A short description of an answer that is not the documented JSON, never the body:
// proxies answer with HTML pages, cut connections leave truncated JSON.
std::string describe_body(const http::Response& r) {
  const auto type = r.header("content-type").value_or("");
  if (r.body.empty()) return "an empty body";
  if (type.find("html") != std::string_view::npos || r.body.starts_with("<")) return "an HTML page";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(r.body.data(), r.body.size()).get(root) != simdjson::SUCCESS) return "truncated or malformed JSON";
  return "JSON that is not the documented answer";
}

// "answered 502 with an HTML page", "answered 500 internal_error (message)": the status and
// what came with it, for messages that follow "Pinned Events …".
std::string answered(const http::Response& r, const ApiProblem& p) {
  std::string out = "answered " + std::to_string(r.status);
  if (!p.code.empty()) out += " " + p.code;
  if (!p.message.empty()) out += " (" + p.message + ")";
  if (p.code.empty()) out += " with " + describe_body(r);
  return out;
}

// Why a 2xx answer to a write names no event: the body, the doc or its id is not as
// documented. Never quotes the body.
std::string missing_event_id(const http::Response& r) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (r.body.empty() || parser.parse(r.body.data(), r.body.size()).get(root) != simdjson::SUCCESS ||
      r.header("content-type").value_or("").find("html") != std::string_view::npos) {
    return "with " + describe_body(r);
  }
  simdjson::dom::element id;
  if (root["doc"]["id"].get(id) != simdjson::SUCCESS) return "without doc.id";
  if (!id.is_int64()) return "with a doc.id that is not a number";
  return "with doc.id " + std::to_string(id.get_int64().value_unsafe()) + ", which is not an event id";
}

// A request each scope guards, which the API refuses after its scope check: an empty
// create, an update of event 0, listings of one.
struct ScopeProbe {
  std::string_view scope;
  std::string_view method;
  std::string_view path;
  std::string_view route;
  std::string_view body;
};
constexpr ScopeProbe k_scope_probes[] = {
    {"channels:read", "GET", "/channels?limit=1", "/channels", ""},
    {"events:create", "POST", "/events", "/events", "{}"},
    {"events:update", "PATCH", "/events/0", "/events/{id}", "{}"},
    {"events:read", "GET", "/events?limit=1", "/events", ""},
};

}  // namespace

std::string_view to_string(WriteStatus s) {
  switch (s) {
    case WriteStatus::ok: return "ok";
    case WriteStatus::invalid: return "invalid";
    case WriteStatus::auth: return "auth";
    case WriteStatus::not_found: return "not_found";
    case WriteStatus::conflict: return "conflict";
    case WriteStatus::retryable: return "retryable";
    case WriteStatus::in_doubt: return "in_doubt";
  }
  return "retryable";
}

PinnedClient::PinnedClient(const PinnedConfig& config, http::Transport& transport, Logger& log,
                           Clock& clock, RetryPolicy policy, std::shared_ptr<RateLimiter> limiter)
    : m_config(config), m_transport(transport), m_log(log), m_clock(clock), m_backoff(policy),
      m_limiter(std::move(limiter)) {
  m_log.add_secret(m_config.api_key);
}

http::Exchange PinnedClient::send(std::string_view method, std::string_view path, std::string_view route,
                                  std::string_view body, std::string_view idempotency_key, Tries tries) {
  http::Request request;
  request.method = std::string(method);
  request.url = m_config.base_url + std::string(k_api_prefix) + std::string(path);
  request.api = "pinned";
  request.route = std::string(route);
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(m_config.timeout);
  request.headers.emplace_back("Authorization", "Bearer " + m_config.api_key);
  request.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", std::string(idempotency_key));
  request.body = std::string(body);

  const std::string logged = std::string(k_api_prefix) + std::string(path);
  http::RetryHooks hooks;
  // A 5xx is the server failing (it is retried, and may stop the pass): warn, so it shows
  // at the default level; every other answer is a debug line.
  hooks.attempted = [&](const std::expected<http::Response, http::TransportError>& answer,
                        std::chrono::milliseconds elapsed) {
    const bool server_error = answer && answer->status >= 500;
    const LogLevel level = server_error ? LogLevel::warn : LogLevel::debug;
    if (!m_log.enabled(level)) return;
    std::vector<LogField> fields;
    if (!m_source.empty()) fields.emplace_back("source", m_source);
    fields.emplace_back("method", request.method);
    fields.emplace_back("route", logged);
    if (!answer) {
      fields.emplace_back("error", answer.error().error.message);
      m_log.log(level, "http", fields);
      return;
    }
    fields.emplace_back("status", answer->status);
    fields.emplace_back("duration_ms", elapsed.count());
    fields.emplace_back("request_id", std::string(answer->header("x-request-id").value_or("")));
    m_log.log(level, server_error ? "Pinned Events answered " + std::to_string(answer->status) : "http", fields);
  };
  hooks.retrying = [&](int next_attempt, std::chrono::milliseconds wait) {
    std::vector<LogField> fields;
    if (!m_source.empty()) fields.emplace_back("source", m_source);
    fields.emplace_back("route", logged);
    fields.emplace_back("attempt", next_attempt);
    fields.emplace_back("wait_ms", wait.count());
    m_log.log(LogLevel::info, "retrying", fields);
  };
  // Every client of the key shares the limiter, which adapts to the server's answers.
  const http::RetryRules rules{m_limiter.get(), http::Pacing::adaptive, std::nullopt};
  auto ex = http::send_with_retries(m_transport, request, tries == Tries::once ? m_once : m_backoff, m_clock, rules,
                                    hooks);
  m_requests += ex.attempts;
  return ex;
}

Result<std::string> PinnedClient::get_json(std::string_view path, std::string_view route) {
  auto ex = send("GET", path, route, "", "", Tries::per_policy);
  const std::string where = "Pinned Events GET " + std::string(k_api_prefix) + std::string(path);
  if (!ex.response && !ex.failure) return fail(ErrorKind::transient, where + ": stopped before it was sent");
  if (!ex.response) return std::unexpected(ex.failure->error.with_context(where));
  const auto& r = *ex.response;
  if (r.status >= 200 && r.status < 300) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(r.body.data(), r.body.size()).get(root) == simdjson::SUCCESS) return r.body;
    return fail(ErrorKind::invalid, where + ": answered " + std::to_string(r.status) + " with " + describe_body(r) +
                                        " — not the documented JSON; try again, and report it to Pinned Events if "
                                        "it persists");
  }
  const auto p = parse_problem(r.body, m_config.api_key);
  std::string message = where + ": " + answered(r, p);
  if (r.status == 401) {
    message += " — the API key is missing, revoked or expired: check PINNED_EVENTS_API_KEY";
  } else if (r.status == 403) {
    message += " — the key lacks a scope or channel access: add it in Pinned Events (developer settings)";
  }
  const ErrorKind kind = http::error_kind_for(r.status);
  return fail(kind, message);
}

Result<std::vector<Channel>> PinnedClient::channels() {
  std::vector<Channel> out;
  simdjson::dom::parser parser;
  for (int page = 1; page <= 1000; ++page) {
    auto body = get_json("/channels?limit=100&page=" + std::to_string(page), "/channels");
    if (!body) return std::unexpected(body.error());
    simdjson::dom::element root;
    simdjson::dom::array docs;
    if (parser.parse(*body).get(root) != simdjson::SUCCESS || root["docs"].get_array().get(docs) != simdjson::SUCCESS) {
      return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/channels: the answer has no docs list");
    }
    std::size_t index = 0;
    for (auto doc : docs) {
      Channel c;
      int64_t id = 0;
      simdjson::dom::element id_value;
      const bool has_id = doc["id"].get(id_value) == simdjson::SUCCESS;
      if (!has_id || id_value.get_int64().get(id) != simdjson::SUCCESS) {
        // Skipping it would make a usable channel look inaccessible.
        return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/channels: docs[" + std::to_string(index) +
                                            (has_id ? "].id is not a number" : "] has no id"));
      }
      ++index;
      c.id = id;
      c.name = string_at(doc, "name");
      out.push_back(std::move(c));
    }
    bool has_next = false;
    if (root["hasNextPage"].get_bool().get(has_next) != simdjson::SUCCESS || !has_next) break;
  }
  return out;
}

Result<std::set<std::string>> PinnedClient::classifications() {
  auto body = get_json("/classifications", "/classifications");
  if (!body) return std::unexpected(body.error());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(*body).get(root) != simdjson::SUCCESS) {
    return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/classifications: the answer is not JSON");
  }
  // The docs name the slugs but not the envelope: accept {"docs":[…]}, a bare list,
  // and entries that are strings or objects with a "slug".
  simdjson::dom::array list;
  if (root.get_array().get(list) != simdjson::SUCCESS &&
      root["docs"].get_array().get(list) != simdjson::SUCCESS) {
    return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/classifications: the answer has no list of slugs");
  }
  std::set<std::string> slugs;
  std::size_t index = 0;
  for (auto entry : list) {
    std::string_view slug;
    if (entry.get_string().get(slug) != simdjson::SUCCESS && entry["slug"].get_string().get(slug) != simdjson::SUCCESS) {
      // A partial list would turn good categories into invalid rows.
      return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/classifications: entry " +
                                          std::to_string(index) + " has no slug string");
    }
    slugs.emplace(slug);
    ++index;
  }
  if (slugs.empty()) {
    return fail(ErrorKind::invalid, "Pinned Events GET /api/public/v1/classifications: the list of slugs is empty");
  }
  return slugs;
}

ProbeAnswer PinnedClient::probe_scope(std::string_view scope) {
  const auto probe = std::ranges::find(k_scope_probes, scope, &ScopeProbe::scope);
  if (probe == std::end(k_scope_probes)) return {};
  const auto ex = send(probe->method, probe->path, probe->route, probe->body, "", Tries::once);
  if (!ex.response) return {};
  return {ex.response->status, parse_problem(ex.response->body, m_config.api_key).code};
}

Result<std::string> PinnedClient::get_event(std::int64_t event_id) {
  return get_json("/events/" + std::to_string(event_id), "/events/{id}");
}

Result<void> PinnedClient::read_channel_events(std::int64_t channel_id) {
  auto body = get_json("/events?channelId=" + std::to_string(channel_id) + "&limit=1&page=1", "/events");
  if (!body) return std::unexpected(body.error());
  return {};
}

Result<ChannelEvents> PinnedClient::list_events(std::int64_t channel,
                                                const std::function<bool(std::string_view title)>& keep) {
  ChannelEvents events;
  simdjson::dom::parser parser;
  for (int page = 1; page <= 10'000; ++page) {
    auto text = get_json("/events?channelId=" + std::to_string(channel) + "&limit=100&page=" + std::to_string(page),
                         "/events");
    if (!text) return std::unexpected(text.error());
    simdjson::dom::element root;
    simdjson::dom::array docs;
    if (parser.parse(*text).get(root) != simdjson::SUCCESS || root["docs"].get_array().get(docs) != simdjson::SUCCESS) {
      return fail(ErrorKind::invalid, "Pinned Events GET /events: the answer has no docs list");
    }
    std::size_t seen = 0;
    for (auto doc : docs) {
      ++seen;
      std::int64_t id = 0;
      std::string_view title;
      if (doc["id"].get_int64().get(id) != simdjson::SUCCESS || doc["title"].get_string().get(title) != simdjson::SUCCESS) {
        continue;  // no event pinsync could adopt
      }
      if (keep && !keep(title)) continue;
      events.push_back({id, std::string(title), simdjson::minify(doc)});
    }
    // The minimal envelope has no hasNextPage: a short page is the last one.
    std::int64_t limit = 100;
    if (root["limit"].get_int64().get(limit) != simdjson::SUCCESS || limit <= 0) limit = 100;
    if (seen < static_cast<std::size_t>(limit)) break;
  }
  return events;
}

Result<std::vector<std::vector<std::int64_t>>> PinnedClient::find_created_events(
    std::span<const std::string> create_bodies, const ChannelListing& listing) {
  std::vector<std::vector<std::int64_t>> found(create_bodies.size());
  // The bodies to compare with, by channel and title: an event whose title no body has is
  // passed over after reading its title.
  std::map<std::int64_t, std::multimap<std::string, std::size_t, std::less<>>> wanted;
  simdjson::dom::parser parser;
  for (std::size_t i = 0; i < create_bodies.size(); ++i) {
    simdjson::dom::element body;
    std::int64_t channel = 0;
    std::string_view title;
    if (parser.parse(create_bodies[i]).get(body) != simdjson::SUCCESS ||
        body["channelId"].get_int64().get(channel) != simdjson::SUCCESS ||
        body["title"].get_string().get(title) != simdjson::SUCCESS) {
      return fail(ErrorKind::internal, "the stored create body lacks channelId or title");
    }
    wanted[channel].emplace(std::string(title), i);
  }
  for (const auto& [channel, by_title] : wanted) {
    std::shared_ptr<const ChannelEvents> events;
    if (listing) {
      auto shared = listing(channel);
      if (!shared) return std::unexpected(shared.error());
      events = std::move(*shared);
    } else {
      // A listing of its own keeps only the events a body could match: a large channel is
      // not held whole for a few creates in doubt.
      auto own = list_events(channel, [&titles = by_title](std::string_view title) { return titles.contains(title); });
      if (!own) return std::unexpected(own.error());
      events = std::make_shared<const ChannelEvents>(std::move(*own));
    }
    for (const ChannelEvent& event : *events) {
      const auto [first, last] = by_title.equal_range(event.title);
      for (auto it = first; it != last; ++it) {
        const auto differs = event_differs(create_bodies[it->second], event.json);
        if (differs && !*differs) found[it->second].push_back(event.id);
      }
    }
  }
  for (auto& ids : found) std::sort(ids.begin(), ids.end());
  return found;
}

WriteResult PinnedClient::create_event(std::string_view body, std::string_view idempotency_key) {
  return write("POST", "/events", "/events", body, idempotency_key);
}

WriteResult PinnedClient::update_event(std::int64_t event_id, std::string_view body,
                                       std::string_view idempotency_key) {
  return write("PATCH", "/events/" + std::to_string(event_id), "/events/{id}", body, idempotency_key);
}

WriteResult PinnedClient::write(std::string_view method, std::string_view path, std::string_view route,
                                std::string_view body, std::string_view idempotency_key) {
  auto ex = send(method, path, route, body, idempotency_key, Tries::per_policy);
  WriteResult w;
  w.attempts = ex.attempts;
  if (ex.response) w.retry_after = ex.response->retry_after(m_clock.now());
  if (!ex.response) {
    w.status = ex.maybe_acted ? WriteStatus::in_doubt : WriteStatus::retryable;
    w.message = ex.failure ? ex.failure->error.message : "stopped before the request was sent";
    return w;
  }
  const auto& r = *ex.response;
  const auto p = parse_problem(r.body, m_config.api_key);
  w.http_status = r.status;
  w.request_id = redact(request_id_of(r, p), {m_config.api_key});
  w.field = p.field;
  const std::string api_says = p.message.empty() ? describe_body(r) : p.message;
  if (r.status >= 200 && r.status < 300) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    int64_t id = 0;
    if (parser.parse(r.body).get(root) == simdjson::SUCCESS &&
        root["doc"]["id"].get_int64().get(id) == simdjson::SUCCESS && id > 0) {
      w.status = WriteStatus::ok;
      w.event_id = id;
      return w;
    }
    // The server acted but its answer does not say on which event: in doubt, so the outbox
    // keeps the write and resends it with the same Idempotency-Key, which the API answers
    // from its record of this one instead of acting twice.
    w.status = WriteStatus::in_doubt;
    w.message = "Pinned Events answered " + std::to_string(r.status) + " " + missing_event_id(r) +
                ", so the event it " + (method == "POST" ? "made" : "changed") + " is unknown";
    return w;
  }
  switch (http::error_kind_for(r.status)) {
    case ErrorKind::invalid:
      if (r.status < 400) break;  // an unfollowed 3xx says nothing about the event: try it again later
      w.status = WriteStatus::invalid;
      if (r.status == 400) {
        w.message = "Pinned Events refused the event: " + api_says;
        if (!p.issue.empty() && p.issue != p.message) w.message += " (" + p.issue + ")";
        if (m_on_unknown_slug && p.field.starts_with("classifications")) m_on_unknown_slug();
      } else {
        w.message = "Pinned Events refused the request with " + std::to_string(r.status) + ": " + api_says;
      }
      return w;
    case ErrorKind::auth:
      w.status = WriteStatus::auth;
      if (r.status == 401) {
        w.message = "Pinned Events answered 401 " + p.code + ": " + api_says +
                    " — check the API key in PINNED_EVENTS_API_KEY (missing, revoked or expired)";
      } else {
        w.message = "Pinned Events answered 403 " + p.code + ": " + api_says +
                    (p.code == "insufficient_scope"
                         ? " — give the key the events:create and events:update scopes"
                         : " — give the key's owner access to this channel, or fix channel_id");
      }
      return w;
    case ErrorKind::not_found:
      w.status = WriteStatus::not_found;
      w.message = "Pinned Events answered 404: " + api_says;
      return w;
    case ErrorKind::conflict:
      w.status = WriteStatus::conflict;
      w.message = "Pinned Events answered 409 conflict: " + api_says;
      return w;
    default:  // 408, 429, 5xx: the server did not take the request; worth sending again
      break;
  }
  w.status = (ex.maybe_acted && r.status >= 500) ? WriteStatus::in_doubt : WriteStatus::retryable;
  w.message = "Pinned Events " + answered(r, p) + " (" + std::to_string(ex.attempts) +
              (ex.attempts == 1 ? " attempt)" : " attempts)");
  return w;
}

}  // namespace pinsync::agent

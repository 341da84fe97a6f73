#include "sandbox/google/control.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "sandbox/google/sheets_batch.h"
#include "sandbox/http/control_util.h"
#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_per_user_field = "read_requests_per_minute";
constexpr std::string_view k_per_project_field = "read_requests_per_minute_per_project";
constexpr std::string_view k_lag_field = "modified_lag_ms";

// The quota route's answer, to GET and POST alike.
std::string quota_json(ReadQuota::Limits limits) {
  JsonOut out;
  out.begin_object().key(k_per_user_field).value(limits.per_user);
  out.key(k_per_project_field).value(limits.per_project).end_object();
  return out.take();
}

// The Drive route's answer, to GET and POST alike.
std::string drive_json(std::chrono::milliseconds lag) {
  JsonOut out;
  out.begin_object().key(k_lag_field).value(static_cast<std::int64_t>(lag.count())).end_object();
  return out.take();
}

}  // namespace

Response SheetsControlApi::handle(const Request& req) {
  constexpr std::string_view base = "/_sandbox/sheets";
  if (req.path == base || req.path == std::string(base) + "/") {
    if (req.method != "GET") return wrong_method(req, "GET");
    return Response{200, {}, m_store.list()};
  }
  std::string id = req.path.substr(base.size() + 1);
  constexpr std::string_view armed = "/before-next-write";
  if (id.size() > armed.size() && id.ends_with(armed)) {
    id.resize(id.size() - armed.size());
    if (req.method != "POST") return wrong_method(req, "POST");
    return before_next_write(req, id);
  }
  if (id.empty() || id.find('/') != std::string::npos) {
    return api_error(req, 404, "not_found", "No such control route; use /_sandbox/sheets/{spreadsheetId}");
  }
  if (req.method == "PUT") {
    if (req.body_too_large) return api_error(req, 413, "payload_too_large", k_control_body_too_large);
    auto put = m_store.put(id, req.body);
    if (!put) return api_error(req, 400, "invalid_request", "Invalid spreadsheet " + id + ": " + put.error());
    return Response{200, {}, *m_store.dump(id)};
  }
  if (req.method == "GET") {
    auto dump = m_store.dump(id);
    if (!dump) return api_error(req, 404, "not_found", "No spreadsheet " + id + "; create it with PUT");
    return Response{200, {}, *dump};
  }
  if (req.method == "DELETE") {
    if (!m_store.remove(id)) return api_error(req, 404, "not_found", "No spreadsheet " + id);
    return Response{200, {}, R"({"deleted":true})"};
  }
  return wrong_method(req, "GET, PUT, DELETE");
}

Response SheetsControlApi::before_next_write(const Request& req, const std::string& id) {
  auto body = control_body(req);
  if (!body) return body.error();
  auto changes = parse_structural_requests(**body);
  if (!changes) return api_error(req, 400, "invalid_request", "Invalid partner edit for " + id + ": " + changes.error().message);
  if (auto armed = m_store.before_next_write(id, std::move(*changes)); !armed) {
    int status = armed.error().starts_with("no spreadsheet") ? 404 : 400;
    return api_error(req, status, status == 404 ? "not_found" : "invalid_request",
                     "Invalid partner edit for " + id + ": " + armed.error());
  }
  return Response{200, {}, R"({"armed":true})"};
}

Response GoogleControlApi::handle(const Request& req) {
  const std::string& path = req.path;
  if (path == "/_sandbox/google/quota") {
    if (req.method == "GET") return Response{200, {}, quota_json(m_quota.limits())};
    if (req.method != "POST") return wrong_method(req, "GET, POST");
    return set_quota(req);
  }
  if (path == "/_sandbox/google/drive") {
    if (req.method == "GET") return Response{200, {}, drive_json(m_drive.modified_lag())};
    if (req.method != "POST") return wrong_method(req, "GET, POST");
    return set_drive(req);
  }
  if (req.method != "POST") return wrong_method(req, "POST");
  if (path == "/_sandbox/google/service-accounts") {
    if (req.body_too_large) return api_error(req, 413, "payload_too_large", k_control_body_too_large);
    auto email = m_registry.add_service_account(req.body);
    if (!email) return api_error(req, 400, "invalid_request", email.error());
    JsonOut out;
    out.begin_object().key("client_email").value(*email).key("registered").value(true).end_object();
    return Response{200, {}, out.take()};
  }
  if (path == "/_sandbox/google/oauth-clients") return add_client(req);
  if (path == "/_sandbox/google/api-keys") {
    auto body = control_body(req);
    if (!body) return body.error();
    if (json_type((*body)->get("key")) != JsonType::string || (*body)->getValue<std::string>("key").empty()) {
      return api_error(req, 400, "invalid_request", "Body must be {\"key\":\"…\"}", "key", "required string");
    }
    m_registry.add_api_key((*body)->getValue<std::string>("key"));
    return Response{200, {}, R"({"registered":true})"};
  }
  if (path == "/_sandbox/google/expire-tokens") {
    return Response{200, {}, "{\"expired\":" + std::to_string(m_registry.expire_all()) + "}"};
  }
  if (path == "/_sandbox/google/reset") {
    m_store.reset();
    m_registry.reset();
    m_quota.reset();
    m_drive.reset();
    return Response{200, {}, R"({"reset":true})"};
  }
  return api_error(req, 404, "not_found",
                   "No such control route; known: /_sandbox/google/service-accounts, oauth-clients, api-keys, "
                   "expire-tokens, quota, drive, reset");
}

Response GoogleControlApi::add_client(const Request& req) {
  auto body = control_body(req);
  if (!body) return body.error();
  OAuthClient c;
  auto text = [&](const char* name, std::string& into) {
    if (json_type((*body)->get(name)) == JsonType::string) into = (*body)->getValue<std::string>(name);
  };
  text("client_id", c.client_id);
  text("client_secret", c.client_secret);
  text("refresh_token", c.refresh_token);
  text("email", c.email);
  text("scope", c.scope);
  auto added = m_registry.add_client(std::move(c));
  if (!added) return api_error(req, 400, "invalid_request", added.error());
  return Response{200, {}, R"({"registered":true})"};
}

Response GoogleControlApi::set_quota(const Request& req) {
  auto body = control_body(req);
  if (!body) return body.error();
  // A field left out keeps its limit, so a test that tunes one quota does not undo the other.
  ReadQuota::Limits limits = m_quota.limits();
  bool any = false;
  const std::pair<std::string_view, std::int64_t*> fields[] = {{k_per_user_field, &limits.per_user},
                                                               {k_per_project_field, &limits.per_project}};
  for (auto [field, into] : fields) {
    if (!(*body)->has(std::string(field))) continue;
    auto n = as_integer((*body)->get(std::string(field)));
    if (!n || *n < 0) {
      return api_error(req, 400, "invalid_request", std::string(field) + " must be an integer >= 0 (0 = off)", field,
                       "must be an integer >= 0");
    }
    *into = *n;
    any = true;
  }
  if (!any) {
    return api_error(req, 400, "invalid_request",
                     "Body must set read_requests_per_minute (per user) and/or read_requests_per_minute_per_project "
                     "(integers >= 0, 0 = off)",
                     k_per_user_field, "required integer >= 0");
  }
  m_quota.set_limits(limits);
  return Response{200, {}, quota_json(limits)};
}

Response GoogleControlApi::set_drive(const Request& req) {
  auto body = control_body(req);
  if (!body) return body.error();
  auto lag = (*body)->has(std::string(k_lag_field)) ? as_integer((*body)->get(std::string(k_lag_field))) : std::nullopt;
  if (!lag || *lag < 0 || *lag > k_max_drive_modified_lag_ms) {
    return api_error(req, 400, "invalid_request",
                     "Body must be {\"modified_lag_ms\":N}, N an integer from 0 to " +
                         std::to_string(k_max_drive_modified_lag_ms) + " (0 = changes show at once)",
                     k_lag_field, "required integer from 0 to 3600000");
  }
  m_drive.set_modified_lag(std::chrono::milliseconds(*lag));
  return Response{200, {}, drive_json(m_drive.modified_lag())};
}

}  // namespace pinsync_sandbox

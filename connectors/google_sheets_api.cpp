#include "connectors/google_sheets_api.h"

#include <simdjson.h>

#include "connectors/a1_range.h"

#include <algorithm>

namespace pinsync::connectors {

namespace {

// Full jitter spreads many agents' retries: 1, 2, 4, 8 s ceilings.
constexpr RetryPolicy k_google_retry{5, std::chrono::milliseconds{1'000}, std::chrono::milliseconds{32'000}, Jitter::full};

struct GoogleError {
  long code = 0;
  std::string message;
  std::string status;
  std::vector<std::string> reasons;  // details[].reason (ErrorInfo)
};

GoogleError parse_google_error(const http::Response& response) {
  GoogleError out;
  out.code = response.status;
  simdjson::dom::parser parser;
  simdjson::dom::object error;
  if (parser.parse(response.body)["error"].get(error) != simdjson::SUCCESS) return out;
  std::string_view text;
  if (error["message"].get(text) == simdjson::SUCCESS) out.message = std::string(text.substr(0, 400));
  if (error["status"].get(text) == simdjson::SUCCESS) out.status = std::string(text);
  simdjson::dom::array details;
  if (error["details"].get(details) == simdjson::SUCCESS) {
    for (auto detail : details) {
      if (detail["reason"].get(text) == simdjson::SUCCESS) out.reasons.emplace_back(text);
    }
  }
  return out;
}

bool has_reason(const GoogleError& e, std::string_view reason) {
  return std::ranges::find(e.reasons, reason) != e.reasons.end();
}

// "403 PERMISSION_DENIED" or just "403" when the body was not Google's envelope.
std::string answered(const GoogleError& e) {
  std::string out = "Google answered " + std::to_string(e.code);
  if (!e.status.empty()) out += " " + e.status;
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + quote_sheet_title(item);
  return out;
}

// The route template of each call, for the request counts.
std::string_view route_of(SheetsCall kind) {
  switch (kind) {
    case SheetsCall::metadata: return "/v4/spreadsheets/{id}";
    case SheetsCall::read: return "/v4/spreadsheets/{id}/values:batchGet";
    case SheetsCall::check_ids: return "/v4/spreadsheets/{id}/values/{range}";
    case SheetsCall::write_back:
    case SheetsCall::assign_ids: return "/v4/spreadsheets/{id}/values:batchUpdate";
    case SheetsCall::drive_file: return "/drive/v3/files/{id}";
  }
  return "/v4/spreadsheets/{id}";
}

std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

SheetsApi::SheetsApi(const GoogleSheetsSettings& settings, const ConnectorContext& context)
    : m_settings(settings), m_context(context), m_backoff(k_google_retry) {
  PINSYNC_ASSERT(m_context.make_transport);
}

SheetsApi::~SheetsApi() = default;

Result<void> SheetsApi::ready() {
  if (m_auth) return {};
  const GoogleScope scope = (m_settings.write_back.any() || !m_settings.id_column.empty()) ? GoogleScope::read_write
                                                                                           : GoogleScope::read_only;
  auto auth = GoogleAuth::create(m_settings.auth, scope);
  if (!auth) return std::unexpected(auth.error());
  if (!m_transport) m_transport = m_context.make_transport();
  PINSYNC_ASSERT(m_transport != nullptr);
  // Reads and writes have quotas of their own, per user and per project; a burst of a
  // minute's worth is what a per-minute quota itself allows.
  const double user = m_settings.requests_per_minute_per_user;
  const double project = m_settings.requests_per_minute_per_project;
  m_read_limiter = m_context.limiters.get(auth->quota_key() + ":read", user / 60, user);
  m_write_limiter = m_context.limiters.get(auth->quota_key() + ":write", user / 60, user);
  m_project_read_limiter = m_context.limiters.get(auth->project_quota_key() + ":read", project / 60, project);
  m_project_write_limiter = m_context.limiters.get(auth->project_quota_key() + ":write", project / 60, project);
  m_auth = std::move(*auth);
  return {};
}

std::vector<std::string> SheetsApi::secrets() const {
  if (m_auth) return m_auth->secrets();
  std::vector<std::string> out;
  for (const auto* s : {&m_settings.auth.api_key, &m_settings.auth.oauth_client_secret,
                        &m_settings.auth.oauth_refresh_token}) {
    if (!s->empty()) out.push_back(*s);
  }
  return out;
}

void SheetsApi::log_call(const http::Request& request, long status, std::chrono::milliseconds elapsed) const {
  // A 5xx is Google failing (it is retried, and may stop the pass): warn, so it shows at the
  // default level; every other answer is a debug line.
  const LogLevel level = status >= 500 ? LogLevel::warn : LogLevel::debug;
  if (!m_context.log.enabled(level)) return;
  m_context.log.log(level, status >= 500 ? "Google answered " + std::to_string(status) : std::string("google http"),
                    {{"source", m_context.source},
                     {"method", request.method},
                     {"url", redact(request.url, secrets())},
                     {"status", status},
                     {"duration_ms", elapsed.count()}});
}

Result<http::Response> SheetsApi::send_with_retry(http::Request request, SheetsCall kind, bool token_call) {
  request.timeout = m_context.timeout;
  const bool writing = kind == SheetsCall::write_back || kind == SheetsCall::assign_ids;
  // Drive's metadata reads have a quota of their own (thousands a minute): not paced here.
  const bool unpaced = token_call || kind == SheetsCall::drive_file;
  RateLimiter* limiter = unpaced ? nullptr : writing ? m_write_limiter.get() : m_read_limiter.get();
  RateLimiter* project = unpaced ? nullptr : writing ? m_project_write_limiter.get() : m_project_read_limiter.get();
  http::RetryHooks hooks;
  hooks.attempted = [&](const std::expected<http::Response, http::TransportError>& answer,
                        std::chrono::milliseconds elapsed) { log_call(request, answer ? answer->status : 0, elapsed); };
  // A 429 pauses the identity's whole quota for its Retry-After (Google rarely sends one).
  const auto ex = http::send_with_retries(*m_transport, request, m_backoff, m_context.clock,
                                          {limiter, http::Pacing::tokens, std::nullopt, project}, hooks);
  if (ex.response) {
    if (ex.response->status != 429 && ex.response->status < 500) return *ex.response;
    return std::unexpected(exhausted_error(*ex.response, ex.attempts));
  }
  if (ex.failure) {
    const Error& e = ex.failure->error;
    return std::unexpected(Error{e.kind, request.method + " " +
                                             redact(request.url.substr(0, request.url.find('?')), secrets()) + ": " +
                                             e.message});
  }
  return fail(ErrorKind::transient, "stopped before " + request.method + " could be sent");
}

Error SheetsApi::exhausted_error(const http::Response& response, int attempts) const {
  const GoogleError e = parse_google_error(response);
  const std::string tries = " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  if (response.status == 429) {
    Error error{ErrorKind::rate_limited,
                answered(e) + tries + (e.message.empty() ? "" : " (" + e.message + ")") +
                    " — the Sheets quota is 60 requests per minute per user: poll less often or spread sources "
                    "over more service accounts"};
    error.retry_after = response.retry_after(m_context.clock.now()).value_or(std::chrono::seconds{60});
    return error;
  }
  Error error{ErrorKind::transient, answered(e) + tries + (e.message.empty() ? "" : " (" + e.message + ")") +
                                        " — Google's service is failing; pinsync will try again next pass"};
  error.retry_after = response.retry_after(m_context.clock.now());
  return error;
}

Error SheetsApi::status_error(const http::Response& response, SheetsCall kind) const {
  const GoogleError e = parse_google_error(response);
  const std::string said = answered(e) + (e.message.empty() ? "" : " (" + e.message + ")");
  const bool writing = kind == SheetsCall::write_back || kind == SheetsCall::assign_ids;
  const std::string give_up = kind == SheetsCall::assign_ids ? "or remove id_column" : "or remove write_back";
  const GoogleAuthMode mode = m_auth ? m_auth->mode() : GoogleAuthMode::api_key;
  const std::string email = m_auth ? m_auth->service_account_email() : std::string();

  if (kind == SheetsCall::drive_file && (response.status == 403 || response.status == 404)) {
    // The values may still be readable: the gate's own call failed, so say how to mend it
    // or turn it off.
    const std::string off = " — or set change_gate: false to read the sheet every pass";
    if (has_reason(e, "SERVICE_DISABLED") || e.message.find("has not been used in project") != std::string::npos)
      return Error{ErrorKind::auth, "the change gate's Drive call: " + answered(e) +
                                        ": the Google Drive API is not enabled for the project of these credentials "
                                        "— enable it (APIs & Services > Library > Google Drive API)" + off};
    if (e.message.find("insufficient authentication scopes") != std::string::npos)
      return Error{ErrorKind::auth, "the change gate's Drive call: " + said + " — the credentials lack the scope " +
                                        std::string(k_scope_drive_metadata) + off};
    return Error{ErrorKind::auth, "the change gate's Drive call: " + said +
                                      " — Drive does not show this file to these credentials" + off};
  }
  switch (response.status) {
    case 400:
      // Google answers a bad API key with 400, not 401.
      if (has_reason(e, "API_KEY_INVALID") || e.message.find("API key not valid") != std::string::npos)
        return Error{ErrorKind::auth, said + " — check auth.api_key"};
      if (e.message.starts_with("Unable to parse range")) {
        std::string msg = said + " — the sheet or range is wrong: check sheet/range";
        if (!m_sheet_titles.empty()) msg += "; the spreadsheet's sheets are: " + join(m_sheet_titles);
        return Error{ErrorKind::config, msg};
      }
      return Error{ErrorKind::config, said};
    case 401:
      return Error{ErrorKind::auth, said + (mode == GoogleAuthMode::api_key
                                                ? " — check auth.api_key"
                                                : " — Google rejected a fresh access token: check the credentials")};
    case 403: {
      if (has_reason(e, "SERVICE_DISABLED") || e.message.find("has not been used in project") != std::string::npos)
        return Error{ErrorKind::auth, answered(e) +
                                          ": the Google Sheets API is not enabled for the project of these "
                                          "credentials — enable it in the Google Cloud console (APIs & Services "
                                          "> Library > Google Sheets API)"};
      if (writing) {
        const std::string prefix = kind == SheetsCall::assign_ids ? "assigning IDs failed: " : "write-back failed: ";
        if (mode == GoogleAuthMode::api_key)
          return Error{ErrorKind::auth, prefix + "an API key can only read — use a service account, " + give_up};
        if (e.message.find("insufficient authentication scopes") != std::string::npos)
          return Error{ErrorKind::auth, prefix + "the access token only allows reading — grant the scope " +
                                            std::string(k_scope_read_write) + ", " + give_up};
        if (mode == GoogleAuthMode::service_account)
          return Error{ErrorKind::auth, prefix + "the service account can only read this sheet — share it with " +
                                            email + " as Editor, " + give_up};
        return Error{ErrorKind::auth, prefix + "the authorised Google account can only read this sheet — share it "
                                               "with that account as Editor, " + give_up};
      }
      if (mode == GoogleAuthMode::api_key)
        return Error{ErrorKind::auth, said + " — the sheet is private: publish it (Share > Anyone with the link) "
                                             "or use a service account"};
      if (mode == GoogleAuthMode::service_account)
        return Error{ErrorKind::auth, answered(e) + " — share the sheet with " + email};
      return Error{ErrorKind::auth, said + " — the authorised Google account cannot open this sheet: share it "
                                           "with that account"};
    }
    case 404:
      return Error{ErrorKind::not_found, "spreadsheet id " + m_settings.spreadsheet_id + " not found (" +
                                             answered(e) + ") — check spreadsheet_id (the part of the sheet's URL "
                                                           "after /d/)"};
    default:
      return Error{http::error_kind_for(response.status, http::Refusal::bad_settings), said};
  }
}

Result<std::string> SheetsApi::call(const std::string& method, const std::string& path_and_query,
                                    const std::string& body, SheetsCall kind) {
  if (auto ok = ready(); !ok) return std::unexpected(ok.error());
  const GoogleAuth::Send send_token = [this, kind](const http::Request& r) {
    return send_with_retry(r, kind, /*token_call=*/true);
  };
  // One fresh token after a 401: the cached one may have been revoked or expired early.
  for (int round = 0; round < 2; ++round) {
    http::Request request;
    request.method = method;
    const bool drive = kind == SheetsCall::drive_file;
    request.url = base_url(drive ? m_settings.drive_base_url : m_settings.sheets_base_url) + path_and_query;
    request.api = drive ? "drive" : "sheets";
    request.route = std::string(route_of(kind));
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (auto ok = m_auth->authorize(request, m_context.clock, send_token); !ok) return std::unexpected(ok.error());
    auto response = send_with_retry(std::move(request), kind, /*token_call=*/false);
    if (!response) return std::unexpected(response.error());
    if (response->status >= 200 && response->status < 300) return std::move(response->body);
    if (response->status == 401 && round == 0 && m_auth->mode() != GoogleAuthMode::api_key) {
      m_auth->drop_token();
      continue;
    }
    return std::unexpected(status_error(*response, kind));
  }
  return fail(ErrorKind::internal, "unreachable");
}

}  // namespace pinsync::connectors

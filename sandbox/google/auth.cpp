#include "sandbox/google/auth.h"

#include <algorithm>

#include "sandbox/google/json.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_bad_credentials =
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
constexpr std::string_view k_missing_credentials =
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
constexpr std::string_view k_missing_key = "The request is missing a valid API key.";
constexpr std::string_view k_api_key_cannot_write =
    "API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that "
    "assert a principal. See https://cloud.google.com/docs/authentication";
constexpr std::string_view k_insufficient_scopes = "Request had insufficient authentication scopes.";

Response unauthenticated(const Request& req, std::string_view message) {
  Response r = google_error(req, 401, "UNAUTHENTICATED", message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"");
  return r;
}

Response api_key_invalid(const Request& req, const GoogleService& service) {
  JsonOut details;
  details.begin_array().begin_object().key("@type").value("type.googleapis.com/google.rpc.ErrorInfo");
  details.key("reason").value("API_KEY_INVALID").key("domain").value("googleapis.com");
  details.key("metadata").begin_object().key("service").value(service.name).end_object();
  details.end_object().end_array();
  return google_error(req, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", details.take());
}

Response insufficient_scope(const Request& req, const GoogleService& service) {
  if (service.scope_method.empty()) return google_error(req, 403, "PERMISSION_DENIED", k_insufficient_scopes);
  JsonOut out;
  out.begin_object().key("error").begin_object();
  out.key("code").value(403).key("message").value(k_insufficient_scopes);
  if (service.legacy_errors) {
    out.key("errors").begin_array().begin_object().key("message").value("Insufficient Permission");
    out.key("domain").value("global").key("reason").value("insufficientPermissions").end_object().end_array();
  }
  out.key("status").value("PERMISSION_DENIED");
  out.key("details").begin_array().begin_object().key("@type").value("type.googleapis.com/google.rpc.ErrorInfo");
  out.key("reason").value("ACCESS_TOKEN_SCOPE_INSUFFICIENT").key("domain").value("googleapis.com");
  out.key("metadata").begin_object().key("service").value(service.name);
  out.key("method").value(service.scope_method).end_object();
  out.end_object().end_array();
  out.end_object().end_object();
  return google_json(req, out.take(), 403);
}

}  // namespace

std::expected<GoogleCaller, Response> authenticate_google(const Request& req, const GoogleAuthRegistry& registry,
                                                          CredentialUse use, const std::set<std::string>& scopes,
                                                          const GoogleService& service) {
  std::optional<std::string> key;
  if (auto it = req.query.find("key"); it != req.query.end()) {
    key = it->second;
  } else if (auto header = req.header("x-goog-api-key")) {
    key = *header;
  }
  if (key && !registry.api_key_valid(*key)) return std::unexpected(api_key_invalid(req, service));

  std::optional<std::string> token;
  if (auto auth = req.header("authorization")) {
    if (auth->size() <= 7 || !istarts_with(*auth, "bearer ")) {
      return std::unexpected(unauthenticated(req, k_bad_credentials));
    }
    token = auth->substr(7);
  } else if (auto it = req.query.find("access_token"); it != req.query.end()) {
    token = it->second;
  } else if (auto legacy = req.query.find("oauth_token"); legacy != req.query.end()) {
    token = legacy->second;
  }

  if (!token) {
    if (!key) {
      if (use == CredentialUse::write) return std::unexpected(unauthenticated(req, k_missing_credentials));
      return std::unexpected(google_error(req, 403, "PERMISSION_DENIED", k_missing_key));
    }
    if (use == CredentialUse::write) return std::unexpected(unauthenticated(req, k_api_key_cannot_write));
    // An API key belongs to a Cloud project; every key here belongs to the default one.
    return GoogleCaller{std::nullopt, "key:" + *key, std::string(k_default_google_project)};
  }
  TokenInfo info = registry.lookup(*token);
  if (info.state != TokenState::valid) return std::unexpected(unauthenticated(req, k_bad_credentials));
  bool scoped = std::any_of(info.scopes.begin(), info.scopes.end(), [&](const std::string& s) { return scopes.count(s) > 0; });
  if (!scoped) return std::unexpected(insufficient_scope(req, service));
  return GoogleCaller{info.principal, "user:" + info.principal, info.project};
}

}  // namespace pinsync_sandbox

#include "sandbox/google/oauth.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "sandbox/google/json.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_jwt_bearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view k_bad_signature = "Invalid JWT Signature.";
constexpr std::string_view k_bad_times =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and "
    "exp values in the JWT claim.";
// Google tolerates a little clock skew on iat; a clock further ahead is refused.
constexpr std::int64_t k_allowed_skew_seconds = 60;

// Parses an application/x-www-form-urlencoded body. Returns nullopt on bad percent-encoding.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  try {
    while (start <= body.size()) {
      auto amp = body.find('&', start);
      std::string_view pair = body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
      if (!pair.empty()) {
        auto eq = pair.find('=');
        std::string name, value;
        Poco::URI::decode(std::string(pair.substr(0, eq)), name, true);
        if (eq != std::string_view::npos) Poco::URI::decode(std::string(pair.substr(eq + 1)), value, true);
        out[name] = value;
      }
      if (amp == std::string_view::npos) break;
      start = amp + 1;
    }
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  return out;
}

// Client credentials may come as HTTP Basic (RFC 6749 §2.3.1) instead of form fields.
std::optional<std::pair<std::string, std::string>> basic_credentials(const Request& req) {
  auto auth = req.header("authorization");
  if (!auth || !istarts_with(*auth, "Basic ")) {
    return std::nullopt;
  }
  std::string b64 = auth->substr(6);
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  auto decoded = base64url_decode(b64);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool scope_known(const std::string& scope) {
  return scope.rfind("https://www.googleapis.com/auth/", 0) == 0 || scope == "openid" || scope == "email" ||
         scope == "profile";
}

std::optional<std::int64_t> claim_seconds(const Poco::JSON::Object::Ptr& claims, const std::string& name) {
  return as_integer(claims->get(name));
}

std::string token_uri_of(const Request& req) {
  return "http://" + req.header("host").value_or("127.0.0.1") + "/token";
}

}  // namespace

std::set<std::string> split_scopes(std::string_view scope) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start < scope.size()) {
    auto space = scope.find(' ', start);
    if (space == std::string_view::npos) space = scope.size();
    if (space > start) out.emplace(scope.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

Response GoogleOAuthApi::handle(const Request& req) {
  const auto handling = m_stats.handling();
  Response r = route(req);
  m_stats.record(req.method, "/token", r.status);
  return r;
}

Response GoogleOAuthApi::route(const Request& req) {
  if (req.path != "/token") return oauth_error(req, 404, "invalid_request", "Not Found");
  if (req.method != "POST") {
    Response r = oauth_error(req, 405, "invalid_request", "Invalid request method: " + req.method);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  std::map<std::string, std::string> params;
  if (req.header("content-type").value_or("").find("application/json") != std::string::npos) {
    auto body = parse_json_object(req.body);
    if (!body) return oauth_error(req, 400, "invalid_request", "Invalid JSON payload received.");
    for (const auto& name : (*body)->getNames()) {
      if (json_type((*body)->get(name)) == JsonType::string) params[name] = (*body)->getValue<std::string>(name);
    }
  } else {
    auto form = parse_form(req.body);
    if (!form) return oauth_error(req, 400, "invalid_request", "Invalid form-encoded request body.");
    params = std::move(*form);
  }
  auto param = [&](const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  };
  std::string grant_type = param("grant_type");
  if (grant_type.empty()) return oauth_error(req, 400, "unsupported_grant_type", "Invalid grant_type: ");
  if (grant_type == k_jwt_bearer) {
    std::string assertion = param("assertion");
    if (assertion.empty()) return oauth_error(req, 400, "invalid_request", "Missing required parameter: assertion");
    return jwt_bearer(req, assertion);
  }
  if (grant_type == "refresh_token") {
    std::string id = param("client_id"), secret = param("client_secret");
    if (auto basic = basic_credentials(req); basic && id.empty()) {
      id = basic->first;
      secret = basic->second;
    }
    return refresh(req, id, secret, param("refresh_token"));
  }
  return oauth_error(req, 400, "unsupported_grant_type", "Invalid grant_type: " + grant_type);
}

Response GoogleOAuthApi::jwt_bearer(const Request& req, std::string_view assertion) {
  auto jwt = parse_jwt(assertion);
  if (!jwt) return oauth_error(req, 400, "invalid_grant", k_bad_signature);
  if (json_type(jwt->header->get("alg")) != JsonType::string || jwt->header->getValue<std::string>("alg") != "RS256") {
    return oauth_error(req, 400, "invalid_grant", k_bad_signature);
  }
  std::string iss = json_type(jwt->claims->get("iss")) == JsonType::string ? jwt->claims->getValue<std::string>("iss") : "";
  auto keys = m_registry.service_account_keys(iss);
  if (iss.empty() || keys.empty()) return oauth_error(req, 400, "invalid_grant", "Invalid grant: account not found");
  // Google picks the key named by kid; without a usable kid any key of the account may match.
  std::string kid = json_type(jwt->header->get("kid")) == JsonType::string ? jwt->header->getValue<std::string>("kid") : "";
  auto named = std::find_if(keys.begin(), keys.end(), [&](const ServiceAccountKey& k) { return k.private_key_id == kid; });
  bool verified = named != keys.end()
                      ? named->key.verify_rs256(jwt->signing_input, jwt->signature)
                      : std::any_of(keys.begin(), keys.end(), [&](const ServiceAccountKey& k) {
                          return k.key.verify_rs256(jwt->signing_input, jwt->signature);
                        });
  if (!verified) return oauth_error(req, 400, "invalid_grant", k_bad_signature);

  std::string aud = json_type(jwt->claims->get("aud")) == JsonType::string ? jwt->claims->getValue<std::string>("aud") : "";
  std::string own_uri = token_uri_of(req);
  bool aud_ok = aud == own_uri || aud == "https://oauth2.googleapis.com/token" ||
                aud == "https://accounts.google.com/o/oauth2/token" || aud == "https://www.googleapis.com/oauth2/v4/token" ||
                std::any_of(keys.begin(), keys.end(), [&](const ServiceAccountKey& k) { return !k.token_uri.empty() && k.token_uri == aud; });
  if (!aud_ok) {
    return oauth_error(req, 400, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + own_uri);
  }

  auto iat = claim_seconds(jwt->claims, "iat");
  auto exp = claim_seconds(jwt->claims, "exp");
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  if (!iat || !exp || *exp <= *iat || *exp - *iat > 3600 || *exp <= now || *iat > now + k_allowed_skew_seconds) {
    return oauth_error(req, 400, "invalid_grant", k_bad_times);
  }

  if (jwt->claims->has("sub")) {
    // Domain-wide delegation needs admin-console setup the sandbox does not model.
    return oauth_error(req, 401, "unauthorized_client",
                       "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
                       "for any of the scopes requested.");
  }
  std::string scope =
      json_type(jwt->claims->get("scope")) == JsonType::string ? jwt->claims->getValue<std::string>("scope") : "";
  auto scopes = split_scopes(scope);
  if (scopes.empty()) return oauth_error(req, 400, "invalid_scope", "Empty or missing scope not allowed.");
  if (!std::all_of(scopes.begin(), scopes.end(), scope_known)) {
    return oauth_error(req, 400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  }

  auto issued = m_registry.issue(keys.front().client_email, std::move(scopes));
  JsonOut out;
  out.begin_object().key("access_token").value(issued.access_token).key("expires_in").value(issued.expires_in);
  out.key("token_type").value("Bearer").end_object();
  return google_json(req, out.take());
}

Response GoogleOAuthApi::refresh(const Request& req, std::string_view client_id, std::string_view client_secret,
                                 std::string_view refresh_token) {
  if (client_id.empty()) return oauth_error(req, 400, "invalid_request", "Could not determine client ID from request.");
  auto client = m_registry.client(client_id);
  if (!client) return oauth_error(req, 401, "invalid_client", "The OAuth client was not found.");
  if (client_secret != client->client_secret) return oauth_error(req, 401, "invalid_client", "Unauthorized");
  if (refresh_token.empty()) return oauth_error(req, 400, "invalid_request", "Missing required parameter: refresh_token");
  if (refresh_token != client->refresh_token) {
    return oauth_error(req, 400, "invalid_grant", "Token has been expired or revoked.");
  }
  auto issued = m_registry.issue(client->email, split_scopes(client->scope));
  JsonOut out;
  out.begin_object().key("access_token").value(issued.access_token).key("expires_in").value(issued.expires_in);
  out.key("scope").value(client->scope).key("token_type").value("Bearer").end_object();
  return google_json(req, out.take());
}

}  // namespace pinsync_sandbox

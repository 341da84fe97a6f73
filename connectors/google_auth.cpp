#include "connectors/google_auth.h"

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace pinsync::connectors {

namespace {

// Renewing early keeps a token from expiring between authorize() and Google reading it.
constexpr std::chrono::minutes k_renew_early{5};
constexpr std::chrono::seconds k_assertion_lifetime{3600};
constexpr std::chrono::seconds k_default_token_lifetime{3600};

std::string field_or_empty(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

std::string shorten(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "…";
}

// Google's keys are never encrypted; without this OpenSSL would prompt on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

Result<ServiceAccountKey> load_service_account_key(const std::filesystem::path& path) {
  const std::string where = "service-account key file " + path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::config, where + " cannot be read: check the path and that pinsync may read it");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(text).get(object) != simdjson::SUCCESS) {
    return fail(ErrorKind::config,
                where + " is not a JSON object: download the key again (IAM > Service accounts > Keys > JSON)");
  }
  ServiceAccountKey key;
  key.client_email = field_or_empty(object, "client_email");
  key.private_key = field_or_empty(object, "private_key");
  key.private_key_id = field_or_empty(object, "private_key_id");
  key.token_uri = field_or_empty(object, "token_uri");
  key.project_id = field_or_empty(object, "project_id");
  const std::string type = field_or_empty(object, "type");
  if (!type.empty() && type != "service_account") {
    return fail(ErrorKind::config, where + " holds a \"" + type +
                                       "\" credential, not a service-account key: create a JSON key for a "
                                       "service account");
  }
  std::string missing;
  for (const auto& [name, value] : {std::pair{"client_email", &key.client_email},
                                    std::pair{"private_key", &key.private_key},
                                    std::pair{"token_uri", &key.token_uri}}) {
    if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    return fail(ErrorKind::config, where + " lacks " + missing + ": download the key again as JSON");
  }
  return key;
}

Result<std::string> make_service_account_jwt(const ServiceAccountKey& key, std::string_view scope,
                                             std::chrono::system_clock::time_point now) {
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // OpenSSL reads the PEM itself: Poco 1.11's stream loader leaks when the PEM is bad.
  // PEM_read_bio_PrivateKey takes PKCS#8 ("BEGIN PRIVATE KEY", what Google issues) and PKCS#1.
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key.private_key.data(), static_cast<int>(key.private_key.size())), &BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr, &EVP_PKEY_free);
  if (!pkey || EVP_PKEY_base_id(pkey.get()) != EVP_PKEY_RSA) {
    ERR_clear_error();  // a stale error in this thread's queue would confuse libcurl's TLS later
    return fail(ErrorKind::config, "the private_key of " + key.client_email +
                                       " is not an RSA private key in PEM form: download the key again");
  }
  try {
    Poco::Crypto::EVPPKey evp(pkey.get());
    Poco::SharedPtr<Poco::Crypto::RSAKey> rsa(new Poco::Crypto::RSAKey(evp));
    Poco::JWT::Token token;
    token.setType("JWT");
    if (!key.private_key_id.empty()) token.header().set("kid", key.private_key_id);
    token.setIssuer(key.client_email);
    token.setAudience(key.token_uri);
    token.payload().set("scope", std::string(scope));
    // Integers, not the fractional seconds Token::setIssuedAt would write.
    token.payload().set("iat", static_cast<Poco::Int64>(iat));
    token.payload().set("exp", static_cast<Poco::Int64>(iat + k_assertion_lifetime.count()));
    Poco::JWT::Signer signer(rsa);
    return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
  } catch (const Poco::Exception&) {
    return fail(ErrorKind::config, "the private_key of " + key.client_email +
                                       " cannot be used to sign (not an RSA PEM key): download the key again");
  } catch (const std::exception&) {
    return fail(ErrorKind::config, "the private_key of " + key.client_email +
                                       " cannot be used to sign: download the key again");
  }
}

Result<GoogleAuth> GoogleAuth::create(const GoogleAuthSettings& settings, GoogleScope scope) {
  const bool service_account = !settings.service_account_file.empty();
  const bool api_key = !settings.api_key.empty();
  const bool oauth =
      !settings.oauth_client_id.empty() || !settings.oauth_client_secret.empty() || !settings.oauth_refresh_token.empty();
  const int modes = int{service_account} + int{api_key} + int{oauth};
  if (modes == 0) {
    return fail(ErrorKind::config,
                "no Google credentials configured: set auth.service_account_file, auth.api_key or auth.oauth");
  }
  if (modes > 1) {
    return fail(ErrorKind::config,
                "more than one kind of Google credentials configured (service_account_file, api_key, oauth): "
                "keep exactly one");
  }
  GoogleAuth auth;
  auth.m_settings = settings;
  auth.m_scope = scope;
  if (service_account) {
    auth.m_mode = GoogleAuthMode::service_account;
    auto key = load_service_account_key(settings.service_account_file);
    if (!key) return std::unexpected(key.error());
    auth.m_key = std::move(*key);
  } else if (api_key) {
    auth.m_mode = GoogleAuthMode::api_key;
  } else {
    auth.m_mode = GoogleAuthMode::refresh_token;
    std::string missing;
    if (settings.oauth_client_id.empty()) missing += "client_id";
    if (settings.oauth_client_secret.empty()) missing += std::string(missing.empty() ? "" : ", ") + "client_secret";
    if (settings.oauth_refresh_token.empty()) missing += std::string(missing.empty() ? "" : ", ") + "refresh_token";
    if (settings.oauth_token_uri.empty()) missing += std::string(missing.empty() ? "" : ", ") + "token_uri";
    if (!missing.empty()) return fail(ErrorKind::config, "auth.oauth lacks " + missing + ": set all of them");
  }
  return auth;
}

std::string GoogleAuth::quota_key() const {
  switch (m_mode) {
    case GoogleAuthMode::service_account: return "google-sheets:" + m_key.client_email;
    case GoogleAuthMode::refresh_token: return "google-sheets:oauth:" + m_settings.oauth_client_id;
    case GoogleAuthMode::api_key: return "google-sheets:api-key";
  }
  return "google-sheets";
}

std::string GoogleAuth::project_quota_key() const {
  switch (m_mode) {
    case GoogleAuthMode::service_account:
      return "google-sheets-project:" + (m_key.project_id.empty() ? m_key.client_email : m_key.project_id);
    case GoogleAuthMode::refresh_token:
      return "google-sheets-project:" + m_settings.oauth_client_id.substr(0, m_settings.oauth_client_id.find('-'));
    case GoogleAuthMode::api_key: return "google-sheets-project:api-key";
  }
  return "google-sheets-project";
}

std::vector<std::string> GoogleAuth::secrets() const {
  std::vector<std::string> out;
  for (const auto* s : {&m_settings.api_key, &m_settings.oauth_client_secret, &m_settings.oauth_refresh_token}) {
    if (!s->empty()) out.push_back(*s);
  }
  if (m_token && !m_token->access_token.empty()) out.push_back(m_token->access_token);
  return out;
}

Result<void> GoogleAuth::authorize(http::Request& request, Clock& clock, const Send& send) {
  if (m_mode == GoogleAuthMode::api_key) {
    request.url += (request.url.find('?') == std::string::npos ? '?' : '&');
    request.url += "key=" + http::url_encode(m_settings.api_key);
    return {};
  }
  if (!m_token || clock.monotonic() >= m_token->renew_at) {
    m_token.reset();
    auto token = fetch_token(clock, send);
    if (!token) return std::unexpected(token.error());
    m_token = std::move(*token);
  }
  request.headers.emplace_back("Authorization", "Bearer " + m_token->access_token);
  return {};
}

Result<GoogleAuth::Token> GoogleAuth::fetch_token(Clock& clock, const Send& send) const {
  http::Request request;
  request.method = "POST";
  request.api = "google_oauth";
  request.route = "/token";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (m_mode == GoogleAuthMode::service_account) {
    // Scopes are one space-separated list.
    std::string scope(m_scope == GoogleScope::read_write ? k_scope_read_write : k_scope_read_only);
    if (m_settings.drive_metadata) scope += " " + std::string(k_scope_drive_metadata);
    auto jwt = make_service_account_jwt(m_key, scope, clock.now());
    if (!jwt) return std::unexpected(jwt.error().with_context(m_settings.service_account_file.string()));
    request.url = m_key.token_uri;
    request.body = "grant_type=" + http::url_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                   "&assertion=" + http::url_encode(*jwt);
  } else {
    request.url = m_settings.oauth_token_uri;
    request.body = "grant_type=refresh_token&client_id=" + http::url_encode(m_settings.oauth_client_id) +
                   "&client_secret=" + http::url_encode(m_settings.oauth_client_secret) +
                   "&refresh_token=" + http::url_encode(m_settings.oauth_refresh_token);
  }
  const auto sent_at = clock.monotonic();
  auto response = send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(token_error(*response));

  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string_view access_token;
  if (parser.parse(response->body).get(object) != simdjson::SUCCESS ||
      object["access_token"].get(access_token) != simdjson::SUCCESS || access_token.empty()) {
    return fail(ErrorKind::auth, "the token endpoint " + request.url +
                                     " answered 200 without an access_token: check token_uri");
  }
  std::chrono::seconds lifetime = k_default_token_lifetime;
  simdjson::dom::element expires;
  if (object["expires_in"].get(expires) == simdjson::SUCCESS) {
    double seconds = 0;
    std::int64_t whole = 0;
    if (expires.get(whole) == simdjson::SUCCESS) lifetime = std::chrono::seconds{whole};
    else if (expires.get(seconds) == simdjson::SUCCESS) lifetime = std::chrono::seconds{static_cast<std::int64_t>(seconds)};
  }
  Token token;
  token.access_token = std::string(access_token);
  // A token shorter-lived than the margin is still used once rather than never.
  token.renew_at = sent_at + (lifetime > k_renew_early * 2 ? lifetime - k_renew_early : lifetime / 2);
  return token;
}

Error GoogleAuth::token_error(const http::Response& response) const {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string code;
  std::string description;
  if (parser.parse(response.body).get(object) == simdjson::SUCCESS) {
    code = field_or_empty(object, "error");
    description = shorten(field_or_empty(object, "error_description"), 300);
  }
  const bool sa = m_mode == GoogleAuthMode::service_account;
  const std::string endpoint = sa ? m_key.token_uri : m_settings.oauth_token_uri;
  const std::string said =
      code.empty() ? "the token endpoint " + endpoint + " answered " + std::to_string(response.status)
                   : "Google refused the " + std::string(sa ? "service-account" : "OAuth") + " sign-in (" + code +
                         (description.empty() ? "" : ": " + description) + ")";
  std::string fix;
  if (code == "invalid_grant" && sa && (description.find("iat") != std::string::npos ||
                                        description.find("timeframe") != std::string::npos)) {
    fix = "this machine's clock is off: synchronise it (NTP)";
  } else if (code == "invalid_grant" && sa) {
    fix = "the key in " + m_settings.service_account_file.string() + " is not (or no longer) a valid key of " +
          m_key.client_email + ": create a new JSON key for the service account and replace the file";
  } else if (code == "invalid_grant") {
    fix = "the refresh token has expired or was revoked: authorise pinsync again and set the new refresh_token";
  } else if (code == "invalid_client") {
    fix = "Google does not know this OAuth client or its secret: check auth.oauth client_id and client_secret";
  } else if (code == "invalid_scope") {
    fix = "the requested scope was refused: allow the Sheets scope for this client";
  } else if (code == "unauthorized_client") {
    fix = "this client may not use this grant: check the OAuth client type";
  } else if (code.empty()) {
    fix = sa ? "check token_uri in " + m_settings.service_account_file.string() : "check auth.oauth token_uri";
  } else {
    fix = "check the Google credentials";
  }
  // A refusal from the token endpoint is about the credentials, whatever its status; only
  // a server failing without an OAuth error code may heal by itself.
  const bool failing = code.empty() && http::error_kind_for(response.status) == ErrorKind::transient;
  const ErrorKind kind = failing ? ErrorKind::transient : ErrorKind::auth;
  return Error{kind, said + " — " + fix};
}

}  // namespace pinsync::connectors

// Google credentials for the Sheets connector: a service account (RS256 JWT exchanged at
// the key file's token_uri), an OAuth refresh token, or an API key in the query string.
// Access tokens are cached and renewed five minutes before they expire.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/google_sheets_settings.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/http.h"

namespace pinsync::connectors {

enum class GoogleAuthMode { service_account, api_key, refresh_token };
enum class GoogleScope { read_only, read_write };

inline constexpr std::string_view k_scope_read_only = "https://www.googleapis.com/auth/spreadsheets.readonly";
inline constexpr std::string_view k_scope_read_write = "https://www.googleapis.com/auth/spreadsheets";
inline constexpr std::string_view k_scope_drive_metadata = "https://www.googleapis.com/auth/drive.metadata.readonly";

// The fields of a service-account JSON key file that pinsync uses.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;     // PKCS#8 PEM
  std::string private_key_id;  // sent as the JWT "kid" when present
  std::string token_uri;
  std::string project_id;      // the Google Cloud project whose quotas its requests use; "" when absent
};

// Reads a service-account key file. Returns the key, or Error{config} naming the path and
// what is wrong (unreadable, not JSON, a required field missing, not a service-account
// key); the message never quotes the key.
Result<ServiceAccountKey> load_service_account_key(const std::filesystem::path& path);

// Returns the signed assertion (header.claims.signature, RS256, typ JWT, kid when known)
// with iss=client_email, scope, aud=token_uri, iat=now, exp=now+1h; or Error{config}
// when the private key cannot be read or used for signing.
Result<std::string> make_service_account_jwt(const ServiceAccountKey& key, std::string_view scope,
                                             std::chrono::system_clock::time_point now);

class GoogleAuth {
 public:
  // Sends a token request (the connector's logged, retrying send). Returns the response
  // for any status, or an error when none arrived.
  using Send = std::function<Result<http::Response>(const http::Request&)>;

  // Checks that exactly one auth mode is configured and loads the service-account key
  // file. Returns the auth, or Error{config} saying what to set or what is wrong with
  // the key file.
  static Result<GoogleAuth> create(const GoogleAuthSettings& settings, GoogleScope scope);

  GoogleAuthMode mode() const { return m_mode; }
  // True for modes that may write (service account, refresh token); an API key only reads.
  bool can_write() const { return m_mode != GoogleAuthMode::api_key; }
  // The service account's e-mail, "" for other modes.
  const std::string& service_account_email() const { return m_key.client_email; }
  // A name for the quota this identity draws from (never a secret).
  std::string quota_key() const;
  // A name for the quota of its Google Cloud project (never a secret): a service account's
  // project_id, an OAuth client's project number (the prefix of its client id); an API key
  // counts as a project of its own.
  std::string project_quota_key() const;
  // The values that must never be logged: API key, client secret, refresh token and the
  // current access token.
  std::vector<std::string> secrets() const;

  // Adds credentials to `request`: "key=" for an API key, otherwise an Authorization
  // Bearer header with a cached token, fetching a new one through `send` when none is
  // cached or it expires within 5 minutes (`clock.monotonic()`; JWT times from
  // `clock.now()`). Returns nothing, or Error{auth} with Google's token error explained
  // and the fix, or the transport's error.
  Result<void> authorize(http::Request& request, Clock& clock, const Send& send);
  // Forgets the cached access token (after a 401), so the next authorize fetches one.
  void drop_token() { m_token.reset(); }

 private:
  struct Token {
    std::string access_token;
    std::chrono::steady_clock::time_point renew_at;
  };
  Result<Token> fetch_token(Clock& clock, const Send& send) const;
  Error token_error(const http::Response& response) const;

  GoogleAuthSettings m_settings;
  GoogleAuthMode m_mode = GoogleAuthMode::api_key;
  GoogleScope m_scope = GoogleScope::read_only;
  ServiceAccountKey m_key;
  std::optional<Token> m_token;
};

}  // namespace pinsync::connectors

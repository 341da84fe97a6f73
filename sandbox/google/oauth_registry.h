// Who exists for the emulated Google APIs: API keys, registered service accounts (public keys
// derived from their key files), OAuth clients with a refresh token, and the access tokens the
// token endpoint has issued with their principal, scopes and expiry. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/google/oauth_jwt.h"

namespace pinsync_sandbox {

inline constexpr std::string_view k_default_google_api_key = "sandbox-google-key";
inline constexpr std::string_view k_default_oauth_user = "user@example.com";
inline constexpr std::string_view k_scope_spreadsheets = "https://www.googleapis.com/auth/spreadsheets";
// The project of every caller that names none: API keys, OAuth clients' users, and service
// accounts whose key file has no project_id. It shares one per-project read quota.
inline constexpr std::string_view k_default_google_project = "pinsync-sandbox";

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id;
  std::string token_uri;
  std::string project_id;  // the key file's project_id; empty when it has none
  RsaPublicKey key;
};

struct OAuthClient {
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::string email = std::string(k_default_oauth_user);  // the user who granted the refresh token
  std::string scope = std::string(k_scope_spreadsheets);  // space-separated, as granted
};

enum class TokenState { valid, expired, unknown };

struct TokenInfo {
  TokenState state = TokenState::unknown;
  std::string principal;          // service-account or user email
  std::set<std::string> scopes;
  // The project whose quotas the caller uses: the project_id of the newest key registered for
  // a service-account principal, else k_default_google_project.
  std::string project;
};

class GoogleAuthRegistry {
 public:
  explicit GoogleAuthRegistry(std::chrono::seconds token_ttl) : m_token_ttl(token_ttl) {}

  // Registers the key of a service-account JSON key file. Returns its client_email, or what is
  // wrong with the file ("not a service_account key file", "private_key: …").
  std::expected<std::string, std::string> add_service_account(std::string_view key_file_json);
  // Returns the keys registered for `email` (several when the account has several keys).
  std::vector<ServiceAccountKey> service_account_keys(std::string_view email) const;

  // Adds or replaces a client. Returns why it is unusable (empty id, secret or token).
  std::expected<void, std::string> add_client(OAuthClient client);
  // Parses "ID:SECRET:REFRESH_TOKEN[:EMAIL]". Returns the client or what is missing.
  static std::expected<OAuthClient, std::string> parse_client_spec(std::string_view spec);
  std::optional<OAuthClient> client(std::string_view client_id) const;

  void add_api_key(std::string key);
  bool api_key_valid(std::string_view key) const;

  struct Issued {
    std::string access_token;
    std::int64_t expires_in = 0;  // seconds, as the token endpoint reports it
  };
  // Issues a new access token for `principal` with `scopes`, valid for the token TTL.
  Issued issue(std::string principal, std::set<std::string> scopes);
  // Returns the state, principal, scopes and project of `access_token`; unknown (with nothing
  // else filled in) when it was never issued or was forgotten by reset().
  TokenInfo lookup(std::string_view access_token) const;
  // Makes every issued token expired now. Returns how many were still valid.
  int expire_all();

  // Remembers the current accounts, clients and keys as the state reset() returns to.
  void mark_startup();
  // Forgets issued tokens and everything registered after mark_startup().
  void reset();

 private:
  struct Token {
    std::string principal;
    std::set<std::string> scopes;
    std::chrono::steady_clock::time_point expires;
  };
  struct Accounts {
    std::multimap<std::string, ServiceAccountKey, std::less<>> service_accounts;  // by lower-case email
    std::map<std::string, OAuthClient, std::less<>> clients;
    std::set<std::string, std::less<>> api_keys;
  };

  mutable std::mutex m_mutex;
  std::chrono::seconds m_token_ttl;
  Accounts m_accounts;
  Accounts m_startup;
  std::map<std::string, Token, std::less<>> m_tokens;
};

}  // namespace pinsync_sandbox

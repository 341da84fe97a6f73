#include "sandbox/google/oauth_registry.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <random>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

std::string string_field(const Poco::JSON::Object::Ptr& o, const std::string& name) {
  return json_type(o->get(name)) == JsonType::string ? o->getValue<std::string>(name) : std::string();
}

}  // namespace

std::expected<std::string, std::string> GoogleAuthRegistry::add_service_account(std::string_view key_file_json) {
  auto parsed = parse_json_object(key_file_json);
  if (!parsed) return std::unexpected("not a service-account key file: " + parsed.error());
  const auto& o = *parsed;
  if (string_field(o, "type") != "service_account") {
    return std::unexpected(std::string("not a service-account key file: \"type\" must be \"service_account\""));
  }
  ServiceAccountKey sa;
  sa.client_email = string_field(o, "client_email");
  sa.private_key_id = string_field(o, "private_key_id");
  sa.token_uri = string_field(o, "token_uri");
  sa.project_id = string_field(o, "project_id");
  if (sa.client_email.empty()) return std::unexpected(std::string("service-account key file without client_email"));
  auto key = RsaPublicKey::from_private_pem(string_field(o, "private_key"));
  if (!key) return std::unexpected("service-account key file for " + sa.client_email + ": " + key.error());
  sa.key = *key;
  std::lock_guard lock(m_mutex);
  // Registering the same key id again replaces it; a new key id adds a second key.
  auto [first, last] = m_accounts.service_accounts.equal_range(ascii_lower(sa.client_email));
  for (auto it = first; it != last; ++it) {
    if (it->second.private_key_id == sa.private_key_id) {
      m_accounts.service_accounts.erase(it);
      break;
    }
  }
  std::string email = sa.client_email;
  m_accounts.service_accounts.emplace(ascii_lower(email), std::move(sa));
  return email;
}

std::vector<ServiceAccountKey> GoogleAuthRegistry::service_account_keys(std::string_view email) const {
  std::lock_guard lock(m_mutex);
  std::vector<ServiceAccountKey> out;
  auto [first, last] = m_accounts.service_accounts.equal_range(ascii_lower(email));
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

std::expected<void, std::string> GoogleAuthRegistry::add_client(OAuthClient client) {
  if (client.client_id.empty() || client.client_secret.empty() || client.refresh_token.empty()) {
    return std::unexpected(std::string("an OAuth client needs client_id, client_secret and refresh_token"));
  }
  if (client.email.empty()) client.email = std::string(k_default_oauth_user);
  if (client.scope.empty()) client.scope = std::string(k_scope_spreadsheets);
  std::lock_guard lock(m_mutex);
  std::string id = client.client_id;
  m_accounts.clients.insert_or_assign(id, std::move(client));
  return {};
}

std::expected<OAuthClient, std::string> GoogleAuthRegistry::parse_client_spec(std::string_view spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto colon = spec.find(':', start);
    parts.emplace_back(spec.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 3 || parts.size() > 4 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return std::unexpected(std::string("expected CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN[:USER_EMAIL]"));
  }
  OAuthClient c;
  c.client_id = parts[0];
  c.client_secret = parts[1];
  c.refresh_token = parts[2];
  if (parts.size() == 4 && !parts[3].empty()) c.email = parts[3];
  return c;
}

std::optional<OAuthClient> GoogleAuthRegistry::client(std::string_view client_id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_accounts.clients.find(client_id);
  if (it == m_accounts.clients.end()) return std::nullopt;
  return it->second;
}

void GoogleAuthRegistry::add_api_key(std::string key) {
  std::lock_guard lock(m_mutex);
  m_accounts.api_keys.insert(std::move(key));
}

bool GoogleAuthRegistry::api_key_valid(std::string_view key) const {
  std::lock_guard lock(m_mutex);
  return m_accounts.api_keys.find(key) != m_accounts.api_keys.end();
}

GoogleAuthRegistry::Issued GoogleAuthRegistry::issue(std::string principal, std::set<std::string> scopes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof buf, "ya29.sandbox-%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(m_mutex);
  std::erase_if(m_tokens, [&](const auto& entry) { return entry.second.expires + std::chrono::hours(1) < now; });
  m_tokens[buf] = Token{std::move(principal), std::move(scopes), now + m_token_ttl};
  // Live Google reports one second less than the lifetime (3599 for an hour).
  std::int64_t ttl = m_token_ttl.count();
  return Issued{buf, ttl > 1 ? ttl - 1 : ttl};
}

TokenInfo GoogleAuthRegistry::lookup(std::string_view access_token) const {
  std::lock_guard lock(m_mutex);
  auto it = m_tokens.find(access_token);
  if (it == m_tokens.end()) return TokenInfo{};
  TokenState state = std::chrono::steady_clock::now() < it->second.expires ? TokenState::valid : TokenState::expired;
  // A service account lives in one project, so every key of it should name the same one; if
  // they differ, the newest key wins (a multimap keeps equal keys in insertion order).
  std::string project(k_default_google_project);
  auto [first, last] = m_accounts.service_accounts.equal_range(ascii_lower(it->second.principal));
  if (first != last && !std::prev(last)->second.project_id.empty()) project = std::prev(last)->second.project_id;
  return TokenInfo{state, it->second.principal, it->second.scopes, std::move(project)};
}

int GoogleAuthRegistry::expire_all() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(m_mutex);
  int expired = 0;
  for (auto& [token, info] : m_tokens) {
    if (info.expires > now) ++expired;
    info.expires = std::min(info.expires, now);
  }
  return expired;
}

void GoogleAuthRegistry::mark_startup() {
  std::lock_guard lock(m_mutex);
  m_startup = m_accounts;
}

void GoogleAuthRegistry::reset() {
  std::lock_guard lock(m_mutex);
  m_accounts = m_startup;
  m_tokens.clear();
}

}  // namespace pinsync_sandbox

#include "sandbox/google/emulation.h"

#include <chrono>
#include <fstream>
#include <sstream>

namespace pinsync_sandbox {

GoogleSandbox::GoogleSandbox(const GoogleSettings& settings, RequestStats& stats)
    : m_registry(std::chrono::seconds(settings.token_ttl_seconds)),
      m_quota(ReadQuota::Limits{settings.read_quota_per_minute, settings.project_read_quota_per_minute}),
      m_sheets(m_store, m_registry, m_quota, stats),
      m_drive(m_store, m_registry, stats, std::chrono::milliseconds(settings.drive_modified_lag_ms)),
      m_oauth(m_registry, stats),
      m_sheets_control(m_store),
      m_google_control(m_store, m_registry, m_quota, m_drive) {}

std::expected<std::unique_ptr<GoogleSandbox>, std::string> GoogleSandbox::create(const GoogleSettings& settings,
                                                                                 RequestStats& stats) {
  if (settings.drive_modified_lag_ms < 0 || settings.drive_modified_lag_ms > k_max_drive_modified_lag_ms) {
    return std::unexpected("--drive-modified-lag-ms must be from 0 to " + std::to_string(k_max_drive_modified_lag_ms));
  }
  std::unique_ptr<GoogleSandbox> g(new GoogleSandbox(settings, stats));
  g->m_registry.add_api_key(std::string(k_default_google_api_key));
  for (const std::string& key : settings.api_keys) g->m_registry.add_api_key(key);
  for (const std::string& file : settings.service_account_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected("--google-service-account " + file + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    auto email = g->m_registry.add_service_account(text.str());
    if (!email) return std::unexpected("--google-service-account " + file + ": " + email.error());
  }
  for (const std::string& spec : settings.oauth_clients) {
    auto client = GoogleAuthRegistry::parse_client_spec(spec);
    // The spec holds a secret: name the flag, never echo the value.
    if (!client) return std::unexpected("--google-oauth-client: " + client.error());
    if (auto added = g->m_registry.add_client(std::move(*client)); !added) {
      return std::unexpected("--google-oauth-client: " + added.error());
    }
  }
  g->m_registry.mark_startup();
  return g;
}

std::vector<Service*> GoogleSandbox::services() {
  return {&m_sheets, &m_drive, &m_oauth, &m_sheets_control, &m_google_control};
}

}  // namespace pinsync_sandbox

// Startup settings of the Google emulation (Sheets v4, Drive v3 files.get, OAuth token
// endpoint), filled from the --google-*, --sheets-* and --drive-* flags; checked when the emulation is built (emulation.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pinsync_sandbox {

struct GoogleSettings {
  std::vector<std::string> api_keys;               // --google-api-key, besides sandbox-google-key
  std::vector<std::string> service_account_files;  // --google-service-account FILE (key JSON)
  std::vector<std::string> oauth_clients;          // --google-oauth-client ID:SECRET:REFRESH_TOKEN[:EMAIL]
  std::int64_t token_ttl_seconds = 3600;           // --google-token-ttl
  std::int64_t read_quota_per_minute = 0;          // --sheets-read-quota-per-minute; 0 = off
  std::int64_t project_read_quota_per_minute = 0;  // --sheets-project-read-quota-per-minute; 0 = off
  std::int64_t drive_modified_lag_ms = 0;          // --drive-modified-lag-ms; 0 = changes show at once
};

}  // namespace pinsync_sandbox

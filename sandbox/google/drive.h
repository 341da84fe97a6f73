// The one Drive API v3 call the sandbox emulates, files.get for metadata
// (GET /drive/v3/files/{fileId}): a spreadsheet of the store seen as a Drive file, its `version`
// and `modifiedTime` bumped by every change of content, so a client can use it as a change gate.
// Google's auth (Drive scopes, API keys for public files), `fields` masks, Drive's 404, and an
// optional lag before a change shows. Reads here never use the Sheets read quota.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "sandbox/google/oauth_registry.h"
#include "sandbox/google/sheets_store.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// The largest --drive-modified-lag-ms / modified_lag_ms: one hour.
inline constexpr std::int64_t k_max_drive_modified_lag_ms = 3'600'000;

class GoogleDriveApi final : public Service {
 public:
  // All three must outlive this object. `modified_lag` is the startup lag (see
  // set_modified_lag), 0 to k_max_drive_modified_lag_ms.
  GoogleDriveApi(const SheetsStore& store, const GoogleAuthRegistry& registry, RequestStats& stats,
                 std::chrono::milliseconds modified_lag)
      : m_store(store), m_registry(registry), m_stats(stats), m_lag_ms(modified_lag.count()),
        m_startup_lag_ms(modified_lag.count()) {}

  std::string_view prefix() const override { return "/drive/v3"; }
  // Returns the API's answer; counts the request in the stats under its route template
  // ("/drive/v3/files/{fileId}", or "/drive/v3/(unmatched)").
  Response handle(const Request& request) override;

  // From now on files.get reports the version and modifiedTime a spreadsheet had `lag` ago: a
  // change shows only once it is that old (SheetsStore::revision). Thread-safe.
  void set_modified_lag(std::chrono::milliseconds lag) { m_lag_ms.store(lag.count()); }
  std::chrono::milliseconds modified_lag() const { return std::chrono::milliseconds(m_lag_ms.load()); }
  // Restores the startup lag.
  void reset() { m_lag_ms.store(m_startup_lag_ms); }

 private:
  Response route(const Request& req, std::string_view file_id);

  const SheetsStore& m_store;
  const GoogleAuthRegistry& m_registry;
  RequestStats& m_stats;
  std::atomic<std::int64_t> m_lag_ms;
  const std::int64_t m_startup_lag_ms;
};

}  // namespace pinsync_sandbox

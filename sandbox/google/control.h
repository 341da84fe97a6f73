// Control routes of the Google emulation (no auth, JSON, errors in the sandbox's error
// envelope, not counted in the stats): spreadsheet contents and sharing under
// /_sandbox/sheets, accounts, clients, keys, tokens, the read quotas and Drive's lag under
// /_sandbox/google.
#pragma once

#include <string>
#include <string_view>

#include "sandbox/google/drive.h"
#include "sandbox/google/oauth_registry.h"
#include "sandbox/google/sheets.h"
#include "sandbox/google/sheets_store.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// PUT|GET|DELETE /_sandbox/sheets/{id}, GET /_sandbox/sheets: spreadsheet contents and sharing.
// POST /_sandbox/sheets/{id}/before-next-write: a spreadsheets.batchUpdate body applied just
// before the next values write to the spreadsheet (a partner editing while a client works).
class SheetsControlApi final : public Service {
 public:
  explicit SheetsControlApi(SheetsStore& store) : m_store(store) {}
  std::string_view prefix() const override { return "/_sandbox/sheets"; }
  // Returns the control answer (errors in the sandbox's control envelope); never throws.
  Response handle(const Request& request) override;

 private:
  Response before_next_write(const Request& req, const std::string& id);

  SheetsStore& m_store;
};

// POST /_sandbox/google/{service-accounts, oauth-clients, api-keys, expire-tokens, reset},
// GET|POST /_sandbox/google/quota: {"read_requests_per_minute":N (per user),
// "read_requests_per_minute_per_project":M}; a POST may leave either out to keep it.
// GET|POST /_sandbox/google/drive: {"modified_lag_ms":N}, how old a change must be before
// Drive's files.get shows it. reset restores the startup quotas and lag.
class GoogleControlApi final : public Service {
 public:
  // All four must outlive this object.
  GoogleControlApi(SheetsStore& store, GoogleAuthRegistry& registry, ReadQuota& quota, GoogleDriveApi& drive)
      : m_store(store), m_registry(registry), m_quota(quota), m_drive(drive) {}
  std::string_view prefix() const override { return "/_sandbox/google"; }
  // Returns the control answer; never throws.
  Response handle(const Request& request) override;

 private:
  Response add_client(const Request& req);
  Response set_quota(const Request& req);
  Response set_drive(const Request& req);

  SheetsStore& m_store;
  GoogleAuthRegistry& m_registry;
  ReadQuota& m_quota;
  GoogleDriveApi& m_drive;
};

}  // namespace pinsync_sandbox

// The whole Google emulation as one object main.cpp builds from the --google-* flags: the
// Sheets API (/v4), the token endpoint (/token) and their control routes (/_sandbox/sheets,
// /_sandbox/google), sharing one spreadsheet store, auth registry and read quota.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/google/oauth.h"
#include "sandbox/google/oauth_registry.h"
#include "sandbox/google/settings.h"
#include "sandbox/google/sheets.h"
#include "sandbox/google/sheets_store.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// PUT|GET|DELETE /_sandbox/sheets/{id}, GET /_sandbox/sheets: spreadsheet contents and sharing.
class SheetsControlApi final : public Service {
 public:
  explicit SheetsControlApi(SheetsStore& store) : m_store(store) {}
  std::string_view prefix() const override { return "/_sandbox/sheets"; }
  // Returns the control answer (errors in the sandbox's control envelope); never throws.
  Response handle(const Request& request) override;

 private:
  SheetsStore& m_store;
};

// POST /_sandbox/google/{service-accounts, oauth-clients, api-keys, expire-tokens, reset},
// GET|POST /_sandbox/google/quota.
class GoogleControlApi final : public Service {
 public:
  GoogleControlApi(SheetsStore& store, GoogleAuthRegistry& registry, ReadQuota& quota)
      : m_store(store), m_registry(registry), m_quota(quota) {}
  std::string_view prefix() const override { return "/_sandbox/google"; }
  // Returns the control answer; never throws.
  Response handle(const Request& request) override;

 private:
  Response add_client(const Request& req);
  Response set_quota(const Request& req);

  SheetsStore& m_store;
  GoogleAuthRegistry& m_registry;
  ReadQuota& m_quota;
};

class GoogleSandbox {
 public:
  // Builds the emulation. Returns it, or a message naming the bad flag value (an unreadable or
  // invalid service-account file, a malformed client spec) and how to fix it.
  static std::expected<std::unique_ptr<GoogleSandbox>, std::string> create(const GoogleSettings& settings,
                                                                           RequestStats& stats);
  // Returns the four services to mount; they live as long as this object.
  std::vector<Service*> services();

 private:
  GoogleSandbox(const GoogleSettings& settings, RequestStats& stats);

  SheetsStore m_store;
  GoogleAuthRegistry m_registry;
  ReadQuota m_quota;
  GoogleSheetsApi m_sheets;
  GoogleOAuthApi m_oauth;
  SheetsControlApi m_sheets_control;
  GoogleControlApi m_google_control;
};

}  // namespace pinsync_sandbox

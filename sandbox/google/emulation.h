// The whole Google emulation as one object main.cpp builds from the --google-* flags: the
// Sheets API (/v4), Drive's files.get (/drive/v3), the token endpoint (/token) and their
// control routes (/_sandbox/sheets, /_sandbox/google), sharing one spreadsheet store, auth
// registry and read quotas (Sheets only).
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/google/control.h"
#include "sandbox/google/drive.h"
#include "sandbox/google/oauth.h"
#include "sandbox/google/oauth_registry.h"
#include "sandbox/google/settings.h"
#include "sandbox/google/sheets.h"
#include "sandbox/google/sheets_store.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class GoogleSandbox {
 public:
  // Builds the emulation. Returns it, or a message naming the bad flag value (an unreadable or
  // invalid service-account file, a malformed client spec) and how to fix it.
  static std::expected<std::unique_ptr<GoogleSandbox>, std::string> create(const GoogleSettings& settings,
                                                                           RequestStats& stats);
  // Returns the five services to mount; they live as long as this object.
  std::vector<Service*> services();

 private:
  GoogleSandbox(const GoogleSettings& settings, RequestStats& stats);

  SheetsStore m_store;
  GoogleAuthRegistry m_registry;
  ReadQuota m_quota;
  GoogleSheetsApi m_sheets;
  GoogleDriveApi m_drive;
  GoogleOAuthApi m_oauth;
  SheetsControlApi m_sheets_control;
  GoogleControlApi m_google_control;
};

}  // namespace pinsync_sandbox

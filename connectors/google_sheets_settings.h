// What a Google Sheets source is: the spreadsheet, the sheet or range, how to authenticate
// and which columns results are written back to.
#pragma once

#include <filesystem>
#include <string>

#include "connectors/connector.h"

namespace pinsync::connectors {

struct GoogleAuthSettings {
  std::filesystem::path service_account_file;  // JSON key file; token_uri taken from it
  std::string api_key;                          // public sheets only; never logged
  std::string oauth_client_id;                  // refresh-token flow:
  std::string oauth_client_secret;
  std::string oauth_refresh_token;
  std::string oauth_token_uri = "https://oauth2.googleapis.com/token";
  // Also ask for Drive's metadata read scope (the change gate's files.get).
  bool drive_metadata = false;
};

struct GoogleSheetsSettings {
  std::string sheets_base_url = "https://sheets.googleapis.com";
  std::string spreadsheet_id;
  std::string sheet;   // a sheet title, or
  std::string range;   // an A1 range like 'Partner Events'!A1:K
  std::string id_column;  // where rows are located for write-back and assigned IDs ("" = none)
  GoogleAuthSettings auth;
  WriteBackColumns write_back;
  // Google's per-minute quotas for reads and for writes, each per user (the identity) and
  // per project: requests are paced under both. The defaults are Google's; a project that
  // had them raised says so in the config.
  int requests_per_minute_per_user = 60;
  int requests_per_minute_per_project = 300;
  // The change gate: before a read of only the changes (Connector::fetch_changes), ask the
  // Drive API for the file's version (metadata: Drive's quota, not the Sheets one) and read
  // the values only when it moved since the last complete read. Needs Drive's metadata
  // scope (GoogleAuthSettings::drive_metadata) and the Drive API enabled in the project
  // (docs/reference/google-drive.md: why asking before the read never misses an edit).
  bool change_gate = false;
  std::string drive_base_url = "https://www.googleapis.com";
};

}  // namespace pinsync::connectors

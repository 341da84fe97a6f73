// The Google Sheets connector: reads one sheet (or A1 range) through the Sheets API v4
// in one batchGet per pass with UNFORMATTED_VALUE + SERIAL_NUMBER, authenticates with a
// service account (RS256 JWT), an API key or an OAuth refresh token, and optionally
// writes results and generated IDs back into the sheet.
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
};

struct WriteBackColumns {
  std::string event_id_column;  // each may be ""
  std::string status_column;
  std::string error_column;
  bool any() const { return !event_id_column.empty() || !status_column.empty() || !error_column.empty(); }
};

struct GoogleSheetsSettings {
  std::string sheets_base_url = "https://sheets.googleapis.com";
  std::string spreadsheet_id;
  std::string sheet;   // a sheet title, or
  std::string range;   // an A1 range like 'Partner Events'!A1:K
  std::string id_column;  // where rows are located for write-back and assigned IDs ("" = none)
  GoogleAuthSettings auth;
  WriteBackColumns write_back;
  std::string display_name;  // the source name, for messages
};

// Returns the connector; it validates `settings` on first use and reports problems
// (unreadable key file, no auth configured) from fetch().
std::unique_ptr<Connector> make_google_sheets_connector(GoogleSheetsSettings settings, ConnectorContext context);

}  // namespace pinsync::connectors

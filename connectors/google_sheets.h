// The Google Sheets connector: reads one sheet (or A1 range) through the Sheets API v4
// in one batchGet per pass with UNFORMATTED_VALUE + SERIAL_NUMBER, authenticates with a
// service account (RS256 JWT), an API key or an OAuth refresh token, and optionally
// writes results and generated IDs back into the sheet.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/google_sheets_settings.h"

namespace pinsync::connectors {

// Reads with one values:batchGet per fetch (plus one spreadsheets.get, cached for the
// connector's lifetime, for the sheet titles and the spreadsheet's timeZone). Retries
// 429 and 5xx with exponential backoff and full jitter (honouring Retry-After) through
// ConnectorContext::clock; a 401 drops the cached token and retries once. No error
// message holds a key or token; none names the source (its caller does). Not
// thread-safe: one pass at a time.
class GoogleSheetsConnector final : public Connector {
 public:
  GoogleSheetsConnector(GoogleSheetsSettings settings, ConnectorContext context);
  ~GoogleSheetsConnector() override;

  // Returns the sheet as a Table: the first non-blank row is the header (names trimmed),
  // blank rows are skipped, short rows padded with "", row_ref is 'Sheet'!A<row> with the
  // real sheet row, numbers are written shortest round-trip (46185, 0.8333333333333334),
  // booleans TRUE/FALSE; time_zone is the spreadsheet's timeZone. The table is kept for
  // write_back(). Errors: Error{config} for bad auth settings, an unreadable key file or a
  // sheet/range that does not exist (naming the sheets there are); Error{auth} for
  // 401/403 with the fix (whom to share the sheet with); Error{not_found} for an unknown
  // spreadsheet id; Error{rate_limited}/Error{transient} once retries are used up;
  // Error{invalid} for an empty sheet ("has no header row"), duplicate header names or
  // data under a blank header name.
  Result<Table> fetch() override;

  // With settings.change_gate: true. fetch_changes() asks Drive for the file's version
  // (files.get, one metadata read, none of the Sheets quota) and, when it is the version
  // noted just before the last complete read, returns an incomplete table with the header
  // and no rows (nothing changed); otherwise, or before any complete read, it reads the
  // whole sheet as fetch() does (which notes the version first). A write-back moves the
  // version too, so the pass after one reads the sheet again. Errors of the Drive call are
  // Error{auth} naming the fix (the Drive API, its metadata scope, the sharing) and how to
  // turn the gate off.
  bool reads_changes() const override;
  Result<Table> fetch_changes() override;

  bool writes_back() const override;
  // Locates each result's row in the last fetch by its ID (settings.id_column; by row_ref
  // when no ID column is set) and writes only the write-back cells whose value changes,
  // in one values:batchUpdate (RAW) with one range per run of adjacent cells. Results
  // whose ID is not in the last fetch, or appears there twice, are skipped. Returns the
  // cells and requests sent ({0, 0} when nothing changed), or Error{config} when the
  // write-back or ID columns are missing from the header, Error{internal} before any
  // fetch, Error{auth} when the credentials may only read (API key, read-only share).
  Result<WriteBackReport> write_back(std::span<const RowResult> results) override;

  // True when settings.id_column is set and the credentials can write (not an API key).
  bool assigns_ids() const override;
  // Re-reads the sheet (one batchGet), finds each assignment's row (at its row_ref, or
  // else the one row anywhere whose cells still equal IdAssignment::cells) with its ID
  // cell still empty, and writes those IDs in one values:batchUpdate. Returns the
  // assignments written (row_ref updated to where the row is now); rows that changed,
  // got an ID meanwhile or cannot be told apart are left out. Errors as for fetch(),
  // plus Error{config} when the ID column is not in the header and Error{auth} when the
  // sheet is read-only for these credentials.
  Result<std::vector<IdAssignment>> assign_ids(std::span<const IdAssignment> assignments) override;

  // For `pinsync check`: returns nothing when every configured write-back column (and the
  // ID column, when write-back or ID assignment needs it) is a header name of `table`;
  // otherwise Error{config} naming the missing columns and the fix.
  Result<void> check_write_back_columns(const Table& table) const;

 private:
  // Reads the whole sheet and keeps it for write-back; `version` is Drive's version asked
  // just before (the change gate), or nullopt.
  Result<Table> read_all(std::optional<std::string> version);

  struct State;
  std::unique_ptr<State> m_state;
};

// Returns a GoogleSheetsConnector; it validates `settings` on first use and reports
// problems (unreadable key file, no auth configured) from fetch().
std::unique_ptr<Connector> make_google_sheets_connector(GoogleSheetsSettings settings, ConnectorContext context);

}  // namespace pinsync::connectors

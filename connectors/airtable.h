// The Airtable connector: pages through one table with the Web API (100 records per
// page), never more than 5 requests per second per base nor 50 per token across all
// sources sharing them, waits out a 429 once, and optionally writes results back in PATCH
// batches of 10.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/airtable_settings.h"
#include "connectors/connector.h"

namespace pinsync::connectors {

// An incremental read: records modified at or after `since` (inclusive; Airtable
// timestamps have second precision). Returns the rows and the cursor for next time.
// Cursor choice: list responses carry only id, createdTime and fields
// (docs/reference/airtable.md §4), so a record's modification time is known only if the
// base happens to have a lastModifiedTime field. The connector therefore does not read
// modification times: the next cursor is the time the read started
// (ConnectorContext::clock, whole seconds) minus AirtableSettings::cursor_margin. A record
// edited while the pages were read is then read again next time; duplicates are harmless
// (rows are matched by record id).
struct IncrementalResult {
  Table table;
  std::string next_cursor;  // ISO-8601 UTC of the newest modification seen
                            // (in practice: read start − cursor_margin, see above)
};

class AirtableConnector final : public Connector {
 public:
  AirtableConnector(AirtableSettings settings, ConnectorContext context);
  ~AirtableConnector() override;

  // A full scan: every record (of the view / formula). Columns are `fields` (plus any
  // other field seen when `fields` is empty); the record id is Row::native_id and
  // Row::row_ref.
  // Pages of 100 follow `offset` until it is absent (ceil(N/100) reads); an expired
  // offset (422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE) restarts the scan, at most twice.
  // Every request first takes a token from the base's limiter and one from the token's
  // (shared through ConnectorContext::limiters under "airtable:BASE" and under
  // "airtable-token:" + a hash of the token), both at the same moment; a 429 pauses the
  // base's limiter for rate_limit_wait and the request is sent once more; 5xx and transport failures are
  // retried 3 times with backoff 1, 2, 4 s. Returns the table, or an Error led by
  // "airtable BASE/TABLE" naming the cause and the fix (airtable_error in airtable_wire.h): auth
  // for 401/403, not_found for an unknown table, config for a bad formula, view or
  // field, rate_limited for a second 429, transient/timeout when Airtable cannot be
  // reached or keeps failing.
  Result<Table> fetch() override;
  // Records modified since `cursor` ("" = everything), for the daemon's incremental polls.
  // The filter is AND(approved_formula, IS_AFTER(LAST_MODIFIED_TIME(), 'cursor − 1 s')).
  // Returns the rows and the next cursor, Error{invalid} when `cursor` is not an
  // Airtable timestamp, or the errors of fetch().
  Result<IncrementalResult> fetch_modified_since(const std::string& cursor);

  // Incremental reads for the agent: records modified since the previous read (kept in
  // memory; after a restart the first read is a full scan).
  bool reads_changes() const override { return true; }
  Result<Table> fetch_changes() override;

  bool writes_back() const override { return m_settings.write_back.any(); }
  // Compares each result (located by source_id = record id, else row_ref) with the
  // write-back fields as last read; records not seen by the last fetch are skipped
  // (they may be deleted, and one bad id fails a whole batch). Sends only changed
  // fields, "" as null (clears the field), in PATCH batches of 10 with typecast, through
  // the same limiter and retries as reads. Returns the fields written and requests
  // made, or an Error (auth "the token lacks data.records:write on base …" for 403);
  // batches sent before an error stay written.
  Result<WriteBackReport> write_back(std::span<const RowResult> results) override;

 private:
  struct State;
  AirtableSettings m_settings;
  ConnectorContext m_context;
  std::unique_ptr<State> m_state;
};

}  // namespace pinsync::connectors

// The Airtable connector: pages through one table with the Web API (100 records per
// page), never more than 5 requests per second per base across all sources sharing it,
// waits out a 429 once, and optionally writes results back in PATCH batches of 10.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/google_sheets.h"  // WriteBackColumns

namespace pinsync::connectors {

enum class ArrayJoin { first, join };

struct AirtableSettings {
  std::string base_url = "https://api.airtable.com";
  std::string base_id;            // app…
  std::string table;              // name or tbl… id
  std::string view;               // optional
  std::string token;              // personal access token; never logged
  std::string approved_formula;   // optional filterByFormula selecting approved records
  // Field names the mapping uses: always columns of the table, even when no record has
  // a value (Airtable omits empty fields), and the only fields requested (fields[]).
  std::vector<std::string> fields;
  WriteBackColumns write_back;
  ArrayJoin arrays = ArrayJoin::join;  // lookup / linked / multiple-select arrays
  std::string array_separator = ", ";
  double requests_per_second = 5.0;    // per base, shared through ConnectorContext::limiters
  std::chrono::seconds rate_limit_wait{30};  // how long a 429 blocks the base
  std::string display_name;
};

// An incremental read: records modified at or after `since` (inclusive; Airtable
// timestamps have second precision). Returns the rows and the cursor for next time.
struct IncrementalResult {
  Table table;
  std::string next_cursor;  // ISO-8601 UTC of the newest modification seen
};

class AirtableConnector final : public Connector {
 public:
  AirtableConnector(AirtableSettings settings, ConnectorContext context);
  ~AirtableConnector() override;

  // A full scan: every record (of the view / formula). Columns are `fields` (plus any
  // other field seen when `fields` is empty); the record id is Row::native_id and
  // Row::row_ref.
  Result<Table> fetch() override;
  // Records modified since `cursor` ("" = everything), for the daemon's incremental polls.
  Result<IncrementalResult> fetch_modified_since(const std::string& cursor);

  bool writes_back() const override { return m_settings.write_back.any(); }
  Result<WriteBackReport> write_back(std::span<const RowResult> results) override;

 private:
  struct State;
  AirtableSettings m_settings;
  ConnectorContext m_context;
  std::unique_ptr<State> m_state;
};

}  // namespace pinsync::connectors

// What an Airtable source is: the base, table and view, the token, the fields the mapping
// reads, how arrays become text, the base's rate limit and the write-back columns.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "connectors/connector.h"

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
                                       // (run at 90 % with burst 1: ~222 ms apart, never 6 in 1 s)
  // Per token, all bases together (Airtable counts a user's tokens together; pinsync can
  // only see one token at a time): shared through ConnectorContext::limiters under a
  // hash of the token, run at 90 % with burst 1 like the base's.
  double requests_per_second_per_token = 50.0;
  std::chrono::seconds rate_limit_wait{30};  // how long a 429 blocks the base
  // How far before the start of an incremental read its next cursor lies: covers the
  // skew between this machine's clock and Airtable's (see IncrementalResult).
  std::chrono::seconds cursor_margin{60};
};

}  // namespace pinsync::connectors

// The one interface every source kind implements. A connector reads its source into a
// Table: the header names and the rows, each with a reference a person can find
// ("partner.csv:12", "'Events'!A12", "recA1b2C3"). It knows nothing of mappings,
// approval rules, the state store or Pinned Events; the agent does that.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/http.h"

namespace pinsync::connectors {

struct Row {
  std::string row_ref;             // where a person finds the row
  std::string native_id;           // the source's own record id (Airtable); empty otherwise
  std::vector<std::string> cells;  // aligned with Table::columns; missing cells are ""
};

struct Table {
  std::vector<std::string> columns;  // header names, in source order
  std::vector<Row> rows;             // data rows, blank rows already skipped
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Reads the whole source. Returns the table, or an error naming the source location
  // (file, URL, sheet) and the reason.
  virtual Result<Table> fetch() = 0;
};

// What a connector may use from the outside world.
struct ConnectorContext {
  std::function<std::unique_ptr<http::Transport>()> make_transport;
  std::chrono::milliseconds timeout{30'000};
};

}  // namespace pinsync::connectors

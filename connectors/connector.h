// The one interface every source kind implements. A connector reads its source into a
// Table: the header names and the rows, each with a reference a person can find
// ("partner.csv:12", "'Events'!A12", "recA1b2C3"). Sources that allow it can also take
// results back (write-back) and store generated IDs. A connector knows nothing of
// mappings, approval rules, the state store or Pinned Events; the agent does that.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/http.h"
#include "core/log.h"
#include "core/rate_limiter.h"

namespace pinsync::connectors {

struct Row {
  std::string row_ref;             // where a person finds the row
  std::string native_id;           // the source's own record id (Airtable); empty otherwise
  std::vector<std::string> cells;  // aligned with Table::columns; missing cells are ""
};

struct Table {
  std::vector<std::string> columns;  // header names, in source order
  std::vector<Row> rows;             // data rows, blank rows already skipped
  std::string time_zone;             // the source's own zone (a spreadsheet's timeZone), or ""
  // False for an incremental read: `rows` holds only what changed since the previous
  // read, so a row missing from it is not gone.
  bool complete = true;
};

// Takes the rows of a read one at a time, in source order, so a large source need not be
// held whole (Connector::read).
class RowSink {
 public:
  virtual ~RowSink() = default;
  // The read's header, before its first row: `header` has the columns, the zone and
  // `complete`, and no rows. An error stops the read and is what read() returns.
  virtual Result<void> begin(const Table& header) = 0;
  // One data row (blank rows already skipped). The sink may move from it; what it leaves,
  // the reader may reuse for the next row.
  virtual void row(Row&& row) = 0;
};

// The columns a source writes pinsync's results back to; "" for a column not written.
struct WriteBackColumns {
  std::string event_id_column;
  std::string status_column;
  std::string error_column;
  bool any() const { return !event_id_column.empty() || !status_column.empty() || !error_column.empty(); }
};

// The outcome of one row after a pass, to be written back into the source.
struct RowResult {
  std::string source_id;  // the row's identity: its ID cell, or its native id
  std::string row_ref;
  std::string event_id;   // "" when the row has no event
  std::string status;     // synced, invalid, failed, removed, held
  std::string error;      // "" when none
};

struct WriteBackReport {
  int cells_written = 0;
  int requests = 0;
  // One sentence per result whose cells were not written because its row could not be
  // told apart any more (its ID gone from the source, or now in two rows), naming the row
  // and what to do; empty when every result found its row.
  std::vector<std::string> skipped;
};

// An ID that pinsync generated for an approved row that had none.
struct IdAssignment {
  std::string row_ref;  // where the row was when it was read
  std::string new_id;
  std::vector<std::string> cells;  // the row's cells as read, to recognise it if it moved
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Reads the whole source. Returns the table, or an error naming the source location
  // (file, URL, sheet) and the reason.
  virtual Result<Table> fetch() = 0;

  // True when the source can list only the rows changed since its previous read.
  virtual bool reads_changes() const { return false; }
  // Returns the rows changed since the previous fetch() or fetch_changes() (a Table with
  // complete = false); the first read, or a source that cannot tell, reads everything.
  virtual Result<Table> fetch_changes() { return fetch(); }

  // Reads the whole source (or, with `changes_only`, what fetch_changes() reads) into
  // `sink`, as fetch() would but without keeping every row: a connector that can parse
  // while it reads (CSV) hands each row over as soon as it has it. Returns nothing, or
  // fetch()'s errors and the sink's. The default reads the table first.
  virtual Result<void> read(RowSink& sink, bool changes_only);

  // True when the source is configured to take results back (write_back settings).
  virtual bool writes_back() const { return false; }
  // Writes each result into the configured write-back columns of the row with that
  // identity (rows are located by ID, never by position), only where the value
  // changes, in as few requests as the API allows. Returns what was written, or an
  // error naming the source and the cause (e.g. read-only access).
  virtual Result<WriteBackReport> write_back(std::span<const RowResult> results) {
    (void)results;
    return WriteBackReport{};
  }

  // True when the source can store generated IDs in its ID column.
  virtual bool assigns_ids() const { return false; }
  // Writes each new ID into the ID column of its row, first checking that the row still
  // holds the same cells and an empty ID (rows may have moved since fetch). Returns the
  // assignments that were written (a row that moved or changed is skipped), or an error.
  virtual Result<std::vector<IdAssignment>> assign_ids(std::span<const IdAssignment> assignments) {
    (void)assignments;
    return fail(ErrorKind::config, "this source cannot store IDs");
  }
};

// Small facts a connector keeps about its source from one pass (and one process) to the
// next, such as which tab of a spreadsheet a range without a sheet name resolved to. The
// agent keeps them in its state store, per source; a connector names its own keys.
class SourceMemory {
 public:
  virtual ~SourceMemory() = default;
  // Returns the value last remembered under `key` for this source, nullopt when there is
  // none, or the store's error.
  virtual Result<std::optional<std::string>> recall(std::string_view key) = 0;
  // Remembers `value` under `key` (replacing an earlier value). Returns nothing, or the
  // store's error. A memory that may not write (a dry run, a read-only command) keeps
  // nothing and succeeds: what it recalls stays as it was.
  virtual Result<void> remember(std::string_view key, std::string_view value) = 0;
};

// What a connector may use from the outside world, handed in by whoever makes it (the
// agent's Session; in tests, tests/support/connector_world.h). The clock, limiters,
// logger and memory are borrowed: they must outlive every connector made with this context.
struct ConnectorContext {
  Clock& clock;            // token expiry, backoff, rate limits and read cursors
  RateLimiters& limiters;  // shared per API quota (one per Airtable base, per Google identity)
  Logger& log;
  // Makes a transport for the connector to send through. Must be set and must return a
  // transport (connectors assert both).
  std::function<std::unique_ptr<http::Transport>()> make_transport;
  std::chrono::milliseconds timeout{30'000};  // per request
  // The source's name, for the `source` field of the connector's log lines. Error
  // messages leave it out: whoever reports them (the pass, `pinsync check`) puts it first.
  std::string source;
  // What the connector remembers about this source across passes; null: nothing is kept
  // (`pinsync check`, a command without a state file), and checks that need an earlier
  // pass's fact are skipped.
  SourceMemory* memory = nullptr;
};

}  // namespace pinsync::connectors

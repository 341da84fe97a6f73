// Turns the rows of a source table into Pinned Events create payloads, or into row
// errors that say which cell is wrong and why. Pure: no I/O, no clock.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"
#include "agent/mapping/mapped_row.h"
#include "agent/mapping/source.h"
#include "connectors/connector.h"
#include "core/error.h"
#include "core/hash.h"

namespace pinsync::agent {

// Maps every row of `table`. Unapproved rows are returned with approved=false and not
// mapped further. Returns an Error{config} naming the column when a mapped column (or
// the id/approval column) is missing from the header: the source stops instead of
// reporting every row.
Result<std::vector<MappedRow>> map_table(const SourceConfig& source, const connectors::Table& table,
                                         const KnownSlugs& known_slugs);

// Maps the rows of one read one at a time, for a read that is not held whole: made from
// the read's header (a Table without rows), then map() per row, as map_table does.
class RowMapper {
 public:
  // Returns map_table's Error{config} when the header lacks a mapped column. `source` and
  // `known_slugs` must outlive the mapper.
  static Result<RowMapper> open(const SourceConfig& source, const connectors::Table& header,
                                const KnownSlugs& known_slugs);
  MappedRow map(const connectors::Row& row);
  // As above, into `out`, reusing its storage: a reader that keeps few rows maps them all
  // into one MappedRow.
  void map(const connectors::Row& row, MappedRow& out);
  // Only the row's identity, as map() gives it: source_id, row_ref and approved, the rest
  // of `out` cleared. Enough to find the row in the store.
  void identify(const connectors::Row& row, MappedRow& out) const;
  // A digest of the cells of `row` the mapping reads, of every other input of the mapping
  // (mapping_fingerprint) and of `payload_hash`. Stored once map() gave the row that payload
  // hash, an equal token later means the row maps to it again, unmapped.
  Digest128 cells_token(const connectors::Row& row, std::string_view payload_hash) const;

 private:
  RowMapper(SourcePlan plan, Digest128 fingerprint);
  SourcePlan m_plan;
  Digest128 m_fingerprint;                 // mapping_fingerprint()
  std::vector<std::size_t> m_read_columns;  // every header position the mapping reads a cell of
  std::string m_scratch;                   // the payload writer's buffer, reused from row to row
  mutable std::string m_token_input;       // cells_token's, likewise
};

}  // namespace pinsync::agent

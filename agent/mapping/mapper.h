// Turns the rows of a source table into Pinned Events create payloads, or into row
// errors that say which cell is wrong and why. Pure: no I/O, no clock.
#pragma once

#include <vector>

#include "agent/config/config.h"
#include "agent/mapping/mapped_row.h"
#include "connectors/connector.h"
#include "core/error.h"

namespace pinsync::agent {

// Maps every row of `table`. Unapproved rows are returned with approved=false and not
// mapped further. Returns an Error{config} naming the column when a mapped column (or
// the id/approval column) is missing from the header: the source stops instead of
// reporting every row.
Result<std::vector<MappedRow>> map_table(const SourceConfig& source, const connectors::Table& table,
                                         const KnownSlugs& known_slugs);

}  // namespace pinsync::agent

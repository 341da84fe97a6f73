// What a row maps to depends on its cells and on everything else the mapper reads: the
// source's config, the header, the classifications Pinned Events knows, the time-zone
// rules and pinsync's own code. The fingerprint is a digest of all of that but the cells,
// so a pass can tell from a row's cells alone that it maps to what it mapped to before
// (RowMapper::cells_token) and skip mapping it again.
#pragma once

#include <string>

#include "agent/config/config.h"
#include "agent/mapping/mapped_row.h"
#include "connectors/connector.h"
#include "core/hash.h"

namespace pinsync::agent {

// Returns a digest (SHA-256/128) of every input of the mapping of `source` against
// `header` apart from the rows' cells. A change of any of them changes it. Always succeeds.
Digest128 mapping_fingerprint(const SourceConfig& source, const connectors::Table& header,
                                const KnownSlugs& known_slugs);

}  // namespace pinsync::agent

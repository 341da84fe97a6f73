// Placeholder until the mapper lands.
#include "agent/mapper.h"

namespace pinsync::agent {

Result<std::vector<MappedRow>> map_table(const SourceConfig& source, const connectors::Table&,
                                         const KnownSlugs&) {
  return fail(ErrorKind::internal, source.name + ": mapping is not built yet");
}

}  // namespace pinsync::agent

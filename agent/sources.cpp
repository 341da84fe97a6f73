#include "agent/sources.h"

#include <array>
#include <string_view>

#include "connectors/csv.h"

namespace pinsync::agent {

namespace {

using Factory = Result<std::unique_ptr<connectors::Connector>> (*)(const SourceConfig&,
                                                                    const connectors::ConnectorContext&);

Result<std::unique_ptr<connectors::Connector>> make_csv(const SourceConfig& source,
                                                        const connectors::ConnectorContext& ctx) {
  // The pass adds the source name to errors, so the connector's own name stays empty.
  connectors::CsvSettings settings{source.path, source.url, ""};
  return std::make_unique<connectors::CsvConnector>(std::move(settings), ctx);
}

struct Entry {
  std::string_view kind;
  Factory make;
};

constexpr std::array k_factories = {
    Entry{"csv", make_csv},
};

}  // namespace

Result<std::unique_ptr<connectors::Connector>> make_connector(const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx) {
  for (const auto& entry : k_factories) {
    if (entry.kind == source.kind) return entry.make(source, ctx);
  }
  return fail(ErrorKind::config, source.name + ": kind " + source.kind + " is not available in this version of pinsync");
}

}  // namespace pinsync::agent

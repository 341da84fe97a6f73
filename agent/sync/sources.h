// Builds the connector for a configured source from a literal table kind -> factory.
#pragma once

#include <memory>

#include "agent/config/config.h"
#include "connectors/connector.h"

namespace pinsync::agent {

// Returns the connector for `source`, or Error{config} when its kind has no connector.
Result<std::unique_ptr<connectors::Connector>> make_connector(const Config& config, const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx);

}  // namespace pinsync::agent

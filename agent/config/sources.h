// The connector of a configured source, made by its kind (agent/config/sources/<kind>.cpp).
#pragma once

#include <memory>

#include "agent/config/config.h"
#include "connectors/connector.h"

namespace pinsync::agent {

// Returns the connector for `source`, its settings completed from `config` (the APIs' base
// URLs, the fields the mapping reads), or the kind's Error{config}.
Result<std::unique_ptr<connectors::Connector>> make_connector(const Config& config, const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx);

}  // namespace pinsync::agent

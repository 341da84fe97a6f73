// What a configured source's kind (agent/config/sources/<kind>.cpp) makes of it: its
// connector, and what its passes ask of the API quotas.
#pragma once

#include <memory>
#include <optional>

#include "agent/config/config.h"
#include "agent/config/quota.h"
#include "connectors/connector.h"

namespace pinsync::agent {

// Returns the connector for `source`, its settings completed from `config` (the APIs' base
// URLs, the fields the mapping reads), or the kind's Error{config}.
Result<std::unique_ptr<connectors::Connector>> make_connector(const Config& config, const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx);

// What one pass of `source` asks of the API quotas it draws on, as its kind says; nullopt when
// it draws on none (a CSV file) or its quota cannot be told (a service-account key file that
// cannot be read: its pass reports the file).
std::optional<QuotaUse> quota_use(const Config& config, const SourceConfig& source, const KnownRowCount& known_rows);

}  // namespace pinsync::agent

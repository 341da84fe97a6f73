// One kind of source, as the config knows it: its name, the keys only it takes, how those
// keys are read into its settings, how its connector is made and what its passes ask of the
// API quotas. Each kind lives in one
// file, agent/config/sources/<kind>.cpp; the table of kinds is in agent/config/sources.cpp.
// Internal to agent/config/.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agent/config/config.h"
#include "agent/config/quota.h"
#include "agent/config/reader.h"
#include "connectors/connector.h"

namespace pinsync::agent {

using ConnectorResult = Result<std::unique_ptr<connectors::Connector>>;

struct SourceKind {
  std::string_view name;                  // as written in `kind:`
  std::span<const std::string_view> keys;  // the keys only this kind takes
  // Rows carry an id of their own (an Airtable record id), so id_column is optional.
  bool native_ids = false;
  // The source has a time zone of its own (a Google sheet's), so timezone is optional.
  bool own_time_zone = false;
  // Reads this kind's keys of `m` into source.settings (and the few generic fields only
  // this kind uses); reports a problem through `r`, which throws.
  void (*read)(const ConfigReader& r, const ConfigMap& m, SourceConfig& source);
  // Makes the source's connector, completing its settings with what comes from the rest
  // of the config. Returns Error{config} when the settings cannot work.
  ConnectorResult (*make)(const Config& config, const SourceConfig& source, const connectors::ConnectorContext& ctx);
  // What one pass of the source asks of the API quotas it draws on, their sizes taken from
  // `config`; nullopt when its quota cannot be told. Null for a kind that draws on none.
  std::optional<QuotaUse> (*quota_use)(const Config& config, const SourceConfig& source,
                                       const KnownRowCount& known_rows);
};

extern const SourceKind k_csv_kind;
extern const SourceKind k_google_sheets_kind;
extern const SourceKind k_airtable_kind;

// Every kind, in the order of SourceSettings' alternatives.
std::span<const SourceKind* const> source_kinds();
// The kind named `name` (ASCII case ignored), or nullptr.
const SourceKind* find_source_kind(std::string_view name);
// The columns of the write_back: key (shared by the kinds that can write back).
connectors::WriteBackColumns read_write_back(const ConfigReader& r, const ConfigItem& item);
// A duration such as 60s, 5m or 1h (a bare number is seconds), between 1 s and a week.
std::chrono::seconds read_interval(const ConfigReader& r, const ConfigItem& item);
// A name for a secret that is not the secret (for quota keys and labels): the first 8 hex
// digits of its SHA-256.
std::string secret_fingerprint(std::string_view secret);

}  // namespace pinsync::agent

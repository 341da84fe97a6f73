#include "agent/config/sources.h"

#include <array>

#include "agent/config/sources/kind.h"
#include "core/hash.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

// The kinds, in the order of SourceSettings' alternatives.
constexpr std::array<const SourceKind*, 3> k_kinds = {&k_csv_kind, &k_google_sheets_kind, &k_airtable_kind};
static_assert(k_kinds.size() == std::variant_size_v<SourceSettings>, "one kind per SourceSettings alternative");

}  // namespace

std::span<const SourceKind* const> source_kinds() { return k_kinds; }

const SourceKind* find_source_kind(std::string_view name) {
  for (const auto* kind : k_kinds) {
    if (text::iequals(kind->name, name)) return kind;
  }
  return nullptr;
}

std::string_view SourceConfig::kind() const { return k_kinds[settings.index()]->name; }

const connectors::WriteBackColumns* SourceConfig::write_back() const {
  if (const auto* sheets = std::get_if<connectors::GoogleSheetsSettings>(&settings)) return &sheets->write_back;
  if (const auto* airtable = std::get_if<connectors::AirtableSettings>(&settings)) return &airtable->write_back;
  return nullptr;
}

Result<std::unique_ptr<connectors::Connector>> make_connector(const Config& config, const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx) {
  return k_kinds[source.settings.index()]->make(config, source, ctx);
}

std::optional<QuotaUse> quota_use(const Config& config, const SourceConfig& source, const KnownRowCount& known_rows) {
  const auto hook = k_kinds[source.settings.index()]->quota_use;
  if (hook == nullptr) return std::nullopt;
  return hook(config, source, known_rows);
}

std::string secret_fingerprint(std::string_view secret) { return sha256_hex(secret).substr(0, 8); }

}  // namespace pinsync::agent

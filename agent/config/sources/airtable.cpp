// kind: airtable — one table (or view) of a base, through the Airtable Web API.
#include <algorithm>
#include <cmath>

#include "agent/config/sources/kind.h"
#include "connectors/airtable.h"

namespace pinsync::agent {

// Named, not anonymous: every kind's file has a read, a make and k_keys, and CI's unity
// build compiles them as one unit.
namespace airtable_source {

constexpr std::string_view k_keys[] = {"base_id", "table", "view", "token", "full_scan_interval", "arrays",
                                       "write_back"};
constexpr std::string_view k_array_modes[] = {"join", "first"};

void read(const ConfigReader& r, const ConfigMap& m, SourceConfig& source) {
  connectors::AirtableSettings airtable;
  airtable.base_id = r.required_text(m, "base_id", "add base_id: the app… id in the base's URL");
  airtable.table = r.required_text(m, "table", "add table: the table's name or tbl… id");
  airtable.view = r.optional_text(m, "view").value_or("");
  airtable.token = r.secret(r.required(m, "token", "add token: ${AIRTABLE_TOKEN}"), "AIRTABLE_TOKEN");
  if (const auto interval = m.find("full_scan_interval")) source.full_scan_interval = read_interval(r, *interval);
  if (const auto arrays = m.find("arrays")) {
    airtable.arrays = r.choice(*arrays, k_array_modes) == 1 ? connectors::ArrayJoin::first : connectors::ArrayJoin::join;
  }
  if (const auto wb = m.find("write_back")) airtable.write_back = read_write_back(r, *wb);
  source.settings = std::move(airtable);
}

// Every column the mapping reads or write-back writes: Airtable leaves empty fields out
// of its answers, so these are asked for by name and always become columns.
std::vector<std::string> fields_of(const SourceConfig& source, const connectors::WriteBackColumns& write_back) {
  const Mapping& m = source.mapping;
  std::vector<std::string> names = {source.id_column, source.approved.column, source.status_column,
                                    m.title, m.start_date, m.start_time, m.start, m.end_date, m.end_time, m.end,
                                    m.timezone, m.classifications.column, m.city.column, m.location_name,
                                    m.description, m.ticket_url, write_back.event_id_column,
                                    write_back.status_column, write_back.error_column};
  names.insert(names.end(), source.fingerprint.begin(), source.fingerprint.end());
  std::vector<std::string> out;
  for (auto& name : names) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

ConnectorResult make(const Config& config, const SourceConfig& source, const connectors::ConnectorContext& ctx) {
  auto settings = std::get<connectors::AirtableSettings>(source.settings);
  settings.base_url = config.airtable.base_url;
  settings.requests_per_second = static_cast<double>(config.airtable.requests_per_second_per_base);
  settings.requests_per_second_per_token = static_cast<double>(config.airtable.requests_per_second_per_token);
  settings.approved_formula = source.approved.formula;
  settings.fields = fields_of(source, settings.write_back);
  return std::make_unique<connectors::AirtableConnector>(std::move(settings), ctx);
}

// A pass lists the table: one request per page of 100 records (the rows the state knows, at
// least one page), against its base's quota and its token's.
std::optional<QuotaUse> quota_use(const Config& config, const SourceConfig& source, const KnownRowCount& known_rows) {
  const auto& a = std::get<connectors::AirtableSettings>(source.settings);
  const double base = static_cast<double>(config.airtable.requests_per_second_per_base) * 60;
  const double token = static_cast<double>(config.airtable.requests_per_second_per_token) * 60;
  const std::string token_name = secret_fingerprint(a.token);
  QuotaUse use;
  use.requests_per_pass = std::max<double>(1.0, std::ceil(static_cast<double>(known_rows(source.name)) / 100.0));
  use.first_pass_requests = use.requests_per_pass;
  use.scopes = {
      {"airtable-base:" + a.base_id, {"Airtable requests to base " + a.base_id + " (per base)", base, "requests"}},
      {"airtable-token:" + token_name, {"Airtable requests with token " + token_name + " (per token)", token, "requests"}}};
  return use;
}

}  // namespace airtable_source

const SourceKind k_airtable_kind{"airtable",           airtable_source::k_keys, true, false, airtable_source::read,
                                 airtable_source::make, airtable_source::quota_use};

}  // namespace pinsync::agent

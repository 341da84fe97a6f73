#include "agent/sync/sources.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "connectors/airtable.h"
#include "connectors/csv.h"
#include "connectors/google_sheets.h"

namespace pinsync::agent {

namespace {

using ConnectorResult = Result<std::unique_ptr<connectors::Connector>>;
using Factory = ConnectorResult (*)(const Config&, const SourceConfig&, const connectors::ConnectorContext&);

connectors::WriteBackColumns write_back_of(const SourceConfig& source) {
  return {source.write_back.event_id_column, source.write_back.status_column, source.write_back.error_column};
}

ConnectorResult make_csv(const Config&, const SourceConfig& source, const connectors::ConnectorContext& ctx) {
  connectors::CsvSettings settings{source.path, source.url};
  return std::make_unique<connectors::CsvConnector>(std::move(settings), ctx);
}

ConnectorResult make_google_sheets(const Config& config, const SourceConfig& source,
                                   const connectors::ConnectorContext& ctx) {
  connectors::GoogleSheetsSettings settings;
  settings.sheets_base_url = config.google.sheets_base_url;
  settings.spreadsheet_id = source.spreadsheet_id;
  settings.sheet = source.sheet;
  settings.range = source.range;
  settings.id_column = source.id_column;
  settings.auth.service_account_file = source.auth.service_account_file;
  settings.auth.api_key = source.auth.api_key;
  settings.auth.oauth_client_id = source.auth.oauth_client_id;
  settings.auth.oauth_client_secret = source.auth.oauth_client_secret;
  settings.auth.oauth_refresh_token = source.auth.oauth_refresh_token;
  settings.auth.oauth_token_uri = source.auth.oauth_token_uri;
  settings.write_back = write_back_of(source);
  return connectors::make_google_sheets_connector(std::move(settings), ctx);
}

// Every column the mapping reads or write-back writes: Airtable leaves empty fields out
// of its answers, so these are asked for by name and always become columns.
std::vector<std::string> fields_of(const SourceConfig& source) {
  const Mapping& m = source.mapping;
  std::vector<std::string> names = {source.id_column, source.approved.column, source.status_column,
                                    m.title, m.start_date, m.start_time, m.start, m.end_date, m.end_time, m.end,
                                    m.timezone, m.classifications.column, m.city.column, m.location_name,
                                    m.description, m.ticket_url, source.write_back.event_id_column,
                                    source.write_back.status_column, source.write_back.error_column};
  names.insert(names.end(), source.fingerprint.begin(), source.fingerprint.end());
  std::vector<std::string> out;
  for (auto& name : names) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

ConnectorResult make_airtable(const Config& config, const SourceConfig& source,
                              const connectors::ConnectorContext& ctx) {
  connectors::AirtableSettings settings;
  settings.base_url = config.airtable.base_url;
  settings.base_id = source.base_id;
  settings.table = source.table;
  settings.view = source.view;
  settings.token = source.token;
  settings.approved_formula = source.approved.formula;
  settings.fields = fields_of(source);
  settings.write_back = write_back_of(source);
  settings.arrays = source.arrays_first ? connectors::ArrayJoin::first : connectors::ArrayJoin::join;
  return std::make_unique<connectors::AirtableConnector>(std::move(settings), ctx);
}

struct Entry {
  std::string_view kind;
  Factory make;
};

constexpr std::array k_factories = {
    Entry{"csv", make_csv},
    Entry{"google_sheets", make_google_sheets},
    Entry{"airtable", make_airtable},
};

}  // namespace

Result<std::unique_ptr<connectors::Connector>> make_connector(const Config& config, const SourceConfig& source,
                                                              const connectors::ConnectorContext& ctx) {
  for (const auto& entry : k_factories) {
    if (entry.kind == source.kind) return entry.make(config, source, ctx);
  }
  return fail(ErrorKind::config, source.name + ": kind " + source.kind + " is not available in this version of pinsync");
}

}  // namespace pinsync::agent

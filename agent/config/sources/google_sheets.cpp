// kind: google_sheets — one tab (or A1 range) of a spreadsheet, through the Sheets API.
#include "agent/config/sources/kind.h"
#include "connectors/google_auth.h"
#include "connectors/google_sheets.h"

namespace pinsync::agent {

// Named, not anonymous: every kind's file has a read, a make and k_keys, and CI's unity
// build compiles them as one unit.
namespace google_sheets_source {

constexpr std::string_view k_keys[] = {"spreadsheet_id", "sheet", "range", "auth", "write_back", "change_gate",
                                       "full_scan_interval"};
constexpr std::string_view k_gate_booleans[] = {"false", "true", "no", "yes"};
// With the change gate, how often the sheet is read whatever Drive says (a safety net for
// an edit Drive has not counted yet, and for rows waiting to be retried).
constexpr std::chrono::seconds k_gate_full_read{900};
constexpr std::string_view k_auth_keys[] = {"service_account_file", "api_key", "oauth"};
constexpr std::string_view k_oauth_keys[] = {"client_id", "client_secret", "refresh_token", "token_uri"};

connectors::GoogleAuthSettings read_auth(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_auth_keys);
  connectors::GoogleAuthSettings auth;
  int ways = 0;
  if (const auto file = m.find("service_account_file")) {
    auth.service_account_file = r.path(*file);
    ++ways;
  }
  if (const auto key = m.find("api_key")) {
    auth.api_key = r.secret(*key, "GOOGLE_API_KEY");
    ++ways;
  }
  if (const auto oauth = m.find("oauth")) {
    const ConfigMap o = r.map(*oauth, k_oauth_keys);
    auth.oauth_client_id = r.required_text(o, "client_id", "add client_id: the OAuth client id");
    auth.oauth_client_secret =
        r.secret(r.required(o, "client_secret", "add client_secret: ${GOOGLE_CLIENT_SECRET}"),
                 "GOOGLE_CLIENT_SECRET");
    auth.oauth_refresh_token =
        r.secret(r.required(o, "refresh_token", "add refresh_token: ${GOOGLE_REFRESH_TOKEN}"),
                 "GOOGLE_REFRESH_TOKEN");
    if (const auto uri = o.find("token_uri")) auth.oauth_token_uri = r.url(*uri);
    ++ways;
  }
  if (ways != 1) {
    r.fail(item, ways == 0 ? "no credentials given" : "more than one way to sign in is given",
           "give exactly one of service_account_file:, api_key: or oauth:");
  }
  return auth;
}

void read(const ConfigReader& r, const ConfigMap& m, SourceConfig& source) {
  connectors::GoogleSheetsSettings sheets;
  sheets.spreadsheet_id = r.required_text(
      m, "spreadsheet_id", "add spreadsheet_id: the long id in the sheet's URL (…/d/ID/edit)");
  const auto sheet = m.find("sheet");
  const auto range = m.find("range");
  if (sheet && range) r.fail(*range, "sheet and range are both given", "keep one of them");
  if (sheet) sheets.sheet = r.text(*sheet);
  if (range) sheets.range = r.text(*range);
  if (!sheet && !range) r.missing(m, "sheet", "name the tab, e.g. sheet: Partner Events");
  sheets.auth = read_auth(r, r.required(m, "auth", "add auth: {service_account_file: /etc/pinsync/sa.json}"));
  if (const auto wb = m.find("write_back")) sheets.write_back = read_write_back(r, *wb);
  if (const auto gate = m.find("change_gate")) sheets.change_gate = r.choice(*gate, k_gate_booleans) % 2 == 1;
  sheets.auth.drive_metadata = sheets.change_gate;
  source.full_scan_interval = k_gate_full_read;
  if (const auto interval = m.find("full_scan_interval")) source.full_scan_interval = read_interval(r, *interval);
  source.settings = std::move(sheets);
}

ConnectorResult make(const Config& config, const SourceConfig& source, const connectors::ConnectorContext& ctx) {
  auto settings = std::get<connectors::GoogleSheetsSettings>(source.settings);
  settings.sheets_base_url = config.google.sheets_base_url;
  settings.drive_base_url = config.google.drive_base_url;
  settings.requests_per_minute_per_user = static_cast<int>(config.google.requests_per_minute_per_user);
  settings.requests_per_minute_per_project = static_cast<int>(config.google.requests_per_minute_per_project);
  settings.id_column = source.id_column;
  return connectors::make_google_sheets_connector(std::move(settings), ctx);
}

// A pass reads the sheet once, against its identity's per-user quota and its project's (a
// service account's project_id; an OAuth client's project number, the prefix of its client
// id; an API key is its own project). Behind the change gate a sheet's values are read only
// when it changed, and at least every full_scan_interval: the plan counts the reads it can be
// sure of (changes are paced as they come).
std::optional<QuotaUse> quota_use(const Config& config, const SourceConfig& source, const KnownRowCount&) {
  const auto& g = std::get<connectors::GoogleSheetsSettings>(source.settings);
  const auto& auth = g.auth;
  std::string who, project_id;
  if (!auth.service_account_file.empty()) {
    const auto key = connectors::load_service_account_key(auth.service_account_file);
    if (!key) return std::nullopt;
    who = key->client_email;
    project_id = key->project_id.empty() ? "(unnamed) of " + key->client_email : key->project_id;
  } else if (!auth.oauth_client_id.empty()) {
    who = "the OAuth client " + auth.oauth_client_id;
    // An OAuth client id starts with its project's number: 1234567890-abc….apps.googleusercontent.com.
    project_id = auth.oauth_client_id.substr(0, auth.oauth_client_id.find('-'));
  } else if (!auth.api_key.empty()) {
    who = "API key " + secret_fingerprint(auth.api_key);
    project_id = "(unnamed) of API key " + secret_fingerprint(auth.api_key);
  } else {
    return std::nullopt;
  }
  const double user = static_cast<double>(config.google.requests_per_minute_per_user);
  const double project = static_cast<double>(config.google.requests_per_minute_per_project);
  QuotaUse use;
  use.scopes = {{"google-user:" + who, {"Google Sheets reads as " + who + " (per user)", user, "reads"}},
                {"google-project:" + project_id,
                 {"Google Sheets reads of project " + project_id + " (per project)", project, "reads"}}};
  // A new connector reads the spreadsheet's metadata (tabs, time zone) before its first
  // complete read: both count against the same read quota.
  use.first_pass_requests = 2;
  if (g.change_gate && source.full_scan_interval > source.poll_interval) {
    use.requests_per_pass =
        static_cast<double>(source.poll_interval.count()) / static_cast<double>(source.full_scan_interval.count());
  }
  return use;
}

}  // namespace google_sheets_source

const SourceKind k_google_sheets_kind{"google_sheets", google_sheets_source::k_keys, false, true, google_sheets_source::read, google_sheets_source::make, google_sheets_source::quota_use};

}  // namespace pinsync::agent

// Reads and validates one element of the `sources` list of config.yaml.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "agent/config/reader.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

// Keys every kind accepts, then the keys of each kind.
constexpr std::string_view k_source_keys[] = {
    "name",   "kind",          "path",     "url",        "id_column",     "approved", "channel_id",
    "status", "status_column", "timezone", "date_order", "poll_interval", "mapping",
    "fingerprint", "spreadsheet_id", "sheet", "range", "auth", "write_back",
    "base_id", "table", "view", "token", "full_scan_interval", "arrays",
    "max_removed_share", "recreate_deleted"};
constexpr std::string_view k_booleans[] = {"false", "true", "no", "yes"};
constexpr std::string_view k_csv_only[] = {"path", "url"};
constexpr std::string_view k_sheets_only[] = {"spreadsheet_id", "sheet", "range", "auth"};
constexpr std::string_view k_airtable_only[] = {"base_id", "table", "view", "token", "full_scan_interval", "arrays"};
constexpr std::string_view k_array_modes[] = {"join", "first"};
constexpr std::string_view k_kinds[] = {"csv", "google_sheets", "airtable"};
constexpr std::string_view k_approved_keys[] = {"column", "values", "formula"};
constexpr std::string_view k_auth_keys[] = {"service_account_file", "api_key", "oauth"};
constexpr std::string_view k_oauth_keys[] = {"client_id", "client_secret", "refresh_token", "token_uri"};
constexpr std::string_view k_write_back_keys[] = {"event_id_column", "status_column", "error_column"};
constexpr std::string_view k_mapping_keys[] = {
    "title",    "start_date",      "start_time", "start",         "end_date",
    "end_time", "end",             "timezone",   "classifications", "city",
    "location_name", "description", "ticket_url"};
constexpr std::string_view k_classification_keys[] = {"column", "separator", "map"};
constexpr std::string_view k_city_keys[] = {"column", "places"};
constexpr std::string_view k_place_keys[] = {"place_id", "country_code"};
constexpr std::string_view k_statuses[] = {"draft", "published"};
constexpr std::string_view k_date_orders[] = {"MDY", "DMY", "YMD"};
constexpr std::size_t k_max_name_length = 40;
// 1s so tests can watch several polls; real sources are polled every minute or more.
constexpr std::chrono::seconds k_min_poll_interval{1};
constexpr std::chrono::seconds k_max_poll_interval{7 * 24 * 3600};

// Returns `name` turned into something the name rule accepts, for the suggestion.
std::string slug_of(std::string_view name) {
  std::string out;
  for (const char c : text::ascii_lower(name)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > k_max_name_length) out.resize(k_max_name_length);
  return out.empty() ? "partner-1" : out;
}

std::string read_name(const ConfigReader& r, const ConfigMap& m) {
  const ConfigItem item = r.required(m, "name", "add name: a short lower-case id like acme");
  const std::string name = r.text(item);
  const std::string raw = quote_value(r.scalar(item).raw);
  const bool valid_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!valid_chars) {
    r.fail(item,
           raw + " may only contain a-z, 0-9, - and _ (it becomes part of the "
                          "idempotency keys)",
           "write e.g. name: " + slug_of(name));
  }
  if (name.size() > k_max_name_length) {
    r.fail(item, raw + " is longer than 40 characters",
           "write e.g. name: " + slug_of(name));
  }
  return name;
}

std::string read_kind(const ConfigReader& r, const ConfigItem& item) {
  const std::string kind = text::ascii_lower(r.text(item));
  for (const auto known : k_kinds) {
    if (kind == known) return kind;
  }
  std::string fix = "write kind: csv, google_sheets or airtable";
  if (const auto suggestion = did_you_mean(kind, k_kinds)) {
    fix = "did you mean \"" + std::string(*suggestion) + "\"?";
  }
  r.fail(item, "kind " + quote_value(r.scalar(item).raw) + " is not known", fix);
}

// Fails on a key that belongs to another kind of source.
void check_kind_keys(const ConfigReader& r, const ConfigMap& m, const std::string& kind) {
  const auto refuse = [&](std::span<const std::string_view> keys, std::string_view owner) {
    if (kind == owner) return;
    for (const auto key : keys) {
      if (const auto item = m.find(key)) {
        r.fail(*item, std::string(key) + " is a setting of " + std::string(owner) + " sources, not of " + kind,
               "remove it, or set kind: " + std::string(owner));
      }
    }
  };
  refuse(k_csv_only, "csv");
  refuse(k_sheets_only, "google_sheets");
  refuse(k_airtable_only, "airtable");
  if (kind == "csv") {
    if (const auto item = m.find("write_back")) {
      r.fail(*item, "a CSV file cannot take results back", "remove write_back, or use google_sheets");
    }
  }
}

GoogleAuth read_auth(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_auth_keys);
  GoogleAuth auth;
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

WriteBackConfig read_write_back(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_write_back_keys);
  WriteBackConfig wb;
  wb.event_id_column = r.optional_text(m, "event_id_column").value_or("");
  wb.status_column = r.optional_text(m, "status_column").value_or("");
  wb.error_column = r.optional_text(m, "error_column").value_or("");
  if (!wb.any()) {
    r.fail(item, "names no column", "give event_id_column:, status_column: and/or error_column:");
  }
  return wb;
}

std::chrono::seconds read_poll_interval(const ConfigReader& r, const ConfigItem& item) {
  const ConfigScalar s = r.scalar(item);
  const std::string value = text::ascii_lower(text::trim(s.value));
  const std::string fix = "write e.g. 60s, 5m or 1h (a bare number means seconds)";
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  const std::string unit(text::trim(std::string_view(end, value.data() + value.size())));
  std::int64_t factor = 0;
  if (unit.empty() || unit == "s") factor = 1;
  if (unit == "m") factor = 60;
  if (unit == "h") factor = 3600;
  if (value.empty() || ec != std::errc{} || end == value.data() || factor == 0 || n < 0) {
    r.fail(item, quote_value(s.raw) + " is not a duration", fix);
  }
  if (n > k_max_poll_interval.count()) {
    r.fail(item, quote_value(s.raw) + " is too long", "poll at least once a week (at most 168h)");
  }
  const std::chrono::seconds interval{n * factor};
  if (interval < k_min_poll_interval) {
    r.fail(item, quote_value(s.raw) + " is too short", "poll at most every second (write 1s or more)");
  }
  if (interval > k_max_poll_interval) {
    r.fail(item, quote_value(s.raw) + " is too long", "poll at least once a week (at most 168h)");
  }
  return interval;
}

ApprovalRule read_approved(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_approved_keys);
  ApprovalRule rule;
  if (const auto formula = m.find("formula")) {
    if (m.has("column")) {
      r.fail(*formula, "formula and column are both given", "keep one way to tell approved rows");
    }
    rule.formula = r.text(*formula);
    return rule;
  }
  rule.column =
      r.required_text(m, "column", "name the column that marks approved rows, e.g. column: Approved");
  if (const auto values = m.find("values")) {
    for (const auto& value : r.list(*values)) rule.values.push_back(text::ascii_lower(r.text(value)));
    if (rule.values.empty()) {
      r.fail(*values, "the list is empty", "list the cell values that mean approved, e.g. [yes, x]");
    }
  } else {
    rule.values = {"yes", "y", "true", "x", "approved", "1"};
  }
  return rule;
}

ClassificationMapping read_classifications(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_classification_keys);
  ClassificationMapping c;
  c.column = r.required_text(m, "column", "name the category column, e.g. column: Category");
  if (const auto separator = m.find("separator")) {
    // Not trimmed: " " or ", " are legitimate separators.
    c.separator = r.scalar(*separator).value;
    if (c.separator.empty()) r.fail(*separator, "is empty", "write e.g. separator: \",\"");
  }
  if (const auto labels = m.find("map")) {
    const ConfigMap map = r.map(*labels);
    std::map<std::string, std::string> seen;  // lower-cased label -> label as written
    for (const auto& [label, value] : map.entries()) {
      if (text::trim(label).empty()) r.fail(value, "a label is empty", "write Label: slug");
      const auto [it, inserted] = seen.emplace(text::ascii_lower(text::trim(label)), label);
      if (!inserted) {
        r.fail(value, quote_value(label) + " and " + quote_value(it->second) + " differ only in case",
               "labels are matched ignoring case: keep one of them");
      }
      c.map[std::string(text::trim(label))] = r.text(value);
    }
  }
  return c;
}

CityMapping read_city(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_city_keys);
  CityMapping city;
  city.column = r.required_text(m, "column", "name the city column, e.g. column: City");
  const ConfigItem places_item = r.required(
      m, "places", "list each city with its place, e.g. places: {New York: {place_id: …}}");
  const ConfigMap places = r.map(places_item);
  if (places.entries().empty()) {
    r.fail(places_item, "no cities listed", "add at least one city with its place_id");
  }
  for (const auto& [name, place_item] : places.entries()) {
    const ConfigMap p = r.map(place_item, k_place_keys);
    Place place;
    place.place_id =
        r.required_text(p, "place_id", "add place_id: the Pinned Events place id of this city");
    if (const auto code_item = p.find("country_code")) {
      std::string code = r.text(*code_item);
      const bool letters = code.size() == 2 && std::all_of(code.begin(), code.end(), [](char c) {
                             return std::isalpha(static_cast<unsigned char>(c)) != 0;
                           });
      if (!letters) {
        r.fail(*code_item, quote_value(code) + " is not a two-letter country code",
               "write the ISO 3166 code, e.g. US or ES");
      }
      for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      place.country_code = code;
    }
    city.places[std::string(text::trim(name))] = std::move(place);
  }
  return city;
}

Mapping read_mapping(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_mapping_keys);
  Mapping mapping;
  const auto column = [&](std::string_view key) { return r.optional_text(m, key).value_or(""); };
  mapping.title = r.required_text(m, "title", "name the title column, e.g. title: Title");
  mapping.start_date = column("start_date");
  mapping.start_time = column("start_time");
  mapping.start = column("start");
  mapping.end_date = column("end_date");
  mapping.end_time = column("end_time");
  mapping.end = column("end");
  mapping.timezone = column("timezone");
  mapping.location_name = column("location_name");
  mapping.description = column("description");
  mapping.ticket_url = column("ticket_url");

  if (mapping.start.empty() && mapping.start_date.empty()) {
    r.missing(m, "start_date",
              "name the date column (start_date: Date, with start_time: Start) or one "
              "date-time column (start: \"Starts at\")");
  }
  if (!mapping.start.empty() && !mapping.start_date.empty()) {
    r.fail(*m.find("start"), "start and start_date are both given",
           "use start for one date-time column, or start_date (with start_time), not both");
  }
  if (!mapping.start.empty() && !mapping.start_time.empty()) {
    r.fail(*m.find("start_time"), "start_time goes with start_date, but start is given",
           "remove start_time, or use start_date + start_time instead of start");
  }
  if (!mapping.end.empty() && (!mapping.end_date.empty() || !mapping.end_time.empty())) {
    r.fail(*m.find("end"), "end and end_date/end_time are both given",
           "use end for one date-time column, or end_date/end_time, not both");
  }
  mapping.classifications = read_classifications(
      r, r.required(m, "classifications",
                    "add classifications: {column: Category, map: {Jazz: music}}"));
  mapping.city = read_city(
      r, r.required(m, "city", "add city: {column: City, places: {…}} (see config.example.yaml)"));
  return mapping;
}

}  // namespace

SourceConfig read_source(const ConfigReader& r, const ConfigItem& item) {
  SourceConfig source;
  source.line = item.line;
  constexpr std::string_view k_user_data[] = {"map", "places"};
  r.check_no_literal_secrets(item, k_user_data);
  const ConfigMap m = r.map(item);
  if (const auto kind = m.find("kind")) source.kind = read_kind(r, *kind);
  r.check_keys(m, k_source_keys);
  source.name = read_name(r, m);
  if (source.kind.empty()) r.missing(m, "kind", "add kind: csv");

  check_kind_keys(r, m, source.kind);
  if (source.kind == "csv") {
    const auto path = m.find("path");
    const auto url = m.find("url");
    if (path && url) {
      r.fail(*url, "path and url are both given",
             "keep exactly one: path for a file on this machine, url for a published CSV link");
    }
    if (!path && !url) {
      r.missing(m, "path",
                "give path: partner.csv (a file, relative to this config file) or url: "
                "https://… (a published CSV link)");
    }
    if (path) source.path = r.path(*path);
    if (url) source.url = r.url(*url);
  } else if (source.kind == "google_sheets") {
    source.spreadsheet_id = r.required_text(
        m, "spreadsheet_id", "add spreadsheet_id: the long id in the sheet's URL (…/d/ID/edit)");
    const auto sheet = m.find("sheet");
    const auto range = m.find("range");
    if (sheet && range) r.fail(*range, "sheet and range are both given", "keep one of them");
    if (sheet) source.sheet = r.text(*sheet);
    if (range) source.range = r.text(*range);
    if (!sheet && !range) r.missing(m, "sheet", "name the tab, e.g. sheet: Partner Events");
    source.auth = read_auth(r, r.required(m, "auth", "add auth: {service_account_file: /etc/pinsync/sa.json}"));
  } else {
    source.base_id = r.required_text(m, "base_id", "add base_id: the app… id in the base's URL");
    source.table = r.required_text(m, "table", "add table: the table's name or tbl… id");
    source.view = r.optional_text(m, "view").value_or("");
    source.token = r.secret(r.required(m, "token", "add token: ${AIRTABLE_TOKEN}"), "AIRTABLE_TOKEN");
    if (const auto interval = m.find("full_scan_interval")) {
      source.full_scan_interval = read_poll_interval(r, *interval);
    }
    if (const auto arrays = m.find("arrays")) source.arrays_first = r.choice(*arrays, k_array_modes) == 1;
  }
  if (const auto wb = m.find("write_back")) source.write_back = read_write_back(r, *wb);
  if (const auto fp = m.find("fingerprint")) {
    for (const auto& column : r.list(*fp)) source.fingerprint.push_back(r.text(column));
    if (source.fingerprint.empty()) r.fail(*fp, "the list is empty", "list the columns, e.g. [Title, Date, Venue]");
  }

  if (source.kind == "airtable") {
    source.id_column = r.optional_text(m, "id_column").value_or("");
  } else if (source.fingerprint.empty()) {
    source.id_column = r.required_text(
        m, "id_column",
        "name the column holding each row's stable id, e.g. id_column: Event ID (or list key "
        "columns with fingerprint: [Title, Date, Venue])");
  } else {
    source.id_column = r.optional_text(m, "id_column").value_or("");
  }
  if (const auto approved = m.find("approved")) {
    source.approved = read_approved(r, *approved);
    if (!source.approved.formula.empty() && source.kind != "airtable") {
      r.fail(*approved, "formula only works for airtable sources", "use column: and values:");
    }
  } else {
    // `approved:` left empty would silently approve every row: refuse it, and only a
    // source without the key at all counts every row as approved.
    for (const auto& [key, given] : m.entries()) {
      if (key == "approved") {
        r.fail(given, "has no value",
               "give column: (and values:) indented under it, or remove approved: to treat "
               "every row as approved");
      }
    }
  }
  source.channel_id = r.integer(
      r.required(m, "channel_id", "add channel_id: the Pinned Events channel to publish into"), 1,
      std::numeric_limits<std::int64_t>::max(), "");

  const auto status = m.find("status");
  const auto status_column = m.find("status_column");
  if (status && status_column) {
    r.fail(*status_column, "status and status_column are both given",
           "use status for one status for all rows, or status_column to read it per row");
  }
  if (status) {
    source.status = r.choice(*status, k_statuses) == 0 ? EventStatus::draft : EventStatus::published;
  }
  if (status_column) source.status_column = r.text(*status_column);

  if (const auto order = m.find("date_order")) {
    constexpr DateOrder k_orders[] = {DateOrder::MDY, DateOrder::DMY, DateOrder::YMD};
    source.date_order = k_orders[r.choice(*order, k_date_orders)];
  }
  if (const auto interval = m.find("poll_interval")) {
    source.poll_interval = read_poll_interval(r, *interval);
  }
  if (const auto zone = m.find("timezone")) source.timezone = r.timezone(*zone);
  if (const auto share = m.find("max_removed_share")) source.max_removed_share = r.number(*share, 0, 1);
  if (const auto recreate = m.find("recreate_deleted")) {
    source.recreate_deleted = r.choice(*recreate, k_booleans) % 2 == 1;
  }

  source.mapping = read_mapping(
      r, r.required(m, "mapping", "add mapping: with at least title, start_date, "
                                  "classifications and city (see config.example.yaml)"));
  // A Google sheet carries its own time zone, the default when none is configured.
  if (source.kind != "google_sheets" && source.timezone.empty() && source.mapping.timezone.empty()) {
    r.missing(m, "timezone",
              "give the zone of the events, e.g. timezone: America/New_York, or map a "
              "time-zone column with mapping.timezone");
  }
  return source;
}

}  // namespace pinsync::agent

// Reads and validates one element of the `sources` list of config.yaml.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "agent/config_reader.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_source_keys[] = {
    "name",   "kind",          "path",     "url",        "id_column",     "approved", "channel_id",
    "status", "status_column", "timezone", "date_order", "poll_interval", "mapping"};
constexpr std::string_view k_kinds[] = {"csv", "google_sheets", "airtable"};
constexpr std::string_view k_approved_keys[] = {"column", "values"};
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
constexpr std::chrono::seconds k_min_poll_interval{10};
constexpr std::chrono::seconds k_max_poll_interval{7 * 24 * 3600};

// Returns `name` turned into something the name rule accepts, for the suggestion.
std::string slug_of(std::string_view name) {
  std::string out;
  for (const char c : to_lower(name)) {
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

// Reads the kind before the other keys are checked, so that a google_sheets source says
// "not available" instead of complaining about its sheet-specific keys.
std::string read_kind(const ConfigReader& r, const ConfigItem& item) {
  const std::string kind = to_lower(r.text(item));
  if (kind == "csv") return kind;
  if (kind == "google_sheets") {
    r.fail(item, "kind google_sheets is not available in this version of pinsync",
           "publish the sheet as CSV (File → Share → Publish to web → CSV) and use kind: csv "
           "with url: <the published link>");
  }
  if (kind == "airtable") {
    r.fail(item, "kind airtable is not available in this version of pinsync",
           "export the table as CSV and use kind: csv with path: <the exported file>");
  }
  std::string fix = "write kind: csv";
  if (const auto suggestion = did_you_mean(kind, k_kinds); suggestion && *suggestion == "csv") {
    fix = "did you mean \"csv\"?";
  }
  r.fail(item, "kind " + quote_value(r.scalar(item).raw) + " is not known", fix);
}

std::chrono::seconds read_poll_interval(const ConfigReader& r, const ConfigItem& item) {
  const ConfigScalar s = r.scalar(item);
  const std::string value = to_lower(trim(s.value));
  const std::string fix = "write e.g. 60s, 5m or 1h (a bare number means seconds)";
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  const std::string unit = trim(std::string_view(end, value.data() + value.size()));
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
    r.fail(item, quote_value(s.raw) + " is too short", "poll at most every 10s (write 10s or more)");
  }
  if (interval > k_max_poll_interval) {
    r.fail(item, quote_value(s.raw) + " is too long", "poll at least once a week (at most 168h)");
  }
  return interval;
}

ApprovalRule read_approved(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_approved_keys);
  ApprovalRule rule;
  rule.column =
      r.required_text(m, "column", "name the column that marks approved rows, e.g. column: Approved");
  if (const auto values = m.find("values")) {
    for (const auto& value : r.list(*values)) rule.values.push_back(to_lower(r.text(value)));
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
      if (trim(label).empty()) r.fail(value, "a label is empty", "write Label: slug");
      const auto [it, inserted] = seen.emplace(to_lower(trim(label)), label);
      if (!inserted) {
        r.fail(value, quote_value(label) + " and " + quote_value(it->second) + " differ only in case",
               "labels are matched ignoring case: keep one of them");
      }
      c.map[trim(label)] = r.text(value);
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
    city.places[trim(name)] = std::move(place);
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

  source.id_column = r.required_text(
      m, "id_column", "name the column holding each row's stable id, e.g. id_column: Event ID");
  if (const auto approved = m.find("approved")) {
    source.approved = read_approved(r, *approved);
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

  source.mapping = read_mapping(
      r, r.required(m, "mapping", "add mapping: with at least title, start_date, "
                                  "classifications and city (see config.example.yaml)"));
  if (source.timezone.empty() && source.mapping.timezone.empty()) {
    r.missing(m, "timezone",
              "give the zone of the events, e.g. timezone: America/New_York, or map a "
              "time-zone column with mapping.timezone");
  }
  return source;
}

}  // namespace pinsync::agent

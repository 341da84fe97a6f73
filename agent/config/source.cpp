// Reads and validates one element of the `sources` list of config.yaml.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "agent/config/reader.h"
#include "agent/config/sources/kind.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

// Keys every kind accepts; each kind adds its own (config/sources/<kind>.cpp).
constexpr std::string_view k_common_keys[] = {
    "name",        "kind",   "id_column",       "approved",          "channel_id",       "status",
    "status_column", "timezone", "date_order",  "poll_interval",     "mapping",          "fingerprint",
    "max_removed_share", "recreate_deleted", "on_removed"};
constexpr std::string_view k_booleans[] = {"false", "true", "no", "yes"};
constexpr std::string_view k_approved_keys[] = {"column", "values", "formula"};
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

const SourceKind& read_kind(const ConfigReader& r, const ConfigItem& item) {
  const std::string kind = text::ascii_lower(r.text(item));
  if (const auto* known = find_source_kind(kind)) return *known;
  std::vector<std::string_view> names;
  std::string list;
  for (const auto* k : source_kinds()) {
    names.push_back(k->name);
    list += (list.empty() ? "" : ", ") + std::string(k->name);
  }
  std::string fix = "write kind: " + list;
  if (const auto suggestion = did_you_mean(kind, names)) fix = "did you mean \"" + std::string(*suggestion) + "\"?";
  r.fail(item, "kind " + quote_value(r.scalar(item).raw) + " is not known", fix);
}

// The keys a source of `kind` takes: the common ones and its own.
std::vector<std::string_view> keys_of(const SourceKind& kind) {
  std::vector<std::string_view> keys(std::begin(k_common_keys), std::end(k_common_keys));
  keys.insert(keys.end(), kind.keys.begin(), kind.keys.end());
  return keys;
}

// Fails on a key that belongs to other kinds of source, naming them.
void check_kind_keys(const ConfigReader& r, const ConfigMap& m, const SourceKind& kind) {
  for (const auto& [key, item] : m.entries()) {
    if (std::ranges::find(kind.keys, key) != kind.keys.end()) continue;
    std::string owners;
    for (const auto* other : source_kinds()) {
      if (std::ranges::find(other->keys, key) != other->keys.end()) {
        owners += (owners.empty() ? "" : " and ") + std::string(other->name);
      }
    }
    if (owners.empty()) continue;  // a common key, or one check_keys reports
    r.fail(item, key + " is a setting of " + owners + " sources, not of " + std::string(kind.name),
           "remove it, or set kind: " + owners.substr(0, owners.find(' ')));
  }
}

}  // namespace

std::chrono::seconds read_interval(const ConfigReader& r, const ConfigItem& item) {
  const ConfigScalar s = r.scalar(item);
  if (s.unset) return std::chrono::seconds(60);  // a placeholder (ConfigReader::defer_unset)
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

connectors::WriteBackColumns read_write_back(const ConfigReader& r, const ConfigItem& item) {
  constexpr std::string_view k_write_back_keys[] = {"event_id_column", "status_column", "error_column"};
  const ConfigMap m = r.map(item, k_write_back_keys);
  connectors::WriteBackColumns wb;
  wb.event_id_column = r.optional_text(m, "event_id_column").value_or("");
  wb.status_column = r.optional_text(m, "status_column").value_or("");
  wb.error_column = r.optional_text(m, "error_column").value_or("");
  if (!wb.any()) {
    r.fail(item, "names no column", "give event_id_column:, status_column: and/or error_column:");
  }
  return wb;
}

namespace {

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
  const SourceKind* kind = nullptr;
  if (const auto given = m.find("kind")) {
    kind = &read_kind(r, *given);
    check_kind_keys(r, m, *kind);
    r.check_keys(m, keys_of(*kind));
  }
  source.name = read_name(r, m);
  if (kind == nullptr) r.missing(m, "kind", "add kind: csv");
  kind->read(r, m, source);
  if (const auto fp = m.find("fingerprint")) {
    for (const auto& column : r.list(*fp)) source.fingerprint.push_back(r.text(column));
    if (source.fingerprint.empty()) r.fail(*fp, "the list is empty", "list the columns, e.g. [Title, Date, Venue]");
  }

  if (kind->native_ids) {
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
    if (!source.approved.formula.empty() && kind->name != "airtable") {
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
    source.poll_interval = read_interval(r, *interval);
  }
  if (const auto zone = m.find("timezone")) source.timezone = r.timezone(*zone);
  if (const auto share = m.find("max_removed_share")) source.max_removed_share = r.number(*share, 0, 1);
  if (const auto recreate = m.find("recreate_deleted")) {
    source.recreate_deleted = r.choice(*recreate, k_booleans) % 2 == 1;
  }
  if (const auto removed = m.find("on_removed")) {
    constexpr std::string_view k_on_removed[] = {"keep", "draft"};
    source.on_removed = r.choice(*removed, k_on_removed) == 0 ? OnRemoved::keep : OnRemoved::draft;
  }

  source.mapping = read_mapping(
      r, r.required(m, "mapping", "add mapping: with at least title, start_date, "
                                  "classifications and city (see config.example.yaml)"));
  // A Google sheet carries its own time zone, the default when none is configured.
  if (!kind->own_time_zone && source.timezone.empty() && source.mapping.timezone.empty()) {
    r.missing(m, "timezone",
              "give the zone of the events, e.g. timezone: America/New_York, or map a "
              "time-zone column with mapping.timezone");
  }
  return source;
}

}  // namespace pinsync::agent

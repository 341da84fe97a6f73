#include "agent/mapping/source.h"

#include "agent/mapping/cells.h"
#include "core/text.h"

namespace pinsync::agent {

using text::ascii_lower;

namespace {

const std::string& configured_name(const SourceConfig& s, Slot slot) {
  const Mapping& m = s.mapping;
  switch (slot) {
    case Slot::id: return s.id_column;
    case Slot::title: return m.title;
    case Slot::start_date: return m.start_date;
    case Slot::start_time: return m.start_time;
    case Slot::start: return m.start;
    case Slot::end_date: return m.end_date;
    case Slot::end_time: return m.end_time;
    case Slot::end: return m.end;
    case Slot::timezone: return m.timezone;
    case Slot::classifications: return m.classifications.column;
    case Slot::city: return m.city.column;
    case Slot::location: return m.location_name;
    case Slot::description: return m.description;
    case Slot::ticket_url: return m.ticket_url;
    case Slot::status: return s.status_column;
    case Slot::approved: return s.approved.column;
    case Slot::count: break;
  }
  PINSYNC_ASSERT(false);
  return s.name;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += '"' + name + '"';
  }
  return out.empty() ? "(no columns)" : out;
}

}  // namespace

std::string_view payload_field(Slot slot) {
  switch (slot) {
    case Slot::id: return "source_id";
    case Slot::title: return "title";
    case Slot::start_date:
    case Slot::start_time:
    case Slot::start: return "startAt";
    case Slot::end_date:
    case Slot::end_time:
    case Slot::end: return "endAt";
    case Slot::timezone: return "timezone";
    case Slot::classifications: return "classifications";
    case Slot::city: return "approxLocation";
    case Slot::location: return "locationName";
    case Slot::description: return "description";
    case Slot::ticket_url: return "offers";
    case Slot::status: return "status";
    case Slot::approved: return "approved";
    case Slot::count: break;
  }
  return "row";
}

std::string_view config_key(Slot slot) {
  switch (slot) {
    case Slot::id: return "id_column";
    case Slot::title: return "mapping.title";
    case Slot::start_date: return "mapping.start_date";
    case Slot::start_time: return "mapping.start_time";
    case Slot::start: return "mapping.start";
    case Slot::end_date: return "mapping.end_date";
    case Slot::end_time: return "mapping.end_time";
    case Slot::end: return "mapping.end";
    case Slot::timezone: return "mapping.timezone";
    case Slot::classifications: return "mapping.classifications.column";
    case Slot::city: return "mapping.city.column";
    case Slot::location: return "mapping.location_name";
    case Slot::description: return "mapping.description";
    case Slot::ticket_url: return "mapping.ticket_url";
    case Slot::status: return "status_column";
    case Slot::approved: return "approved.column";
    case Slot::count: break;
  }
  return "mapping";
}

Result<ZoneClock>& SourcePlan::zone(std::string_view name) const {
  if (auto it = zones.find(name); it != zones.end()) return it->second;
  auto found = find_zone(name);
  Result<ZoneClock> clock = found ? Result<ZoneClock>(ZoneClock(**found)) : std::unexpected(found.error());
  return zones.emplace(std::string(name), std::move(clock)).first->second;
}

Result<SourcePlan> prepare_source(const SourceConfig& source, const connectors::Table& table,
                                  const KnownSlugs& known_slugs) {
  const auto config_error = [&](std::string message) {
    return fail(ErrorKind::config, source.name + ": " + std::move(message));
  };
  const Mapping& m = source.mapping;
  if (trim_cell(m.title).empty()) return config_error("mapping.title is not set: every event needs a title column");
  if (trim_cell(m.start).empty() && trim_cell(m.start_date).empty())
    return config_error("neither mapping.start nor mapping.start_date is set: every event needs a start");
  if (trim_cell(m.classifications.column).empty())
    return config_error("mapping.classifications.column is not set: every event needs a classification");
  if (trim_cell(m.city.column).empty() && m.city.places.size() != 1)
    return config_error("mapping.city.column is not set: every event needs a city (or list exactly one place)");
  SourcePlan plan;
  plan.source = &source;
  plan.known_slugs = &known_slugs;
  plan.default_zone = std::string(trim_cell(source.timezone).empty() ? trim_cell(table.time_zone)
                                                                      : trim_cell(source.timezone));
  if (plan.default_zone.empty() && trim_cell(m.timezone).empty())
    return config_error("timezone is not set: name the source's IANA zone, e.g. timezone: America/New_York");
  if (!plan.default_zone.empty()) {
    if (auto zone = plan.zone(plan.default_zone); !zone) return config_error("timezone: " + zone.error().message);
  }

  std::vector<std::string> missing;
  for (std::size_t i = 0; i < k_slot_count; ++i) {
    const auto slot = static_cast<Slot>(i);
    const std::string& name = configured_name(source, slot);
    if (trim_cell(name).empty()) continue;
    plan.columns[i].name = std::string(trim_cell(name));
    plan.columns[i].index = find_column(table.columns, name);
    if (!plan.columns[i].index)
      missing.push_back('"' + plan.columns[i].name + "\" (" + std::string(config_key(slot)) + ")");
  }
  // Not a mapped column: a source without it still maps (write-back reports it missing).
  if (const auto* wb = source.write_back(); wb != nullptr && !trim_cell(wb->event_id_column).empty()) {
    plan.written_event_id = find_column(table.columns, wb->event_id_column);
  }
  for (const auto& name : source.fingerprint) {
    if (const auto index = find_column(table.columns, name)) {
      plan.fingerprint.push_back(*index);
    } else {
      missing.push_back('"' + std::string(trim_cell(name)) + "\" (fingerprint)");
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& entry : missing) list += (list.empty() ? "" : ", ") + entry;
    return config_error(std::string(missing.size() == 1 ? "column " : "columns ") + list +
                        (missing.size() == 1 ? " is" : " are") + " not in the header; the header has " +
                        quoted_list(table.columns) + ": fix the mapping or the header row");
  }

  for (const auto& value : source.approved.values) plan.approved_values.push_back(ascii_lower(trim_cell(value)));
  if (plan.approved_values.empty()) plan.approved_values = {"yes", "y", "true", "x", "approved", "1"};
  for (const auto& [label, slug] : m.classifications.map)
    plan.label_to_slug.emplace(ascii_lower(trim_cell(label)), slug);
  plan.separator = m.classifications.separator.empty() ? "," : m.classifications.separator;
  for (const auto& [name, place] : m.city.places) {
    plan.cities.emplace(ascii_lower(trim_cell(name)), CityEntry{&name, &place});
    plan.known_city_names += (plan.known_city_names.empty() ? "" : ", ") + name;
  }
  if (plan.known_city_names.empty()) plan.known_city_names = "(none: add mapping.city.places)";
  if (trim_cell(m.city.column).empty()) {
    const auto& [name, place] = *m.city.places.begin();
    plan.only_city = CityEntry{&name, &place};
  }
  return plan;
}

}  // namespace pinsync::agent

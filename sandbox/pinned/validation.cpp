#include "sandbox/pinned/validation.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include <date/date.h>
#include <date/tz.h>
#include <Poco/JSON/Array.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

using Obj = Poco::JSON::Object;

bool present(const Obj& o, const std::string& name) {
  return o.has(name) && json_type(o.get(name)) != JsonType::null;
}

std::unexpected<FieldIssue> issue(std::string field, std::string text) {
  return std::unexpected(FieldIssue{std::move(field), std::move(text)});
}

bool all_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// Reads a required non-blank string.
std::expected<std::string, FieldIssue> required_string(const Obj& o, const std::string& name,
                                                       const std::string& path) {
  if (!present(o, name)) return issue(path, "is required");
  const auto& v = o.get(name);
  if (json_type(v) != JsonType::string) return issue(path, "must be a string");
  std::string s = v.extract<std::string>();
  if (all_blank(s)) return issue(path, "must not be empty");
  return s;
}

// Reads an optional string; absent and null both mean "not given".
std::expected<std::optional<std::string>, FieldIssue> optional_string(const Obj& o, const std::string& name,
                                                                      const std::string& path) {
  if (!present(o, name)) return std::optional<std::string>();
  const auto& v = o.get(name);
  if (json_type(v) != JsonType::string) return issue(path, "must be a string");
  return std::optional<std::string>(v.extract<std::string>());
}

bool known_slug(std::string_view slug) {
  const auto& all = classifications();
  return std::any_of(all.begin(), all.end(), [&](const Classification& c) { return c.slug == slug; });
}

bool known_time_zone(const std::string& name) {
  // Only IANA-shaped names reach the tz database: it reads files below /usr/share/zoneinfo.
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;  // locate_zone throws std::runtime_error for unknown names
  }
}

std::expected<City, FieldIssue> read_city(const Obj& body) {
  if (!present(body, "approxLocation")) return issue("approxLocation", "is required");
  const auto& loc_var = body.get("approxLocation");
  if (json_type(loc_var) != JsonType::object) return issue("approxLocation", "must be an object");
  const Obj& loc = *loc_var.extract<Obj::Ptr>();
  if (!present(loc, "city")) return issue("approxLocation.city", "is required");
  const auto& city_var = loc.get("city");
  if (json_type(city_var) != JsonType::object) return issue("approxLocation.city", "must be an object");
  const Obj& city_obj = *city_var.extract<Obj::Ptr>();
  City city;
  auto place = required_string(city_obj, "placeId", "approxLocation.city.placeId");
  if (!place) return std::unexpected(place.error());
  city.place_id = *place;
  auto name = optional_string(city_obj, "name", "approxLocation.city.name");
  if (!name) return std::unexpected(name.error());
  city.name = *name;
  auto country = optional_string(city_obj, "countryCode", "approxLocation.city.countryCode");
  if (!country) return std::unexpected(country.error());
  city.country_code = *country;
  return city;
}

std::expected<std::optional<std::vector<Offer>>, FieldIssue> read_offers(const Obj& body) {
  if (!present(body, "offers")) return std::optional<std::vector<Offer>>();
  const auto& var = body.get("offers");
  if (json_type(var) != JsonType::array) return issue("offers", "must be an array");
  const auto& arr = var.extract<Poco::JSON::Array::Ptr>();
  std::vector<Offer> offers;
  for (unsigned i = 0; i < arr->size(); ++i) {
    std::string path = "offers[" + std::to_string(i) + "]";
    const auto& item = arr->get(i);
    if (json_type(item) != JsonType::object) return issue(path, "must be an object");
    const Obj& o = *item.extract<Obj::Ptr>();
    Offer offer;
    auto url = required_string(o, "url", path + ".url");
    if (!url) return std::unexpected(url.error());
    offer.url = *url;
    auto name = optional_string(o, "name", path + ".name");
    if (!name) return std::unexpected(name.error());
    offer.name = *name;
    auto availability = optional_string(o, "availability", path + ".availability");
    if (!availability) return std::unexpected(availability.error());
    offer.availability = *availability;
    offers.push_back(std::move(offer));
  }
  return std::optional<std::vector<Offer>>(std::move(offers));
}

int digits(std::string_view s, std::size_t pos, std::size_t count) {
  if (pos + count > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

}  // namespace

const std::vector<Classification>& classifications() {
  static const std::vector<Classification> list = {
      {"music", "Music"},           {"comedy", "Comedy"},
      {"theatre", "Theatre"},       {"nightlife", "Nightlife"},
      {"film", "Film"},             {"arts", "Arts"},
      {"food-drink", "Food & Drink"}, {"sports", "Sports"},
      {"community", "Community"},   {"family", "Family"},
      {"workshops", "Workshops"},   {"talks", "Talks"},
      {"festivals", "Festivals"},   {"markets", "Markets"},
      {"wellness", "Wellness"},     {"dance", "Dance"},
      {"literature", "Literature"}, {"tours", "Tours"},
  };
  return list;
}

std::expected<std::int64_t, std::string> parse_offset_date_time(std::string_view s) {
  const std::string shape = "must be an ISO-8601 date-time with a UTC offset, e.g. 2026-06-12T20:00:00-04:00";
  int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || s.size() < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T') {
    return std::unexpected(shape);
  }
  int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = 0;
  if (h < 0 || mi < 0 || s[13] != ':') return std::unexpected(shape);
  std::size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    sec = digits(s, pos + 1, 2);
    if (sec < 0) return std::unexpected(shape);
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      std::size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start || pos - start > 9) return std::unexpected(shape);
    }
  }
  int offset_minutes = 0;
  if (pos == s.size()) return std::unexpected("has no UTC offset; add Z or ±HH:MM, e.g. 2026-06-12T20:00:00-04:00");
  if (s[pos] == 'Z' && pos + 1 == s.size()) {
    offset_minutes = 0;
  } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
    int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::unexpected("has an impossible UTC offset");
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
  } else {
    return std::unexpected(shape);
  }
  if (h > 23 || mi > 59 || sec > 59) return std::unexpected("has an impossible time of day");
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::unexpected("is not a real calendar date");
  std::int64_t days = date::sys_days(ymd).time_since_epoch().count();
  std::int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return seconds * 1000;
}

std::expected<EventFields, FieldIssue> validate_event(const Obj& body) {
  EventFields f;

  if (!present(body, "channelId")) return issue("channelId", "is required");
  if (!as_number(body.get("channelId"))) return issue("channelId", "must be a number");
  auto channel = as_integer(body.get("channelId"));
  if (!channel || *channel <= 0) return issue("channelId", "must be a positive integer channel id");
  f.channel_id = *channel;

  auto title = required_string(body, "title", "title");
  if (!title) return std::unexpected(title.error());
  f.title = *title;

  auto start = required_string(body, "startAt", "startAt");
  if (!start) return std::unexpected(start.error());
  auto start_ms = parse_offset_date_time(*start);
  if (!start_ms) return issue("startAt", start_ms.error());
  f.start_at = *start;

  auto end = optional_string(body, "endAt", "endAt");
  if (!end) return std::unexpected(end.error());
  if (*end) {
    auto end_ms = parse_offset_date_time(**end);
    if (!end_ms) return issue("endAt", end_ms.error());
    if (*end_ms <= *start_ms) return issue("endAt", "must be after startAt");
    f.end_at = *end;
  }

  auto tz = required_string(body, "timezone", "timezone");
  if (!tz) return std::unexpected(tz.error());
  if (!known_time_zone(*tz)) {
    return issue("timezone", "\"" + *tz + "\" is not an IANA time zone name, e.g. America/New_York");
  }
  f.timezone = *tz;

  if (!present(body, "classifications")) return issue("classifications", "is required");
  const auto& cls = body.get("classifications");
  if (json_type(cls) != JsonType::array) return issue("classifications", "must be an array of slugs");
  const auto& arr = cls.extract<Poco::JSON::Array::Ptr>();
  if (arr->size() == 0) return issue("classifications", "must contain at least one slug");
  for (unsigned i = 0; i < arr->size(); ++i) {
    std::string path = "classifications[" + std::to_string(i) + "]";
    const auto& v = arr->get(i);
    if (json_type(v) != JsonType::string) return issue(path, "must be a string");
    std::string slug = v.extract<std::string>();
    if (!known_slug(slug)) {
      return issue(path, "\"" + slug + "\" is not a public classification slug (see GET /classifications)");
    }
    f.classifications.push_back(std::move(slug));
  }

  auto city = read_city(body);
  if (!city) return std::unexpected(city.error());
  f.city = std::move(*city);

  auto status = optional_string(body, "status", "status");
  if (!status) return std::unexpected(status.error());
  if (*status) {
    if (**status != "draft" && **status != "published") return issue("status", "must be draft or published");
    f.status = **status;
  }

  auto location = optional_string(body, "locationName", "locationName");
  if (!location) return std::unexpected(location.error());
  f.location_name = *location;

  auto description = optional_string(body, "description", "description");
  if (!description) return std::unexpected(description.error());
  f.description = *description;

  auto offers = read_offers(body);
  if (!offers) return std::unexpected(offers.error());
  f.offers = std::move(*offers);

  if (present(body, "coverImage")) {
    if (!as_number(body.get("coverImage"))) return issue("coverImage", "must be a number (a media id)");
    auto id = as_integer(body.get("coverImage"));
    if (!id || *id <= 0) return issue("coverImage", "must be a positive integer media id");
    f.cover_image = *id;
  }
  return f;
}

Poco::JSON::Object::Ptr to_json_object(const EventFields& f) {
  Obj::Ptr o = new Obj;
  o->set("channelId", static_cast<Poco::Int64>(f.channel_id));
  o->set("title", f.title);
  o->set("startAt", f.start_at);
  if (f.end_at) o->set("endAt", *f.end_at);
  o->set("timezone", f.timezone);
  Poco::JSON::Array::Ptr cls = new Poco::JSON::Array;
  for (const auto& slug : f.classifications) cls->add(slug);
  o->set("classifications", cls);
  Obj::Ptr city = new Obj;
  city->set("placeId", f.city.place_id);
  if (f.city.name) city->set("name", *f.city.name);
  if (f.city.country_code) city->set("countryCode", *f.city.country_code);
  Obj::Ptr loc = new Obj;
  loc->set("city", city);
  o->set("approxLocation", loc);
  o->set("status", f.status);
  if (f.location_name) o->set("locationName", *f.location_name);
  if (f.description) o->set("description", *f.description);
  if (f.offers) {
    Poco::JSON::Array::Ptr offers = new Poco::JSON::Array;
    for (const auto& offer : *f.offers) {
      Obj::Ptr item = new Obj;
      item->set("url", offer.url);
      if (offer.name) item->set("name", *offer.name);
      if (offer.availability) item->set("availability", *offer.availability);
      offers->add(item);
    }
    o->set("offers", offers);
  }
  if (f.cover_image) o->set("coverImage", static_cast<Poco::Int64>(*f.cover_image));
  return o;
}

void merge_patch(Obj& target, const Obj& patch) {
  for (const std::string& name : patch.getNames()) {
    const auto& value = patch.get(name);
    if (json_type(value) == JsonType::null) {
      target.remove(name);
    } else if (json_type(value) == JsonType::object && target.has(name) &&
               json_type(target.get(name)) == JsonType::object) {
      // Merge into a copy: the stored object may be shared with another request's view.
      Obj::Ptr merged = new Obj(*target.get(name).extract<Obj::Ptr>());
      merge_patch(*merged, *value.extract<Obj::Ptr>());
      target.set(name, merged);
    } else {
      target.set(name, value);
    }
  }
}

void write_fields(JsonOut& out, const EventFields& f) {
  out.key("channelId").value(f.channel_id);
  out.key("title").value(f.title);
  out.key("startAt").value(f.start_at);
  out.key("endAt").value_or_null(f.end_at);
  out.key("timezone").value(f.timezone);
  out.key("classifications").begin_array();
  for (const auto& slug : f.classifications) out.value(slug);
  out.end_array();
  out.key("approxLocation").begin_object().key("city").begin_object();
  out.key("placeId").value(f.city.place_id);
  out.key("name").value_or_null(f.city.name);
  out.key("countryCode").value_or_null(f.city.country_code);
  out.end_object().end_object();
  out.key("status").value(f.status);
  out.key("locationName").value_or_null(f.location_name);
  out.key("description").value_or_null(f.description);
  out.key("offers").begin_array();
  if (f.offers) {
    for (const auto& offer : *f.offers) {
      out.begin_object().key("name").value_or_null(offer.name).key("url").value(offer.url);
      out.key("availability").value_or_null(offer.availability).end_object();
    }
  }
  out.end_array();
  out.key("coverImage");
  if (f.cover_image) {
    out.value(*f.cover_image);
  } else {
    out.null();
  }
}

}  // namespace pinsync_sandbox

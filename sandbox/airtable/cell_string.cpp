// cellFormat=string: cells as user-facing strings in the caller's time zone and locale (see
// cell_as_string in fields.h). The shapes are the sandbox's own reading of Airtable's
// description; Airtable itself warns that they may change.
#include <charconv>
#include <cmath>
#include <cstdio>

#include <date/tz.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "sandbox/airtable/fields.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

std::string date_text(const date::year_month_day& ymd, bool us) {
  std::string day = std::to_string(static_cast<unsigned>(ymd.day()));
  std::string month = std::to_string(static_cast<unsigned>(ymd.month()));
  std::string year = std::to_string(static_cast<int>(ymd.year()));
  return us ? month + "/" + day + "/" + year : day + "/" + month + "/" + year;
}

std::string string_of(const Poco::Dynamic::Var& v);

std::string object_text(const Poco::JSON::Object& o) {
  for (const char* key : {"name", "text", "label"}) {
    if (o.has(key) && json_type(o.get(key)) == JsonType::string) return o.getValue<std::string>(key);
  }
  if (o.has("url") && json_type(o.get("url")) == JsonType::string) {
    std::string url = o.getValue<std::string>("url");
    if (o.has("filename") && json_type(o.get("filename")) == JsonType::string) {
      return o.getValue<std::string>("filename") + " (" + url + ")";
    }
    return url;
  }
  if (o.has("email") && json_type(o.get("email")) == JsonType::string) return o.getValue<std::string>("email");
  return canonical_json(Poco::Dynamic::Var(Poco::JSON::Object::Ptr(new Poco::JSON::Object(o))));
}

std::string string_of(const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::string: return v.extract<std::string>();
    case JsonType::boolean: return v.extract<bool>() ? "checked" : "";
    case JsonType::integer:
    case JsonType::number: return number_text(as_number(v).value_or(0));
    case JsonType::array: {
      auto arr = v.extract<Poco::JSON::Array::Ptr>();
      std::string out;
      for (unsigned i = 0; i < arr->size(); ++i) out += (i ? ", " : "") + string_of(arr->get(i));
      return out;
    }
    case JsonType::object: return object_text(*v.extract<Poco::JSON::Object::Ptr>());
    default: return "";
  }
}

}  // namespace

bool is_known_time_zone(std::string_view name) {
  try {
    (void)date::locate_zone(std::string(name));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string cell_as_string(const FieldType& type, const CellValue& cell, const StringFormat& format) {
  const bool us = format.locale == "en-us" || format.locale == "en_us";
  if (type.kind == FieldKind::date || type.kind == FieldKind::date_time) {
    auto t = parse_airtable_time(cell.formula.kind == FormulaValue::Kind::text ? cell.formula.text : "");
    if (!t && cell.formula.kind == FormulaValue::Kind::datetime) {
      t = AirtableTime(std::chrono::milliseconds(static_cast<long long>(cell.formula.number)));
    }
    if (!t) return "";
    if (type.kind == FieldKind::date) return date_text(date::year_month_day(date::floor<date::days>(*t)), us);
    auto local = date::make_zoned(date::locate_zone(format.time_zone), *t).get_local_time();
    auto day = date::floor<date::days>(local);
    date::hh_mm_ss<std::chrono::minutes> hms(std::chrono::duration_cast<std::chrono::minutes>(local - day));
    int hour = static_cast<int>(hms.hours().count());
    int minute = static_cast<int>(hms.minutes().count());
    char clock[16];
    if (us) {
      std::snprintf(clock, sizeof clock, "%d:%02d%s", hour % 12 == 0 ? 12 : hour % 12, minute, hour < 12 ? "am" : "pm");
    } else {
      std::snprintf(clock, sizeof clock, "%02d:%02d", hour, minute);
    }
    return date_text(date::year_month_day(day), us) + " " + clock;
  }
  // Poco parses only objects and arrays at the top level: wrap the cell's JSON in one.
  Poco::JSON::Parser parser;
  return string_of(parser.parse("[" + cell.json + "]").extract<Poco::JSON::Array::Ptr>()->get(0));
}

}  // namespace pinsync_sandbox

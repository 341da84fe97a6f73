#include "sandbox/airtable/fields.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

struct TypeRow {
  const char* name;
  FieldKind kind;
  bool computed;
};

constexpr TypeRow k_types[] = {
    {"singleLineText", FieldKind::text, false},
    {"email", FieldKind::text, false},
    {"url", FieldKind::text, false},
    {"phoneNumber", FieldKind::text, false},
    {"multilineText", FieldKind::text, false},
    {"richText", FieldKind::text, false},
    {"singleSelect", FieldKind::text, false},
    {"number", FieldKind::number, false},
    {"currency", FieldKind::number, false},
    {"percent", FieldKind::number, false},
    {"duration", FieldKind::number, false},
    {"rating", FieldKind::number, false},
    {"autoNumber", FieldKind::number, true},
    {"count", FieldKind::number, true},
    {"checkbox", FieldKind::checkbox, false},
    {"date", FieldKind::date, false},
    {"dateTime", FieldKind::date_time, false},
    {"createdTime", FieldKind::date_time, true},
    {"lastModifiedTime", FieldKind::date_time, true},
    {"multipleSelects", FieldKind::string_array, false},
    {"multipleRecordLinks", FieldKind::links, false},
    {"multipleAttachments", FieldKind::object_array, false},
    {"multipleCollaborators", FieldKind::object_array, false},
    {"singleCollaborator", FieldKind::object, false},
    {"barcode", FieldKind::object, false},
    {"button", FieldKind::object, true},
    {"multipleLookupValues", FieldKind::any, true},
    {"rollup", FieldKind::any, true},
    {"formula", FieldKind::any, true},
};

bool is_record_id(std::string_view s) {
  if (s.size() != 17 || s.substr(0, 3) != "rec") return false;
  for (char c : s.substr(3)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool has_key(const Poco::Dynamic::Var& v, const char* key) {
  return json_type(v) == JsonType::object && v.extract<Poco::JSON::Object::Ptr>()->has(key);
}

bool has_string(const Poco::Dynamic::Var& v, const char* key) {
  return has_key(v, key) && json_type(v.extract<Poco::JSON::Object::Ptr>()->get(key)) == JsonType::string;
}

// How formulas and sorts see a JSON value (arrays keep their items; objects read as their JSON).
FormulaValue formula_of(const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::boolean: return v.extract<bool>() ? FormulaValue::of_bool(true) : FormulaValue::blank();
    case JsonType::integer:
    case JsonType::number: return FormulaValue::of_number(as_number(v).value_or(0));
    case JsonType::string: return FormulaValue::of_text(v.extract<std::string>());
    case JsonType::array: {
      FormulaValue out;
      out.kind = FormulaValue::Kind::array;
      auto arr = v.extract<Poco::JSON::Array::Ptr>();
      for (std::size_t i = 0; i < arr->size(); ++i) out.items.push_back(formula_of(arr->get(static_cast<unsigned>(i))));
      return out;
    }
    case JsonType::object: return FormulaValue::of_text(canonical_json(v));
    default: return FormulaValue::blank();
  }
}

CellValue cell_of(const Poco::Dynamic::Var& v) { return CellValue{canonical_json(v), formula_of(v)}; }

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool empty_value(const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::null: return true;
    case JsonType::boolean: return !v.extract<bool>();
    case JsonType::string: return v.extract<std::string>().empty();
    case JsonType::array: return v.extract<Poco::JSON::Array::Ptr>()->size() == 0;
    default: return false;
  }
}

bool every_item(const Poco::Dynamic::Var& v, bool (*pred)(const Poco::Dynamic::Var&)) {
  auto arr = v.extract<Poco::JSON::Array::Ptr>();
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (!pred(arr->get(static_cast<unsigned>(i)))) return false;
  }
  return true;
}

}  // namespace

std::optional<FieldType> field_type_named(std::string_view name) {
  for (const TypeRow& row : k_types) {
    if (name == row.name) return FieldType{row.name, row.kind, row.computed};
  }
  return std::nullopt;
}

std::optional<FieldType> infer_field_type(const Poco::Dynamic::Var& v) {
  if (empty_value(v)) return std::nullopt;
  switch (json_type(v)) {
    case JsonType::boolean: return field_type_named("checkbox");
    case JsonType::integer:
    case JsonType::number: return field_type_named("number");
    case JsonType::string: {
      std::string s = v.extract<std::string>();
      if (is_date_only(s)) return field_type_named("date");
      if (parse_airtable_time(s)) return field_type_named("dateTime");
      return field_type_named(s.find('\n') == std::string::npos ? "singleLineText" : "multilineText");
    }
    case JsonType::array: {
      auto is_string = [](const Poco::Dynamic::Var& x) { return json_type(x) == JsonType::string; };
      auto is_link = [](const Poco::Dynamic::Var& x) {
        return json_type(x) == JsonType::string && is_record_id(x.extract<std::string>());
      };
      auto is_attachment = [](const Poco::Dynamic::Var& x) { return has_key(x, "url"); };
      auto is_collaborator = [](const Poco::Dynamic::Var& x) { return has_key(x, "email"); };
      if (every_item(v, is_link)) return field_type_named("multipleRecordLinks");
      if (every_item(v, is_string)) return field_type_named("multipleSelects");
      if (every_item(v, is_attachment)) return field_type_named("multipleAttachments");
      if (every_item(v, is_collaborator)) return field_type_named("multipleCollaborators");
      return field_type_named("multipleLookupValues");
    }
    case JsonType::object:
      if (has_key(v, "email")) return field_type_named("singleCollaborator");
      if (has_key(v, "label")) return field_type_named("button");
      return field_type_named("barcode");
    default: return std::nullopt;
  }
}

std::expected<std::optional<CellValue>, std::string> normalize_cell(const FieldType& type, std::string_view field_name,
                                                                    const Poco::Dynamic::Var& v, Typecast typecast) {
  const std::string bad = "Field " + quote(field_name) + " cannot accept the provided value";
  if (empty_value(v)) {
    // false only empties a checkbox; for other types it is a wrong type, not an empty value.
    if (json_type(v) == JsonType::boolean && type.kind != FieldKind::checkbox && type.kind != FieldKind::any) {
      return std::unexpected(bad);
    }
    return std::optional<CellValue>();
  }
  JsonType jt = json_type(v);
  switch (type.kind) {
    case FieldKind::text:
      if (jt == JsonType::string) return cell_of(v);
      if (typecast == Typecast::on && (jt == JsonType::integer || jt == JsonType::number)) {
        return cell_of(Poco::Dynamic::Var(canonical_json(v)));
      }
      return std::unexpected(bad);
    case FieldKind::number:
      if (jt == JsonType::integer || jt == JsonType::number) return cell_of(v);
      if (typecast == Typecast::on && jt == JsonType::string) {
        std::string s = v.extract<std::string>();
        double d = 0;
        auto res = std::from_chars(s.data(), s.data() + s.size(), d);
        if (res.ec == std::errc() && res.ptr == s.data() + s.size() && std::isfinite(d)) {
          return cell_of(Poco::Dynamic::Var(d));
        }
      }
      return std::unexpected(bad);
    case FieldKind::checkbox:
      if (jt == JsonType::boolean) return cell_of(v);
      return std::unexpected(bad);
    case FieldKind::date:
    case FieldKind::date_time: {
      std::optional<AirtableTime> t;
      if (jt == JsonType::string) {
        t = parse_airtable_time(v.extract<std::string>());
      } else if (jt == JsonType::integer && type.kind == FieldKind::date_time) {
        t = AirtableTime(std::chrono::milliseconds(*as_integer(v)));  // epoch ms, as the API accepts
      }
      if (!t) {
        std::string shown = jt == JsonType::string ? v.extract<std::string>() : canonical_json(v);
        return std::unexpected("Cannot parse date value " + quote(shown) + " for field " + std::string(field_name));
      }
      auto seconds = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::floor<std::chrono::seconds>(*t));
      if (type.kind == FieldKind::date) {
        std::string day = format_airtable_date(seconds);
        auto midnight = parse_airtable_time(day);
        return CellValue{canonical_json(Poco::Dynamic::Var(day)), FormulaValue::of_time(*midnight)};
      }
      return CellValue{canonical_json(Poco::Dynamic::Var(format_airtable_time(seconds))), FormulaValue::of_time(seconds)};
    }
    case FieldKind::string_array:
      if (jt == JsonType::string && typecast == Typecast::on) {
        auto arr = Poco::JSON::Array::Ptr(new Poco::JSON::Array);
        arr->add(v);
        return cell_of(Poco::Dynamic::Var(arr));
      }
      if (jt == JsonType::array && every_item(v, [](const Poco::Dynamic::Var& x) { return json_type(x) == JsonType::string; })) {
        return cell_of(v);
      }
      return std::unexpected(bad);
    case FieldKind::links:
      if (jt == JsonType::array && every_item(v, [](const Poco::Dynamic::Var& x) {
            return json_type(x) == JsonType::string && is_record_id(x.extract<std::string>());
          })) {
        return cell_of(v);
      }
      return std::unexpected(bad);
    case FieldKind::object_array: {
      // Attachments are written as {"url", "filename"?}; collaborators as {"id"} or {"email"}.
      const bool attachments = type.name == "multipleAttachments";
      bool (*fits)(const Poco::Dynamic::Var&) =
          attachments ? +[](const Poco::Dynamic::Var& x) { return has_string(x, "url"); }
                      : +[](const Poco::Dynamic::Var& x) { return has_string(x, "id") || has_string(x, "email"); };
      if (jt == JsonType::array && every_item(v, fits)) return cell_of(v);
      return std::unexpected(bad);
    }
    case FieldKind::object:
      if (jt != JsonType::object) return std::unexpected(bad);
      if (type.name == "singleCollaborator" && !has_string(v, "id") && !has_string(v, "email")) return std::unexpected(bad);
      if (type.name == "barcode" && !has_string(v, "text")) return std::unexpected(bad);
      return cell_of(v);
    case FieldKind::any: return cell_of(v);
  }
  return std::unexpected(bad);
}

}  // namespace pinsync_sandbox

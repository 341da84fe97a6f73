// Field types of the emulated Airtable tables: their Airtable names, how a type is inferred from
// a value given to the control route, and how a written value is checked and normalised into
// what the list endpoint returns (dates, UTC timestamps, empty values dropped).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>

#include "sandbox/airtable/formula.h"

namespace pinsync_sandbox {

enum class FieldKind {
  text,          // singleLineText, email, url, phoneNumber, multilineText, richText, singleSelect
  number,        // number, currency, percent, duration, rating (and computed autoNumber, count)
  checkbox,
  date,          // "2026-06-12"
  date_time,     // "2026-06-12T18:00:00.000Z" (and computed createdTime, lastModifiedTime)
  string_array,  // multipleSelects
  links,         // multipleRecordLinks: record ids
  object_array,  // multipleAttachments, multipleCollaborators
  object,        // singleCollaborator, barcode, button
  any,           // multipleLookupValues, rollup, formula: whatever was given
};

struct FieldType {
  std::string name;  // Airtable's type name, e.g. "dateTime"
  FieldKind kind = FieldKind::text;
  bool computed = false;  // the API refuses writes (lookups, formulas, autoNumber, button…)
};

// Returns the type with this Airtable name ("singleLineText", "dateTime", …), or nullopt.
std::optional<FieldType> field_type_named(std::string_view name);

// Returns the type a control-route value implies, or nullopt when the value is empty (null, "",
// false, []) and so says nothing about its type.
std::optional<FieldType> infer_field_type(const Poco::Dynamic::Var& value);

// A non-empty cell: its JSON as the list endpoint returns it, and its formula/sort value.
struct CellValue {
  std::string json;
  FormulaValue formula;
};

enum class Typecast { off, on };

// Checks and normalises a value written to a field of `type`. Returns the cell, nullopt when the
// value empties the field (null, "", false, []), or Airtable's INVALID_VALUE_FOR_COLUMN message
// naming the field when the value does not fit the type.
std::expected<std::optional<CellValue>, std::string> normalize_cell(const FieldType& type, std::string_view field_name,
                                                                    const Poco::Dynamic::Var& value, Typecast typecast);

// How cellFormat=string renders cells: in the caller's time zone (an IANA name) and locale.
struct StringFormat {
  std::string time_zone;  // checked by the caller with is_known_time_zone()
  std::string locale;     // lower-case, e.g. "en-us", "en-gb"
};

// Returns true when `name` is an IANA time zone the sandbox knows.
bool is_known_time_zone(std::string_view name);

// Returns `cell` (a value of a field of `type`) as the user-facing string cellFormat=string
// gives: text as is, numbers plainly, a checkbox as "checked", dates as M/D/YYYY in en-us and
// D/M/YYYY elsewhere, date-times in `format.time_zone` (en-us "6/12/2026 8:00pm", elsewhere
// "12/6/2026 20:00"), lists joined with ", ", collaborators by name, attachments as
// "filename (url)". Airtable says clients must not rely on these strings; neither should tests.
std::string cell_as_string(const FieldType& type, const CellValue& cell, const StringFormat& format);

}  // namespace pinsync_sandbox

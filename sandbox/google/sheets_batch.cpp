// spreadsheets.batchUpdate: reading its body (parse_structural_requests) and the route of
// GoogleSheetsApi that applies it. Errors follow Google's shapes: "Invalid JSON payload
// received. Unknown name …" with a BadRequest detail for bodies it cannot read, "Must specify at
// least one request.", and "Invalid requests[N].<kind>: …" from the store for requests that do
// not fit the sheet.
#include "sandbox/google/sheets_batch.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include <Poco/JSON/Array.h>

#include "sandbox/google/json.h"
#include "sandbox/google/sheets.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

// Every request kind of the Sheets v4 Request message; only four are emulated.
constexpr std::array k_request_kinds = {
    "updateSpreadsheetProperties", "updateSheetProperties", "updateDimensionProperties", "updateNamedRange",
    "repeatCell", "addNamedRange", "deleteNamedRange", "addSheet", "deleteSheet", "autoFill", "cutPaste", "copyPaste",
    "mergeCells", "unmergeCells", "updateBorders", "updateCells", "addFilterView", "appendCells", "clearBasicFilter",
    "deleteDimension", "deleteEmbeddedObject", "deleteFilterView", "duplicateFilterView", "duplicateSheet",
    "findReplace", "insertDimension", "insertRange", "moveDimension", "updateEmbeddedObjectPosition", "pasteData",
    "textToColumns", "updateFilterView", "deleteRange", "appendDimension", "addConditionalFormatRule",
    "updateConditionalFormatRule", "deleteConditionalFormatRule", "sortRange", "setDataValidation", "setBasicFilter",
    "addProtectedRange", "updateProtectedRange", "deleteProtectedRange", "autoResizeDimensions", "addChart",
    "updateChartSpec", "updateBanding", "addBanding", "deleteBanding", "createDeveloperMetadata",
    "updateDeveloperMetadata", "deleteDeveloperMetadata", "randomizeRange", "addDimensionGroup",
    "deleteDimensionGroup", "updateDimensionGroup", "trimWhitespace", "deleteDuplicates", "addSlicer",
    "updateSlicerSpec", "addDataSource", "updateDataSource", "deleteDataSource", "refreshDataSource",
    "cancelDataSourceRefresh", "addTable", "updateTable", "deleteTable"};

// The fields of SheetProperties (what updateSheetProperties' "properties" and "fields" may name).
constexpr std::array k_sheet_properties = {"sheetId", "title", "index", "sheetType", "gridProperties", "hidden",
                                           "tabColor", "tabColorStyle", "rightToLeft", "dataSourceSheetProperties"};

// "insertDimension" → "insert_dimension": Google names paths in its messages by the proto names.
std::string snake(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += ascii_lower(c);
    } else {
      out += c;
    }
  }
  return out;
}

std::string shown(const Poco::Dynamic::Var& v) {
  std::string out;
  if (json_type(v) == JsonType::string) {
    append_json_string(out, v.extract<std::string>());
    return out;
  }
  return canonical_json(v);
}

BatchRequestError unknown_name(std::string_view name, const std::string& at) {
  std::string message = "Invalid JSON payload received. Unknown name \"" + std::string(name) + "\"";
  message += at.empty() ? ": Cannot find field." : " at '" + at + "': Cannot find field.";
  return {message, at};
}

BatchRequestError invalid_value(const std::string& at, std::string_view type, const Poco::Dynamic::Var& v) {
  return {"Invalid value at '" + at + "' (" + std::string(type) + "), " + shown(v), at};
}

// Checks that `obj` has only `known` keys. Returns the error for the first other one.
template <std::size_t N>
std::optional<BatchRequestError> only_keys(const Poco::JSON::Object& obj, const std::array<const char*, N>& known,
                                           const std::string& at) {
  for (const std::string& key : obj.getNames()) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) return unknown_name(key, at);
  }
  return std::nullopt;
}

std::expected<Poco::JSON::Object::Ptr, BatchRequestError> object_at(const Poco::JSON::Object& parent, const char* key,
                                                                    const std::string& at, std::string_view type) {
  auto v = parent.get(key);
  if (json_type(v) == JsonType::null) return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
  if (json_type(v) != JsonType::object) return std::unexpected(invalid_value(at, type, v));
  return v.extract<Poco::JSON::Object::Ptr>();
}

std::expected<std::optional<std::int64_t>, BatchRequestError> int_at(const Poco::JSON::Object& obj, const char* key,
                                                                     const std::string& at) {
  if (!obj.has(key) || json_type(obj.get(key)) == JsonType::null) return std::optional<std::int64_t>();
  auto n = as_integer(obj.get(key));
  // proto3 JSON also takes integers written as strings ("5").
  if (!n && json_type(obj.get(key)) == JsonType::string) {
    try {
      std::size_t used = 0;
      const std::string text = obj.getValue<std::string>(key);
      long long parsed = std::stoll(text, &used);
      if (used == text.size()) n = parsed;
    } catch (const std::exception&) {
    }
  }
  if (!n || *n < INT32_MIN || *n > INT32_MAX) return std::unexpected(invalid_value(at, "TYPE_INT32", obj.get(key)));
  return std::optional<std::int64_t>(*n);
}

std::expected<Dimension, BatchRequestError> dimension_at(const Poco::JSON::Object& obj, const std::string& at,
                                                         const std::string& kind_prefix) {
  auto v = obj.get("dimension");
  std::string text = json_type(v) == JsonType::string ? v.extract<std::string>() : "";
  if (text == "ROWS") return Dimension::rows;
  if (text == "COLUMNS") return Dimension::columns;
  if (json_type(v) == JsonType::null || text == "DIMENSION_UNSPECIFIED") {
    return std::unexpected(BatchRequestError{kind_prefix + "dimension must be ROWS or COLUMNS.", ""});
  }
  return std::unexpected(invalid_value(at, "type.googleapis.com/google.apps.sheets.v4.Dimension", v));
}

// insertDimension / deleteDimension: {"range": DimensionRange, "inheritFromBefore"?}.
std::expected<StructuralChange, BatchRequestError> dimension_request(const Poco::JSON::Object& req, StructuralChange c,
                                                                     const std::string& at, std::size_t index) {
  const bool insert = c.kind == StructuralChange::Kind::insert_dimension;
  std::optional<BatchRequestError> bad = insert ? only_keys(req, std::array{"range", "inheritFromBefore"}, at)
                                                : only_keys(req, std::array{"range"}, at);
  if (bad) return std::unexpected(*bad);
  auto range = object_at(req, "range", at + ".range", "type.googleapis.com/google.apps.sheets.v4.DimensionRange");
  if (!range) return std::unexpected(range.error());
  const std::string range_at = at + ".range";
  if (auto bad_key = only_keys(**range, std::array{"sheetId", "dimension", "startIndex", "endIndex"}, range_at)) {
    return std::unexpected(*bad_key);
  }
  auto sheet = int_at(**range, "sheetId", range_at + ".sheet_id");
  auto start = int_at(**range, "startIndex", range_at + ".start_index");
  auto end = int_at(**range, "endIndex", range_at + ".end_index");
  for (const auto* r : {&sheet, &start, &end}) {
    if (!*r) return std::unexpected(r->error());
  }
  const std::string kind_prefix = "Invalid requests[" + std::to_string(index) + "]." + std::string(c.name()) + ": range.";
  auto dimension = dimension_at(**range, range_at + ".dimension", kind_prefix);
  if (!dimension) return std::unexpected(dimension.error());
  c.sheet_id = sheet->value_or(0);
  c.start = *start;
  c.end = *end;
  c.dimension = *dimension;
  if (insert && req.has("inheritFromBefore")) {
    auto v = req.get("inheritFromBefore");
    if (json_type(v) != JsonType::boolean) return std::unexpected(invalid_value(at + ".inherit_from_before", "TYPE_BOOL", v));
    c.inherit_from_before = v.extract<bool>();
  }
  return c;
}

// appendDimension: {"sheetId", "dimension", "length"}.
std::expected<StructuralChange, BatchRequestError> append_request(const Poco::JSON::Object& req, StructuralChange c,
                                                                  const std::string& at, std::size_t index) {
  if (auto bad = only_keys(req, std::array{"sheetId", "dimension", "length"}, at)) return std::unexpected(*bad);
  auto sheet = int_at(req, "sheetId", at + ".sheet_id");
  auto length = int_at(req, "length", at + ".length");
  if (!sheet) return std::unexpected(sheet.error());
  if (!length) return std::unexpected(length.error());
  auto dimension = dimension_at(req, at + ".dimension", "Invalid requests[" + std::to_string(index) + "].appendDimension: ");
  if (!dimension) return std::unexpected(dimension.error());
  c.sheet_id = sheet->value_or(0);
  c.length = length->value_or(0);
  c.dimension = *dimension;
  return c;
}

// updateSheetProperties: {"properties": SheetProperties, "fields": "title,hidden"}.
std::expected<StructuralChange, BatchRequestError> properties_request(const Poco::JSON::Object& req, StructuralChange c,
                                                                      const std::string& at, std::size_t index) {
  if (auto bad = only_keys(req, std::array{"properties", "fields"}, at)) return std::unexpected(*bad);
  const std::string props_at = at + ".properties";
  auto props = object_at(req, "properties", props_at, "type.googleapis.com/google.apps.sheets.v4.SheetProperties");
  if (!props) return std::unexpected(props.error());
  if (auto bad = only_keys(**props, k_sheet_properties, props_at)) return std::unexpected(*bad);
  auto sheet = int_at(**props, "sheetId", props_at + ".sheet_id");
  if (!sheet) return std::unexpected(sheet.error());
  c.sheet_id = sheet->value_or(0);
  const std::string prefix = "Invalid requests[" + std::to_string(index) + "].updateSheetProperties: ";
  std::string fields = json_type(req.get("fields")) == JsonType::string ? req.getValue<std::string>("fields") : "";
  if (req.has("fields") && json_type(req.get("fields")) != JsonType::string) {
    return std::unexpected(invalid_value(at + ".fields", "type.googleapis.com/google.protobuf.FieldMask", req.get("fields")));
  }
  if (fields.empty()) {
    return std::unexpected(
        BatchRequestError{prefix + "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)", ""});
  }
  std::size_t pos = 0;
  while (pos <= fields.size()) {
    std::size_t comma = std::min(fields.find(',', pos), fields.size());
    std::string name = fields.substr(pos, comma - pos);
    pos = comma + 1;
    if (name == "title") {
      auto v = props.value()->get("title");
      if (json_type(v) != JsonType::null && json_type(v) != JsonType::string) {
        return std::unexpected(invalid_value(props_at + ".title", "TYPE_STRING", v));
      }
      c.title = json_type(v) == JsonType::string ? v.extract<std::string>() : "";
    } else if (name == "hidden") {
      auto v = props.value()->get("hidden");
      if (json_type(v) != JsonType::null && json_type(v) != JsonType::boolean) {
        return std::unexpected(invalid_value(props_at + ".hidden", "TYPE_BOOL", v));
      }
      c.hidden = json_type(v) == JsonType::boolean && v.extract<bool>();
    } else {
      // "*", "index", "gridProperties.…" and the rest are real fields the sandbox does not model.
      return std::unexpected(BatchRequestError{
          prefix + "pinsync-sandbox emulates only the fields title and hidden, not \"" + name + "\"", ""});
    }
  }
  return c;
}

}  // namespace

std::expected<std::vector<StructuralChange>, BatchRequestError> parse_structural_requests(const Poco::JSON::Object& body) {
  if (auto bad = only_keys(body, std::array{"requests", "includeSpreadsheetInResponse", "responseRanges",
                                            "responseIncludeGridData"},
                           "")) {
    return std::unexpected(*bad);
  }
  auto requests = body.get("requests");
  if (json_type(requests) != JsonType::null && json_type(requests) != JsonType::array) {
    return std::unexpected(invalid_value("requests", "type.googleapis.com/google.apps.sheets.v4.Request", requests));
  }
  if (json_type(requests) == JsonType::null || requests.extract<Poco::JSON::Array::Ptr>()->size() == 0) {
    return std::unexpected(BatchRequestError{"Must specify at least one request.", ""});
  }
  auto list = requests.extract<Poco::JSON::Array::Ptr>();
  std::vector<StructuralChange> out;
  for (unsigned i = 0; i < list->size(); ++i) {
    const std::string at = "requests[" + std::to_string(i) + "]";
    auto entry = list->get(i);
    if (json_type(entry) != JsonType::object) {
      return std::unexpected(invalid_value(at, "type.googleapis.com/google.apps.sheets.v4.Request", entry));
    }
    auto obj = entry.extract<Poco::JSON::Object::Ptr>();
    if (obj->size() == 0) return std::unexpected(BatchRequestError{"Invalid requests[" + std::to_string(i) + "]: No request set.", ""});
    std::vector<std::string> names = obj->getNames();
    for (const std::string& name : names) {
      if (std::none_of(k_request_kinds.begin(), k_request_kinds.end(), [&](const char* k) { return name == k; })) {
        return std::unexpected(unknown_name(name, at));
      }
    }
    if (names.size() > 1) {
      return std::unexpected(BatchRequestError{
          "Invalid JSON payload received. Oneof field 'kind' is already set. Cannot set '" + names[1] + "'", at});
    }
    const std::string& kind = names.front();
    const std::string inner_at = at + "." + snake(kind);
    auto inner = obj->get(kind);
    if (json_type(inner) != JsonType::object) {
      return std::unexpected(invalid_value(inner_at, "type.googleapis.com/google.apps.sheets.v4." +
                                                         std::string(1, static_cast<char>(std::toupper(kind[0]))) +
                                                         kind.substr(1) + "Request",
                                           inner));
    }
    const auto& request = *inner.extract<Poco::JSON::Object::Ptr>();
    StructuralChange c;
    std::expected<StructuralChange, BatchRequestError> parsed = std::unexpected(BatchRequestError{});
    if (kind == "insertDimension" || kind == "deleteDimension") {
      c.kind = kind == "insertDimension" ? StructuralChange::Kind::insert_dimension : StructuralChange::Kind::delete_dimension;
      parsed = dimension_request(request, c, inner_at, i);
    } else if (kind == "appendDimension") {
      c.kind = StructuralChange::Kind::append_dimension;
      parsed = append_request(request, c, inner_at, i);
    } else if (kind == "updateSheetProperties") {
      c.kind = StructuralChange::Kind::update_sheet_properties;
      parsed = properties_request(request, c, inner_at, i);
    } else {
      return std::unexpected(BatchRequestError{
          "Invalid requests[" + std::to_string(i) + "]." + kind + ": pinsync-sandbox does not emulate this request",
          ""});
    }
    if (!parsed) return std::unexpected(parsed.error());
    out.push_back(std::move(*parsed));
  }
  return out;
}

Response GoogleSheetsApi::structure_update(const Request& req, const std::string& id) {
  if (req.body_too_large) {
    return google_error(req, 413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 1048576 bytes.");
  }
  auto body = parse_json_object(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body) return google_error(req, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. " + body.error());
  auto changes = parse_structural_requests(**body);
  if (!changes) {
    const BatchRequestError& e = changes.error();
    if (e.field.empty()) return google_error(req, 400, "INVALID_ARGUMENT", e.message);
    JsonOut details;
    details.begin_array().begin_object().key("@type").value("type.googleapis.com/google.rpc.BadRequest");
    details.key("fieldViolations").begin_array().begin_object();
    details.key("field").value(e.field).key("description").value(e.message);
    details.end_object().end_array().end_object().end_array();
    return google_error(req, 400, "INVALID_ARGUMENT", e.message, details.take());
  }
  bool include_spreadsheet = false;
  if ((*body)->has("includeSpreadsheetInResponse")) {
    auto v = (*body)->get("includeSpreadsheetInResponse");
    if (json_type(v) != JsonType::boolean) return google_invalid_value(req, "include_spreadsheet_in_response", "TYPE_BOOL", shown(v));
    include_spreadsheet = v.extract<bool>();
  }
  if (auto v = (*body)->get("responseIncludeGridData"); json_type(v) == JsonType::boolean && v.extract<bool>()) {
    return google_error(req, 400, "INVALID_ARGUMENT", "responseIncludeGridData=true is not emulated by pinsync-sandbox");
  }
  if (auto done = m_store.restructure(id, *changes); !done) return google_error(req, 400, "INVALID_ARGUMENT", done.error());
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id).key("replies").begin_array();
  // None of the emulated requests has a reply: each gets an empty one, in request order.
  for (std::size_t i = 0; i < changes->size(); ++i) out.begin_object().end_object();
  out.end_array();
  if (include_spreadsheet) {
    if (auto meta = m_store.metadata(id)) out.key("updatedSpreadsheet").raw(*meta);
  }
  out.end_object();
  return google_json(req, out.take());
}

}  // namespace pinsync_sandbox

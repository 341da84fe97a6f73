// The write half of the emulated Sheets API: values.update (PUT, valueInputOption in the query),
// values:batchUpdate (POST, valueInputOption in the body), values.append and values.clear, RAW vs
// USER_ENTERED conversion, includeValuesInResponse, Google's 400s for malformed bodies, and the
// Update/BatchUpdate/Append/ClearValuesResponse shapes.
#include <Poco/JSON/Array.h>

#include "sandbox/google/json.h"
#include "sandbox/google/sheets.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

enum class InputOption { raw, user_entered };

constexpr std::string_view k_list_value_type = "type.googleapis.com/google.protobuf.ListValue";

std::string compact_json(const Poco::Dynamic::Var& v) {
  if (json_type(v) == JsonType::string) {
    std::string out;
    append_json_string(out, v.extract<std::string>());
    return out;
  }
  return canonical_json(v);
}

std::expected<InputOption, Response> input_option(const Request& req, const std::optional<std::string>& text) {
  if (!text || *text == "INPUT_VALUE_OPTION_UNSPECIFIED") {
    return std::unexpected(google_error(req, 400, "INVALID_ARGUMENT", "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"));
  }
  if (*text == "RAW") return InputOption::raw;
  if (*text == "USER_ENTERED") return InputOption::user_entered;
  std::string value;
  append_json_string(value, *text);
  return std::unexpected(google_invalid_value(req, "value_input_option",
                                              "type.googleapis.com/google.apps.sheets.v4.ValueInputOption", value));
}

// Converts one ValueRange body (range, majorDimension, values) into a CellWrite. `field` names
// it in error messages the way Google does ("data[0]" for batchUpdate, "data" for update).
std::expected<CellWrite, Response> to_write(const Request& req, const Poco::JSON::Object::Ptr& vr, const std::string& field,
                                            InputOption option, std::string range) {
  CellWrite w;
  w.range = std::move(range);
  if (vr->has("majorDimension")) {
    std::string major = json_type(vr->get("majorDimension")) == JsonType::string ? vr->getValue<std::string>("majorDimension") : "";
    if (major == "COLUMNS") {
      w.major = Dimension::columns;
    } else if (major != "ROWS" && major != "DIMENSION_UNSPECIFIED") {
      return std::unexpected(google_invalid_value(req, field + ".major_dimension",
                                                  "type.googleapis.com/google.apps.sheets.v4.Dimension",
                                                  compact_json(vr->get("majorDimension"))));
    }
  }
  auto values = vr->get("values");
  if (json_type(values) == JsonType::null) return w;
  if (json_type(values) != JsonType::array) {
    return std::unexpected(google_invalid_value(req, field + ".values", k_list_value_type, compact_json(values)));
  }
  auto rows = values.extract<Poco::JSON::Array::Ptr>();
  for (unsigned i = 0; i < rows->size(); ++i) {
    auto row_var = rows->get(i);
    std::string row_field = field + ".values[" + std::to_string(i) + "]";
    if (json_type(row_var) != JsonType::array) {
      return std::unexpected(google_invalid_value(req, row_field, k_list_value_type, compact_json(row_var)));
    }
    auto row = row_var.extract<Poco::JSON::Array::Ptr>();
    std::vector<std::optional<Cell>> cells;
    for (unsigned j = 0; j < row->size(); ++j) {
      auto v = row->get(j);
      switch (json_type(v)) {
        case JsonType::null:
          cells.emplace_back(std::nullopt);
          break;
        case JsonType::boolean:
          cells.emplace_back(cell_from_bool(v.extract<bool>()));
          break;
        case JsonType::integer:
        case JsonType::number:
          cells.emplace_back(cell_from_number(as_number(v).value_or(0)));
          break;
        case JsonType::string: {
          const std::string& s = v.extract<std::string>();
          cells.emplace_back(option == InputOption::raw ? cell_from_raw_text(s) : cell_from_user_entered(s));
          break;
        }
        default:
          return std::unexpected(google_invalid_value(req, row_field + "[" + std::to_string(j) + "]",
                                                      "type.googleapis.com/google.protobuf.Value", compact_json(v)));
      }
    }
    w.values.push_back(std::move(cells));
  }
  return w;
}

// `updated_data`: the ValueRange to add as "updatedData" (includeValuesInResponse), or empty.
void write_area(JsonOut& out, const std::string& id, const UpdatedArea& a, std::string_view updated_data = {}) {
  // proto3 JSON leaves zero counts out.
  out.begin_object().key("spreadsheetId").value(id).key("updatedRange").value(a.updated_range);
  if (a.rows) out.key("updatedRows").value(a.rows);
  if (a.columns) out.key("updatedColumns").value(a.columns);
  if (a.cells) out.key("updatedCells").value(a.cells);
  if (!updated_data.empty()) out.key("updatedData").raw(updated_data);
  out.end_object();
}

// includeValuesInResponse from the query (update, append) or the body (batchUpdate).
std::expected<bool, Response> include_values(const Request& req, const std::optional<std::string>& text,
                                             std::string_view field) {
  if (!text || *text == "false" || *text == "False") return false;
  if (*text == "true" || *text == "True") return true;
  std::string value;
  append_json_string(value, *text);
  return std::unexpected(google_invalid_value(req, field, "TYPE_BOOL", value));
}

std::optional<std::string> query_value(const Request& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::nullopt;
  return it->second;
}

std::expected<Poco::JSON::Object::Ptr, Response> json_body(const Request& req) {
  if (req.body_too_large) {
    return std::unexpected(google_error(req, 413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 1048576 bytes."));
  }
  auto body = parse_json_object(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body) return std::unexpected(google_error(req, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. " + body.error()));
  return *body;
}

}  // namespace

std::expected<std::string, Response> GoogleSheetsApi::updated_data(const Request& req, const std::string& id,
                                                                   const std::string& range,
                                                                   const std::map<std::string, std::string>& options) {
  // The response*RenderOption values mean what the read options of the same names mean.
  std::map<std::string, std::string> as_read;
  if (auto it = options.find("responseValueRenderOption"); it != options.end()) as_read["valueRenderOption"] = it->second;
  if (auto it = options.find("responseDateTimeRenderOption"); it != options.end()) {
    as_read["dateTimeRenderOption"] = it->second;
  }
  auto read = parse_read_options(req, as_read, "response_");
  if (!read) return std::unexpected(read.error());
  auto ranges = m_store.read(id, {range}, *read);
  if (!ranges || ranges->empty()) return std::string();
  return std::move(ranges->front());
}

Response GoogleSheetsApi::update_values(const Request& req, const std::string& id, const std::string& range) {
  auto option = input_option(req, query_value(req, "valueInputOption"));
  if (!option) return option.error();
  auto include = include_values(req, query_value(req, "includeValuesInResponse"), "include_values_in_response");
  if (!include) return include.error();
  auto body = json_body(req);
  if (!body) return body.error();
  auto w = to_write(req, *body, "data", *option, range);
  if (!w) return w.error();
  auto result = m_store.write(id, {std::move(*w)});
  if (!result) return google_error(req, 400, "INVALID_ARGUMENT", result.error());
  if (result->areas.empty()) return google_error(req, 404, "NOT_FOUND", "Requested entity was not found.");
  std::string data;
  if (*include) {
    auto read = updated_data(req, id, result->areas.front().updated_range, req.query);
    if (!read) return read.error();
    data = std::move(*read);
  }
  JsonOut out;
  write_area(out, id, result->areas.front(), data);
  return google_json(req, out.take());
}

Response GoogleSheetsApi::append_values(const Request& req, const std::string& id, const std::string& range) {
  auto option = input_option(req, query_value(req, "valueInputOption"));
  if (!option) return option.error();
  auto include = include_values(req, query_value(req, "includeValuesInResponse"), "include_values_in_response");
  if (!include) return include.error();
  bool insert_rows = false;
  if (auto mode = query_value(req, "insertDataOption")) {
    if (*mode == "INSERT_ROWS") {
      insert_rows = true;
    } else if (*mode != "OVERWRITE") {
      std::string value;
      append_json_string(value, *mode);
      return google_invalid_value(req, "insert_data_option",
                                  "type.googleapis.com/google.apps.sheets.v4.AppendValuesRequest.InsertDataOption", value);
    }
  }
  auto body = json_body(req);
  if (!body) return body.error();
  auto w = to_write(req, *body, "data", *option, range);
  if (!w) return w.error();
  auto result = m_store.append(id, *w, insert_rows);
  if (!result) return google_error(req, 400, "INVALID_ARGUMENT", result.error());
  if (result->area.updated_range.empty()) return google_error(req, 404, "NOT_FOUND", "Requested entity was not found.");
  std::string data;
  if (*include) {
    auto read = updated_data(req, id, result->area.updated_range, req.query);
    if (!read) return read.error();
    data = std::move(*read);
  }
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id);
  if (result->table_range) out.key("tableRange").value(*result->table_range);
  out.key("updates");
  write_area(out, id, result->area, data);
  out.end_object();
  return google_json(req, out.take());
}

Response GoogleSheetsApi::clear_values(const Request& req, const std::string& id, const std::string& range) {
  // The body is an empty ClearValuesRequest; anything in it is an unknown field.
  auto body = json_body(req);
  if (!body) return body.error();
  for (const std::string& name : (*body)->getNames()) {
    std::string message = "Invalid JSON payload received. Unknown name \"" + name + "\": Cannot find field.";
    return google_error(req, 400, "INVALID_ARGUMENT", message);
  }
  auto cleared = m_store.clear(id, range);
  if (!cleared) return google_error(req, 400, "INVALID_ARGUMENT", cleared.error());
  if (!*cleared) return google_error(req, 404, "NOT_FOUND", "Requested entity was not found.");
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id).key("clearedRange").value(**cleared).end_object();
  return google_json(req, out.take());
}

Response GoogleSheetsApi::batch_update(const Request& req, const std::string& id) {
  auto body = json_body(req);
  if (!body) return body.error();
  const auto& b = *body;
  std::optional<std::string> option_text;
  if (json_type(b->get("valueInputOption")) == JsonType::string) option_text = b->getValue<std::string>("valueInputOption");
  auto option = input_option(req, option_text);
  if (!option) return option.error();
  // includeValuesInResponse and the response*RenderOption values are body fields here.
  std::map<std::string, std::string> body_options;
  for (const char* name : {"includeValuesInResponse", "responseValueRenderOption", "responseDateTimeRenderOption"}) {
    if (!b->has(name)) continue;
    body_options[name] = json_type(b->get(name)) == JsonType::string ? b->getValue<std::string>(name) : b->get(name).toString();
  }
  std::optional<std::string> include_text;
  if (auto it = body_options.find("includeValuesInResponse"); it != body_options.end()) include_text = it->second;
  auto include = include_values(req, include_text, "include_values_in_response");
  if (!include) return include.error();
  std::vector<CellWrite> writes;
  auto data = b->get("data");
  if (json_type(data) != JsonType::null && json_type(data) != JsonType::array) {
    return google_invalid_value(req, "data", "type.googleapis.com/google.apps.sheets.v4.ValueRange", compact_json(data));
  }
  if (json_type(data) == JsonType::array) {
    auto entries = data.extract<Poco::JSON::Array::Ptr>();
    for (unsigned i = 0; i < entries->size(); ++i) {
      std::string field = "data[" + std::to_string(i) + "]";
      auto entry = entries->get(i);
      if (json_type(entry) != JsonType::object) {
        return google_invalid_value(req, field, "type.googleapis.com/google.apps.sheets.v4.ValueRange", compact_json(entry));
      }
      auto vr = entry.extract<Poco::JSON::Object::Ptr>();
      std::string range = json_type(vr->get("range")) == JsonType::string ? vr->getValue<std::string>("range") : "";
      auto w = to_write(req, vr, field, *option, range);
      if (!w) return w.error();
      writes.push_back(std::move(*w));
    }
  }
  auto result = m_store.write(id, writes);
  if (!result) return google_error(req, 400, "INVALID_ARGUMENT", result.error());
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id);
  if (result->total_rows) out.key("totalUpdatedRows").value(result->total_rows);
  if (result->total_columns) out.key("totalUpdatedColumns").value(result->total_columns);
  if (result->total_cells) out.key("totalUpdatedCells").value(result->total_cells);
  if (result->total_sheets) out.key("totalUpdatedSheets").value(result->total_sheets);
  if (!result->areas.empty()) {
    out.key("responses").begin_array();
    for (const UpdatedArea& a : result->areas) {
      std::string written;
      if (*include) {
        auto read = updated_data(req, id, a.updated_range, body_options);
        if (!read) return read.error();
        written = std::move(*read);
      }
      write_area(out, id, a, written);
    }
    out.end_array();
  }
  out.end_object();
  return google_json(req, out.take());
}

}  // namespace pinsync_sandbox

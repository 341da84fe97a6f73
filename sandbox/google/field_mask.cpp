#include "sandbox/google/field_mask.h"

#include <cctype>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

// One field of a response message: its JSON name and, for a message-typed field, the message
// name (empty for scalars, lists of scalars and messages whose fields the sandbox does not
// model: a path below them is refused, as Google refuses a path below a scalar).
struct SchemaField {
  std::string_view name;
  std::string_view type;
};

struct SchemaMessage {
  std::string_view name;
  std::vector<SchemaField> fields;
};

// The Sheets v4 response messages and the fields they have (their names as the API's
// reference lists them), down to the cells; deeper messages are leaves here.
const std::vector<SchemaMessage>& schema() {
  static const std::vector<SchemaMessage> messages = {
      {"Spreadsheet",
       {{"spreadsheetId", ""}, {"properties", "SpreadsheetProperties"}, {"sheets", "Sheet"},
        {"namedRanges", "NamedRange"}, {"spreadsheetUrl", ""}, {"developerMetadata", ""}, {"dataSources", ""},
        {"dataSourceSchedules", ""}}},
      {"SpreadsheetProperties",
       {{"title", ""}, {"locale", ""}, {"autoRecalc", ""}, {"timeZone", ""}, {"defaultFormat", "CellFormat"},
        {"iterativeCalculationSettings", ""}, {"spreadsheetTheme", ""}, {"importFunctionsExternalUrlAccessAllowed", ""}}},
      {"NamedRange", {{"namedRangeId", ""}, {"name", ""}, {"range", ""}}},
      {"Sheet",
       {{"properties", "SheetProperties"}, {"data", "GridData"}, {"merges", ""}, {"conditionalFormats", ""},
        {"filterViews", ""}, {"protectedRanges", ""}, {"basicFilter", ""}, {"charts", ""}, {"bandedRanges", ""},
        {"developerMetadata", ""}, {"rowGroups", ""}, {"columnGroups", ""}, {"slicers", ""}, {"tables", ""}}},
      {"SheetProperties",
       {{"sheetId", ""}, {"title", ""}, {"index", ""}, {"sheetType", ""}, {"gridProperties", "GridProperties"},
        {"hidden", ""}, {"tabColor", ""}, {"tabColorStyle", ""}, {"rightToLeft", ""}, {"dataSourceSheetProperties", ""}}},
      {"GridProperties",
       {{"rowCount", ""}, {"columnCount", ""}, {"frozenRowCount", ""}, {"frozenColumnCount", ""}, {"hideGridlines", ""},
        {"rowGroupControlAfter", ""}, {"columnGroupControlAfter", ""}}},
      {"GridData",
       {{"startRow", ""}, {"startColumn", ""}, {"rowData", "RowData"}, {"rowMetadata", ""}, {"columnMetadata", ""}}},
      {"RowData", {{"values", "CellData"}}},
      {"CellData",
       {{"userEnteredValue", "ExtendedValue"}, {"effectiveValue", "ExtendedValue"}, {"formattedValue", ""},
        {"userEnteredFormat", "CellFormat"}, {"effectiveFormat", "CellFormat"}, {"hyperlink", ""}, {"note", ""},
        {"textFormatRuns", ""}, {"dataValidation", ""}, {"pivotTable", ""}, {"dataSourceTable", ""},
        {"dataSourceFormula", ""}, {"chipRuns", ""}}},
      {"ExtendedValue",
       {{"numberValue", ""}, {"stringValue", ""}, {"boolValue", ""}, {"formulaValue", ""}, {"errorValue", ""}}},
      {"CellFormat",
       {{"numberFormat", ""}, {"backgroundColor", ""}, {"backgroundColorStyle", ""}, {"borders", ""}, {"padding", ""},
        {"horizontalAlignment", ""}, {"verticalAlignment", ""}, {"wrapStrategy", ""}, {"textDirection", ""},
        {"textFormat", ""}, {"hyperlinkDisplayType", ""}, {"textRotation", ""}}},
      {"ValueRange", {{"range", ""}, {"majorDimension", ""}, {"values", ""}}},
      {"BatchGetValuesResponse", {{"spreadsheetId", ""}, {"valueRanges", "ValueRange"}}},
      {"UpdateValuesResponse",
       {{"spreadsheetId", ""}, {"updatedRange", ""}, {"updatedRows", ""}, {"updatedColumns", ""},
        {"updatedCells", ""}, {"updatedData", "ValueRange"}}},
      {"BatchUpdateValuesResponse",
       {{"spreadsheetId", ""}, {"totalUpdatedRows", ""}, {"totalUpdatedColumns", ""}, {"totalUpdatedCells", ""},
        {"totalUpdatedSheets", ""}, {"responses", "UpdateValuesResponse"}}},
      {"AppendValuesResponse", {{"spreadsheetId", ""}, {"tableRange", ""}, {"updates", "UpdateValuesResponse"}}},
      {"ClearValuesResponse", {{"spreadsheetId", ""}, {"clearedRange", ""}}},
      {"BatchUpdateSpreadsheetResponse",
       {{"spreadsheetId", ""}, {"replies", ""}, {"updatedSpreadsheet", "Spreadsheet"}}},
      // Drive v3's File, as its reference lists the fields; the sandbox models few of them
      // (drive.cpp refuses the rest), and none below the top level.
      {"File",
       {{"kind", ""}, {"driveId", ""}, {"fileExtension", ""}, {"copyRequiresWriterPermission", ""},
        {"md5Checksum", ""}, {"contentHints", ""}, {"writersCanShare", ""}, {"viewedByMe", ""}, {"mimeType", ""},
        {"exportLinks", ""}, {"parents", ""}, {"thumbnailLink", ""}, {"iconLink", ""}, {"shared", ""},
        {"lastModifyingUser", ""}, {"owners", ""}, {"headRevisionId", ""}, {"sharingUser", ""},
        {"webViewLink", ""}, {"webContentLink", ""}, {"size", ""}, {"viewersCanCopyContent", ""},
        {"permissions", ""}, {"hasThumbnail", ""}, {"spaces", ""}, {"folderColorRgb", ""}, {"id", ""},
        {"name", ""}, {"description", ""}, {"starred", ""}, {"trashed", ""}, {"explicitlyTrashed", ""},
        {"createdTime", ""}, {"modifiedTime", ""}, {"modifiedByMeTime", ""}, {"viewedByMeTime", ""},
        {"sharedWithMeTime", ""}, {"quotaBytesUsed", ""}, {"version", ""}, {"originalFilename", ""},
        {"ownedByMe", ""}, {"fullFileExtension", ""}, {"properties", ""}, {"appProperties", ""},
        {"isAppAuthorized", ""}, {"teamDriveId", ""}, {"capabilities", ""}, {"hasAugmentedPermissions", ""},
        {"trashingUser", ""}, {"thumbnailVersion", ""}, {"trashedTime", ""}, {"modifiedByMe", ""},
        {"permissionIds", ""}, {"imageMediaMetadata", ""}, {"videoMediaMetadata", ""}, {"shortcutDetails", ""},
        {"contentRestrictions", ""}, {"resourceKey", ""}, {"linkShareMetadata", ""}, {"labelInfo", ""},
        {"sha1Checksum", ""}, {"sha256Checksum", ""}, {"inheritedPermissionsDisabled", ""},
        {"downloadRestrictions", ""}}},
  };
  return messages;
}

std::string_view root_message(GoogleMessage m) {
  switch (m) {
    case GoogleMessage::spreadsheet: return "Spreadsheet";
    case GoogleMessage::value_range: return "ValueRange";
    case GoogleMessage::batch_get_values: return "BatchGetValuesResponse";
    case GoogleMessage::update_values: return "UpdateValuesResponse";
    case GoogleMessage::batch_update_values: return "BatchUpdateValuesResponse";
    case GoogleMessage::append_values: return "AppendValuesResponse";
    case GoogleMessage::clear_values: return "ClearValuesResponse";
    case GoogleMessage::batch_update_spreadsheet: return "BatchUpdateSpreadsheetResponse";
    case GoogleMessage::drive_file: return "File";
  }
  return "Spreadsheet";
}

// Returns the field `name` of message `type`, or nullptr (always for a leaf, type "").
const SchemaField* find_field(std::string_view type, std::string_view name) {
  for (const SchemaMessage& m : schema()) {
    if (m.name != type) continue;
    for (const SchemaField& f : m.fields) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Recursive descent over the mask grammar:
//   list := item (',' item)*      item := segment (('.'|'/') segment)* ['(' list ')']
//   segment := name | '*'
// Each path is checked against the schema as it is read; the first bad one is the error.
class MaskParser {
 public:
  explicit MaskParser(std::string_view text) : m_text(text) {}

  std::expected<FieldMask, std::string> parse(std::string_view root) {
    FieldMask mask;
    if (auto ok = list(mask, root, ""); !ok) return std::unexpected(ok.error());
    if (m_pos != m_text.size()) return std::unexpected(std::string(m_text));
    return mask;
  }

 private:
  std::expected<void, std::string> list(FieldMask& into, std::string_view type, const std::string& prefix) {
    do {
      if (auto ok = item(into, type, prefix); !ok) return ok;
    } while (accept(','));
    return {};
  }

  std::expected<void, std::string> item(FieldMask& into, std::string_view type, std::string prefix) {
    FieldMask* node = &into;
    while (true) {
      std::string_view segment = name();
      if (segment.empty()) return std::unexpected(std::string(m_text));
      if (segment == "*") {
        // `*` keeps every field at its level; nothing may follow it.
        if (peek('.') || peek('/') || peek('(')) return std::unexpected(std::string(m_text));
        node->whole = true;
        return {};
      }
      std::string path = prefix.empty() ? std::string(segment) : prefix + "." + std::string(segment);
      const SchemaField* field = find_field(type, segment);
      if (!field) return std::unexpected(path);
      node = &node->children[std::string(segment)];
      type = field->type;
      prefix = std::move(path);
      if (!accept('.') && !accept('/')) break;
    }
    if (accept('(')) {
      if (auto ok = list(*node, type, prefix); !ok) return ok;
      if (!accept(')')) return std::unexpected(std::string(m_text));
    } else {
      node->whole = true;
    }
    return {};
  }

  std::string_view name() {
    if (accept('*')) return "*";
    std::size_t start = m_pos;
    while (m_pos < m_text.size() && name_char(m_text[m_pos])) ++m_pos;
    return m_text.substr(start, m_pos - start);
  }

  bool peek(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++m_pos;
    return true;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

void write_value(JsonOut& out, const Poco::Dynamic::Var& v);

void write_filtered(JsonOut& out, const Poco::Dynamic::Var& v, const FieldMask& mask) {
  if (mask.whole) {
    write_value(out, v);
    return;
  }
  switch (json_type(v)) {
    case JsonType::object: {
      const auto& obj = v.extract<Poco::JSON::Object::Ptr>();
      out.begin_object();
      for (const std::string& key : obj->getNames()) {
        auto child = mask.children.find(key);
        if (child == mask.children.end()) continue;
        out.key(key);
        write_filtered(out, obj->get(key), child->second);
      }
      out.end_object();
      return;
    }
    case JsonType::array: {
      const auto& arr = v.extract<Poco::JSON::Array::Ptr>();
      out.begin_array();
      for (unsigned i = 0; i < arr->size(); ++i) write_filtered(out, arr->get(i), mask);
      out.end_array();
      return;
    }
    default:
      write_value(out, v);
  }
}

void write_value(JsonOut& out, const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::null:
    case JsonType::other: out.null(); return;
    case JsonType::boolean: out.value(v.extract<bool>()); return;
    case JsonType::string: out.value(v.extract<std::string>()); return;
    case JsonType::integer:
    case JsonType::number:
      if (auto i = as_integer(v)) {
        out.value(*i);
      } else {
        out.value(v.convert<double>());
      }
      return;
    case JsonType::object:
    case JsonType::array: {
      if (json_type(v) == JsonType::object) {
        const auto& obj = v.extract<Poco::JSON::Object::Ptr>();
        out.begin_object();
        for (const std::string& key : obj->getNames()) {
          out.key(key);
          write_value(out, obj->get(key));
        }
        out.end_object();
      } else {
        const auto& arr = v.extract<Poco::JSON::Array::Ptr>();
        out.begin_array();
        for (unsigned i = 0; i < arr->size(); ++i) write_value(out, arr->get(i));
        out.end_array();
      }
      return;
    }
  }
}

}  // namespace

std::expected<FieldMask, std::string> parse_field_mask(std::string_view text, GoogleMessage message) {
  return MaskParser(text).parse(root_message(message));
}

std::string apply_field_mask(std::string_view json, const FieldMask& mask) {
  Poco::Dynamic::Var parsed;
  try {
    // Keep the keys in the order the body has them.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    parsed = parser.parse(std::string(json));
  } catch (const Poco::Exception&) {
    return std::string(json);
  }
  if (json_type(parsed) != JsonType::object) return std::string(json);
  JsonOut out;
  write_filtered(out, parsed, mask);
  return out.take();
}

}  // namespace pinsync_sandbox

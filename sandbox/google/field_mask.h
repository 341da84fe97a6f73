// Partial responses of the emulated Sheets and Drive APIs: the `fields` system parameter (or,
// for Sheets, the X-Goog-FieldMask header). A mask is parsed with Google's grammar (comma lists, `.` or `/`
// paths, parenthesised sub-selections, `*`), checked against the schema of the method's
// response message, and applied to a success body. docs/sandbox.md, "Partial responses".
#pragma once

#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace pinsync_sandbox {

// The response message a Sheets or Drive method answers with; the mask is checked against its
// schema.
enum class GoogleMessage {
  spreadsheet,               // spreadsheets.get
  value_range,               // values.get
  batch_get_values,          // values.batchGet
  update_values,             // values.update
  batch_update_values,       // values.batchUpdate
  append_values,             // values.append
  clear_values,              // values.clear
  batch_update_spreadsheet,  // spreadsheets.batchUpdate
  drive_file,                // Drive v3 files.get: File, every field a leaf
};

// A parsed mask: which fields of one message to keep.
struct FieldMask {
  bool whole = false;  // keep the whole value (a path ends here, or `*`)
  std::map<std::string, FieldMask, std::less<>> children;
};

// Parses `text` and checks every path against the schema of `message`. Returns the mask, or the
// dotted path Google names in its error ("sheets.sheetProperties"; for text that does not parse,
// the text itself).
std::expected<FieldMask, std::string> parse_field_mask(std::string_view text, GoogleMessage message);

// Returns `json` (one JSON object, compact or pretty) reduced to the fields `mask` keeps, compact,
// keys in their original order; an element of a repeated field is reduced like a single value.
// Returns `json` unchanged when it is not a JSON object.
std::string apply_field_mask(std::string_view json, const FieldMask& mask);

}  // namespace pinsync_sandbox

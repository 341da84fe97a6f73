// JSON helpers of the sandbox: a small writer for responses, parsing request bodies with
// Poco::JSON, type checks on parsed values, and the canonical form used to compare
// idempotent payloads structurally (key order and whitespace do not matter); and the
// ASCII case folding of keys compared without case (headers, e-mail addresses, titles).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

namespace pinsync_sandbox {

// `c` turned into a-z when it is A-Z; any other byte unchanged.
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
// `s` with A-Z turned into a-z.
std::string ascii_lower(std::string_view s);
// True when `a` and `b` are equal ignoring the case of A-Z.
bool iequals(std::string_view a, std::string_view b);
// True when `s` begins with `prefix`, ignoring the case of A-Z.
bool istarts_with(std::string_view s, std::string_view prefix);

// Builds JSON text with keys in the order written.
class JsonOut {
 public:
  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view k);
  JsonOut& value(std::string_view s);
  JsonOut& value(const char* s) { return value(std::string_view(s)); }
  JsonOut& value(std::int64_t n);
  JsonOut& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonOut& value(double d);
  JsonOut& value(bool b);
  JsonOut& null();
  // Writes `s` when present, null otherwise.
  JsonOut& value_or_null(const std::optional<std::string>& s);
  // Inserts already-serialised JSON as one value.
  JsonOut& raw(std::string_view json_text);
  std::string take() { return std::move(m_out); }

 private:
  void separate();
  std::string m_out;
  bool m_need_comma = false;
};

// Appends `s` to `out` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

enum class JsonType { null, boolean, integer, number, string, object, array, other };

// Returns the JSON type of a value produced by Poco::JSON::Parser.
JsonType json_type(const Poco::Dynamic::Var& v);

// Returns the value as an integer when it is a JSON number with an integral value in the
// int64 range (42 and 42.0 both count, as in JavaScript); nullopt otherwise.
std::optional<std::int64_t> as_integer(const Poco::Dynamic::Var& v);

// Returns the value as a double when it is a JSON number; nullopt otherwise.
std::optional<double> as_number(const Poco::Dynamic::Var& v);

// Parses a request body that must be one JSON object. Returns the object, or the issue
// ("malformed JSON: …", "must be a JSON object", "nesting too deep") on failure.
std::expected<Poco::JSON::Object::Ptr, std::string> parse_json_object(std::string_view body);

// Returns the canonical text of a parsed value: object keys sorted, no whitespace,
// integral numbers written as integers. Equal canonical texts mean structurally equal JSON.
std::string canonical_json(const Poco::Dynamic::Var& v);

}  // namespace pinsync_sandbox

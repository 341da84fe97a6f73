#include "sandbox/http/json_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <typeinfo>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace pinsync_sandbox {

namespace {

// Deeper bodies are refused before parsing: Poco builds and destroys nested values
// recursively, and a 1 MiB body of '[' would otherwise exhaust the stack.
constexpr int k_max_depth = 64;

bool nesting_within_limit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  if (d == std::trunc(d) && std::fabs(d) < 9.0e15) {
    out += std::to_string(static_cast<std::int64_t>(d));
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, res.ptr);
}

void canonical_into(std::string& out, const Poco::Dynamic::Var& v) {
  switch (json_type(v)) {
    case JsonType::null:
    case JsonType::other:
      out += "null";
      return;
    case JsonType::boolean:
      out += v.extract<bool>() ? "true" : "false";
      return;
    case JsonType::integer:
      if (auto i = as_integer(v)) {
        out += std::to_string(*i);
      } else {
        out += v.toString();  // beyond int64: keep Poco's exact digits
      }
      return;
    case JsonType::number:
      append_number(out, v.convert<double>());
      return;
    case JsonType::string:
      append_json_string(out, v.extract<std::string>());
      return;
    case JsonType::array: {
      const auto& arr = v.extract<Poco::JSON::Array::Ptr>();
      out += '[';
      for (std::size_t i = 0; i < arr->size(); ++i) {
        if (i) out += ',';
        canonical_into(out, arr->get(static_cast<unsigned>(i)));
      }
      out += ']';
      return;
    }
    case JsonType::object: {
      const auto& obj = v.extract<Poco::JSON::Object::Ptr>();
      std::vector<std::string> names = obj->getNames();
      std::sort(names.begin(), names.end());
      out += '{';
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, names[i]);
        out += ':';
        canonical_into(out, obj->get(names[i]));
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void JsonOut::separate() {
  if (m_need_comma) m_out += ',';
  m_need_comma = true;
}

JsonOut& JsonOut::begin_object() {
  separate();
  m_out += '{';
  m_need_comma = false;
  return *this;
}

JsonOut& JsonOut::end_object() {
  m_out += '}';
  m_need_comma = true;
  return *this;
}

JsonOut& JsonOut::begin_array() {
  separate();
  m_out += '[';
  m_need_comma = false;
  return *this;
}

JsonOut& JsonOut::end_array() {
  m_out += ']';
  m_need_comma = true;
  return *this;
}

JsonOut& JsonOut::key(std::string_view k) {
  separate();
  append_json_string(m_out, k);
  m_out += ':';
  m_need_comma = false;
  return *this;
}

JsonOut& JsonOut::value(std::string_view s) {
  separate();
  append_json_string(m_out, s);
  return *this;
}

JsonOut& JsonOut::value(std::int64_t n) {
  separate();
  m_out += std::to_string(n);
  return *this;
}

JsonOut& JsonOut::value(double d) {
  separate();
  append_number(m_out, d);
  return *this;
}

JsonOut& JsonOut::value(bool b) {
  separate();
  m_out += b ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::null() {
  separate();
  m_out += "null";
  return *this;
}

JsonOut& JsonOut::value_or_null(const std::optional<std::string>& s) {
  return s ? value(*s) : null();
}

JsonOut& JsonOut::raw(std::string_view json_text) {
  separate();
  m_out += json_text;
  return *this;
}

JsonType json_type(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return JsonType::null;
  const std::type_info& t = v.type();
  if (t == typeid(bool)) return JsonType::boolean;
  if (t == typeid(Poco::JSON::Object::Ptr)) return JsonType::object;
  if (t == typeid(Poco::JSON::Array::Ptr)) return JsonType::array;
  if (v.isString()) return JsonType::string;
  if (v.isInteger()) return JsonType::integer;
  if (v.isNumeric()) return JsonType::number;
  return JsonType::other;
}

std::optional<std::int64_t> as_integer(const Poco::Dynamic::Var& v) {
  try {
    switch (json_type(v)) {
      case JsonType::integer:
        return v.convert<Poco::Int64>();
      case JsonType::number: {
        double d = v.convert<double>();
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0) {
          return static_cast<std::int64_t>(d);
        }
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  } catch (const Poco::Exception&) {
    return std::nullopt;  // an unsigned value beyond int64
  }
}

std::optional<double> as_number(const Poco::Dynamic::Var& v) {
  auto t = json_type(v);
  if (t != JsonType::integer && t != JsonType::number) return std::nullopt;
  try {
    return v.convert<double>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::expected<Poco::JSON::Object::Ptr, std::string> parse_json_object(std::string_view body) {
  if (!nesting_within_limit(body)) {
    return std::unexpected(std::string("JSON nesting deeper than 64 levels"));
  }
  Poco::Dynamic::Var parsed;
  try {
    Poco::JSON::Parser parser;
    parsed = parser.parse(std::string(body));
  } catch (const Poco::Exception& e) {
    return std::unexpected("malformed JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return std::unexpected(std::string("malformed JSON: ") + e.what());
  }
  if (json_type(parsed) != JsonType::object) {
    return std::unexpected(std::string("the body must be a JSON object"));
  }
  return parsed.extract<Poco::JSON::Object::Ptr>();
}

std::string canonical_json(const Poco::Dynamic::Var& v) {
  std::string out;
  canonical_into(out, v);
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace pinsync_sandbox

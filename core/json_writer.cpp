#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "core/utf8.h"

namespace pinsync::json {


void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    // Fast path: copy a run of characters that need no escaping in one append.
    std::size_t run = i;
    while (run < s.size()) {
      const auto b = static_cast<unsigned char>(s[run]);
      if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
      continue;
    }
    const std::size_t len = utf8::sequence_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD replacement character
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  out.push_back('"');
}

void Writer::separate() {
  if (m_need_comma) m_out.push_back(',');
  m_need_comma = true;
}

Writer& Writer::begin_object() {
  separate();
  m_out.push_back('{');
  m_need_comma = false;
  return *this;
}

Writer& Writer::end_object() {
  m_out.push_back('}');
  m_need_comma = true;
  return *this;
}

Writer& Writer::begin_array() {
  separate();
  m_out.push_back('[');
  m_need_comma = false;
  return *this;
}

Writer& Writer::end_array() {
  m_out.push_back(']');
  m_need_comma = true;
  return *this;
}

Writer& Writer::key(std::string_view k) {
  separate();
  append_quoted(m_out, k);
  m_out.push_back(':');
  m_need_comma = false;
  return *this;
}

Writer& Writer::value(std::string_view s) {
  separate();
  append_quoted(m_out, s);
  return *this;
}

Writer& Writer::value(std::int64_t n) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  m_out.append(buf, end);
  return *this;
}

Writer& Writer::value(double d) {
  separate();
  if (!std::isfinite(d)) {
    m_out += "null";
    return *this;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  m_out.append(buf, end);
  return *this;
}

Writer& Writer::value(bool b) {
  separate();
  m_out += b ? "true" : "false";
  return *this;
}

Writer& Writer::null() {
  separate();
  m_out += "null";
  return *this;
}

void Writer::flush_to(std::ostream& out) {
  out << m_out;
  m_out.clear();
}

Writer& Writer::raw(std::string_view json_text) {
  separate();
  m_out.append(json_text);
  return *this;
}

}  // namespace pinsync::json

#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace pinsync::json {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  std::uint32_t min = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; cp = c & 0x07; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
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
    const std::size_t len = utf8_sequence_length(s, i);
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

Writer& Writer::raw(std::string_view json_text) {
  separate();
  m_out.append(json_text);
  return *this;
}

}  // namespace pinsync::json

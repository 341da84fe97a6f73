// Builds JSON text. Objects written with JsonWriter keep keys in insertion order; the
// canonical form used for payload hashes is produced by writing keys in sorted order,
// which the mapper does. Strings are escaped per RFC 8259; invalid UTF-8 is replaced
// with U+FFFD so the output is always valid JSON.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace pinsync::json {

class Writer {
 public:
  Writer() = default;
  // Writes into `buffer`'s storage (its text is cleared): a caller writing many documents
  // passes the string take() gave it last time and saves the growth allocations.
  explicit Writer(std::string buffer) : m_out(std::move(buffer)) { m_out.clear(); }

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view k);
  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(std::int64_t n);
  Writer& value(double d);
  Writer& value(bool b);
  Writer& null();
  // Inserts already-serialised JSON as one value.
  Writer& raw(std::string_view json_text);

  const std::string& str() const { return m_out; }
  // Writes the text so far to `out` and forgets it; the document goes on where it was, so
  // a long one is streamed in pieces, never held whole.
  void flush_to(std::ostream& out);
  std::string take() { return std::move(m_out); }

 private:
  void separate();
  std::string m_out;
  bool m_need_comma = false;
};

// Appends `s` as a quoted JSON string to `out`.
void append_quoted(std::string& out, std::string_view s);

}  // namespace pinsync::json

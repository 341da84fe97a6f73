#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "core/json_writer.h"

using pinsync::json::Writer;

TEST_CASE("json writer: nested objects and arrays keep insertion order and commas") {
  Writer w;
  w.begin_object().key("b").value(std::int64_t{1}).key("a").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().end_object().end_object();
  CHECK(w.str() == R"({"b":1,"a":["x",true,null],"c":{}})");
}

TEST_CASE("json writer: a reused buffer starts empty, keeps its storage and writes the same text") {
  Writer first;
  first.begin_object().key("title").value("a long enough title to leave the small-string buffer").end_object();
  std::string buffer = first.take();
  const std::size_t capacity = buffer.capacity();
  const char* storage = buffer.data();

  Writer again(std::move(buffer));
  CHECK(again.str().empty());  // nothing of the previous document, not even a comma
  again.begin_object().key("b").value(std::int64_t{2}).end_object();
  CHECK(again.str() == R"({"b":2})");
  CHECK(again.str().capacity() == capacity);
  CHECK(again.str().data() == storage);
}

TEST_CASE("json writer: escapes quotes, backslashes and control characters") {
  Writer w;
  w.value(std::string_view("a\"b\\c\n\x01"));
  CHECK(w.str() == R"("a\"b\\c\n\u0001")");
}

TEST_CASE("json writer: keeps valid UTF-8 and replaces invalid bytes with U+FFFD") {
  Writer ok;
  ok.value("Caf\xC3\xA9 \xE2\x82\xAC");
  CHECK(ok.str() == "\"Caf\xC3\xA9 \xE2\x82\xAC\"");
  Writer bad;
  bad.value(std::string_view("a\xFF" "b\xC3"));
  CHECK(bad.str() == "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"");
}

TEST_CASE("json writer: doubles are written shortest-exact, non-finite as null") {
  Writer w;
  w.begin_array().value(12.5).value(0.1).value(std::numeric_limits<double>::infinity()).end_array();
  CHECK(w.str() == "[12.5,0.1,null]");
}

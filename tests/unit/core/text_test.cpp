#include <doctest/doctest.h>

#include "core/text.h"

using namespace pinsync;

TEST_CASE("text: trim and is_space know the six ASCII blanks and nothing else") {
  CHECK(text::trim(" \t\r\n\v\fa b\r\n") == "a b");
  CHECK(text::trim("\xc2\xa0x") == "\xc2\xa0x");  // a UTF-8 no-break space is text
  CHECK(text::trim("   ").empty());
  CHECK(!text::is_space('\0'));
}

TEST_CASE("text: ascii_lower and iequals fold A-Z only") {
  CHECK(text::ascii_lower("Content-TYPE: Ä") == "content-type: Ä");
  CHECK(text::iequals("HTTPS://Host", "https://host"));
  CHECK(!text::iequals("host", "hosts"));
}

TEST_CASE("text: istarts_with ignores case on either side and needs the whole prefix") {
  CHECK(text::istarts_with("Text/HTML; charset=utf-8", "text/html"));
  CHECK(text::istarts_with("<!DOCTYPE html>", "<!doctype HTML"));
  CHECK(text::istarts_with("anything", ""));
  CHECK(!text::istarts_with("<htm", "<html"));
  CHECK(!text::istarts_with("text/plain", "text/html"));
}

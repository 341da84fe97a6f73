#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "connectors/a1_range.h"

using namespace pinsync::connectors;

TEST_CASE("a1: column letters and indexes round trip") {
  const std::pair<int, const char*> cases[] = {{0, "A"},    {25, "Z"},   {26, "AA"},  {51, "AZ"},
                                               {52, "BA"},  {701, "ZZ"}, {702, "AAA"}, {18277, "ZZZ"}};
  for (const auto& [index, letters] : cases) {
    CAPTURE(letters);
    CHECK(column_letters(index) == letters);
    CHECK(column_index(letters) == index);
  }
  CHECK(column_index("aa") == 26);
  CHECK(column_letters(-1).empty());
  for (int i = 0; i < 20000; ++i) REQUIRE(column_index(column_letters(i)) == i);
  CHECK_FALSE(column_index("").has_value());
  CHECK_FALSE(column_index("A1").has_value());
  CHECK_FALSE(column_index("ABCDEFGH").has_value());
}

TEST_CASE("a1: sheet titles are always quoted, apostrophes doubled") {
  CHECK(quote_sheet_title("Sheet1") == "'Sheet1'");
  CHECK(quote_sheet_title("Partner Events") == "'Partner Events'");
  CHECK(quote_sheet_title("It's") == "'It''s'");
  CHECK(quote_sheet_title("D3") == "'D3'");
}

TEST_CASE("a1: ranges parse into sheet and ends and format back") {
  struct Case {
    const char* text;
    const char* sheet;
    const char* formatted;
  };
  const Case cases[] = {
      {"'Partner Events'!A1:K", "Partner Events", "'Partner Events'!A1:K"},
      {"Sheet1", "Sheet1", "'Sheet1'"},
      {"'It''s'!A:A", "It's", "'It''s'!A:A"},
      {"Sheet1!A1:B2", "Sheet1", "'Sheet1'!A1:B2"},
      {"Sheet1!1:2", "Sheet1", "'Sheet1'!1:2"},
      {"Sheet1!A5:A", "Sheet1", "'Sheet1'!A5:A"},
      {"A1:B2", "", "A1:B2"},
      {"'D3'!A1:D4", "D3", "'D3'!A1:D4"},
      {"'My Custom Sheet'!A:A", "My Custom Sheet", "'My Custom Sheet'!A:A"},
      {"Events!C12", "Events", "'Events'!C12"},
      {"🌵 test 1!A:A", "🌵 test 1", "'🌵 test 1'!A:A"},
      {"'Jon's_Data'!A1:D5", "Jon's_Data", "'Jon''s_Data'!A1:D5"},  // the docs' un-doubled form
      {"Partner Events", "Partner Events", "'Partner Events'"},
      {"'Sheet!1'", "Sheet!1", "'Sheet!1'"},
      {"Sheet1!$A$1:$B$2", "Sheet1", "'Sheet1'!A1:B2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = parse_a1_range(c.text);
    REQUIRE_MESSAGE(r.has_value(), r.error().message);
    CHECK(r->sheet == c.sheet);
    CHECK(format_a1_range(*r) == c.formatted);
    auto again = parse_a1_range(format_a1_range(*r));
    REQUIRE(again.has_value());
    CHECK(*again == *r);
  }
}

TEST_CASE("a1: the parts of a range are where the API puts them") {
  auto r = parse_a1_range("'Partner Events'!B5:K");
  REQUIRE(r.has_value());
  REQUIRE(r->start.has_value());
  CHECK(r->start->column == 1);
  CHECK(r->start->row == 5);
  REQUIRE(r->end.has_value());
  CHECK(r->end->column == 10);
  CHECK_FALSE(r->end->row.has_value());

  auto whole = parse_a1_range("Sheet1");
  REQUIRE(whole.has_value());
  CHECK_FALSE(whole->start.has_value());

  auto cell = parse_a1_range("A1");
  REQUIRE(cell.has_value());
  CHECK(cell->sheet.empty());
  CHECK(cell->start == A1Point{0, 1});
  CHECK_FALSE(cell->end.has_value());

  // Up to three letters is a column (ZZZ is the last), so these differ as Google's do.
  auto cell3 = parse_a1_range("ABC1");
  REQUIRE(cell3.has_value());
  CHECK(cell3->sheet.empty());
  CHECK(cell3->start == A1Point{column_index("ABC"), 1});
  auto title = parse_a1_range("Sheet1");
  REQUIRE(title.has_value());
  CHECK(title->sheet == "Sheet1");

  auto rows = parse_a1_range("Sheet1!1:2");
  REQUIRE(rows.has_value());
  CHECK(rows->start == A1Point{std::nullopt, 1});
  CHECK(rows->end == A1Point{std::nullopt, 2});
}

TEST_CASE("a1: malformed ranges are config errors naming the text") {
  for (const char* text : {"", "'Unclosed!A1", "Sheet1!", "Sheet1!A1:", "Sheet1!1A", "Sheet1!B2:A1", "Sheet1!A:1",
                           "''!A1", "!A1"}) {
    CAPTURE(text);
    auto r = parse_a1_range(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == pinsync::ErrorKind::config);
    CHECK_CONTAINS(r.error().message, std::string("\"") + text + "\"");
  }
}

TEST_CASE("a1: cells and row runs for write-back") {
  CHECK(a1_cell("Partner Events", 0, 12) == "'Partner Events'!A12");
  CHECK(a1_cell("It's", 27, 3) == "'It''s'!AB3");
  CHECK(a1_row_run("Events", 2, 4, 7) == "'Events'!C7:E7");
  CHECK(a1_row_run("Events", 2, 2, 7) == "'Events'!C7");
}

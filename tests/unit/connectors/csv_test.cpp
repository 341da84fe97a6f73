#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <chrono>

#include "connectors/csv.h"

using pinsync::connectors::parse_csv;
using pinsync::connectors::Table;

namespace {

Table parse_ok(std::string_view text) {
  auto r = parse_csv(text, "partner.csv");
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  return *r;
}

std::string parse_error(std::string_view text) {
  auto r = parse_csv(text, "partner.csv");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == pinsync::ErrorKind::invalid);
  return r.error().message;
}

using Cells = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: header names are trimmed, rows keep their physical line") {
  const Table t = parse_ok(" ID , Title\n1,Jazz\n2,Blues\n");
  CHECK(t.columns == Cells{"ID", "Title"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].cells == Cells{"1", "Jazz"});
  CHECK(t.rows[0].row_ref == "partner.csv:2");
  CHECK(t.rows[1].row_ref == "partner.csv:3");
  CHECK(t.rows[0].native_id.empty());
}

TEST_CASE("csv: quoted fields hold commas, doubled quotes and line breaks as written") {
  const Table t = parse_ok(
      "ID,Title,Notes\r\n"
      "1,\"Rock, Paper\",\"She said \"\"hi\"\"\"\r\n"
      "2,\"two\nlines\",\"crlf\r\ninside\"\r\n"
      "3,after,\"\"\r\n");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].cells == Cells{"1", "Rock, Paper", "She said \"hi\""});
  CHECK(t.rows[1].cells == Cells{"2", "two\nlines", "crlf\r\ninside"});
  CHECK(t.rows[2].cells == Cells{"3", "after", ""});
  CHECK(t.rows[1].row_ref == "partner.csv:3");
  // The record above spans lines 3 to 5 (one LF and one CRLF inside quotes).
  CHECK(t.rows[2].row_ref == "partner.csv:6");
}

TEST_CASE("csv: CR-only line ends and a missing final newline") {
  const Table t = parse_ok("A,B\r1,2\r3,4");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[1].cells == Cells{"3", "4"});
  CHECK(t.rows[1].row_ref == "partner.csv:3");
}

TEST_CASE("csv: a UTF-8 BOM is dropped from the first header name") {
  const Table t = parse_ok("\xEF\xBB\xBFID,Title\n1,x\n");
  CHECK(t.columns[0] == "ID");
}

TEST_CASE("csv: blank rows anywhere are skipped and never end the read") {
  const Table t = parse_ok("ID,Title\n\n1,a\n , \n,,\n2,b\n\n\n");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].row_ref == "partner.csv:3");
  CHECK(t.rows[1].cells == Cells{"2", "b"});
  CHECK(t.rows[1].row_ref == "partner.csv:6");
}

TEST_CASE("csv: short rows are padded, cells past the header are left out") {
  const Table t = parse_ok("A,B,C\n1\n1,2,3,4,5\n");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].cells == Cells{"1", "", ""});
  CHECK(t.rows[1].cells == Cells{"1", "2", "3"});
}

// Regression (found by fuzz_csv): a line with text only past the header's width became a
// row of empty cells, which reading the table back as CSV then skipped.
TEST_CASE("csv: a line whose only text lies past the header is blank") {
  const Table t = parse_ok("A,B\n1,2\n,,note in an unnamed column\n3,4\n");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].cells == Cells{"1", "2"});
  CHECK(t.rows[1].cells == Cells{"3", "4"});
  CHECK(t.rows[1].row_ref == "partner.csv:4");
}

TEST_CASE("csv: a trailing comma is an empty last field") {
  const Table t = parse_ok("A,B,C\n1,2,\n");
  CHECK(t.rows[0].cells == Cells{"1", "2", ""});
}

TEST_CASE("csv: an unterminated quote names the line where the field started") {
  const std::string msg = parse_error("ID,Notes\n1,ok\n2,\"never\nclosed\n3,x\n");
  CHECK(msg.starts_with("partner.csv:3: "));
  CHECK_CONTAINS(msg, "never closed");
}

TEST_CASE("csv: header problems are errors naming the column") {
  const std::string dup = parse_error("ID,Title, Title \n1,a,b\n");
  CHECK(dup.starts_with("partner.csv:1: "));
  CHECK_CONTAINS(dup, "\"Title\" appears twice");
  CHECK_CONTAINS(dup, "columns 2 and 3");

  const std::string unnamed = parse_error("ID,,Title\n1,,a\n2,oops,b\n");
  CHECK_CONTAINS(unnamed, "column 2 has no header name");
  CHECK_CONTAINS(unnamed, "partner.csv:3");

  const Table ok = parse_ok("ID,,Title,\n1,,a,\n");  // empty names over empty columns are fine
  CHECK(ok.columns.size() == 4);

  CHECK_CONTAINS(parse_error(""), "no header row");
  CHECK_CONTAINS(parse_error("\n \n"), "no header row");
}

TEST_CASE("csv: 100,000 rows parse in one pass (timing printed)") {
  std::string text = "Event ID,Approved,Title,Date,Start,Notes\n";
  for (int i = 0; i < 100'000; ++i) {
    text += "E-" + std::to_string(i) + ",yes,\"Show, number " + std::to_string(i) +
            "\",2026-06-12,20:00,\"a \"\"quoted\"\" note\nover two lines\"\n";
  }
  const auto started = std::chrono::steady_clock::now();
  auto t = parse_csv(text, "big.csv");
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("parsed 100000 rows (" << text.size() / 1024 << " KiB) in " << ms << " ms");
  REQUIRE(t.has_value());
  REQUIRE(t->rows.size() == 100'000);
  CHECK(t->rows.back().row_ref == "big.csv:" + std::to_string(2 + 2 * 99'999));
  CHECK(t->rows.back().cells[5] == "a \"quoted\" note\nover two lines");
}

namespace {

// Collects what a CsvParser hands over, to compare a read in pieces with parse_csv.
class Collect final : public pinsync::connectors::RowSink {
 public:
  pinsync::Result<void> begin(const Table& header) override {
    table.columns = header.columns;
    ++begun;
    return {};
  }
  void row(pinsync::connectors::Row&& row) override { table.rows.push_back(std::move(row)); }
  Table table;
  int begun = 0;
};

// The text fed in pieces of `size` bytes (the last one shorter); the error message or "".
std::string parse_in_pieces(std::string_view text, std::size_t size, Table& out, std::size_t max_rows = 0) {
  Collect sink;
  pinsync::connectors::CsvParser parser("partner.csv", sink, max_rows);
  for (std::size_t at = 0; at < text.size(); at += size) {
    if (auto fed = parser.feed(text.substr(at, size)); !fed) return fed.error().message;
  }
  if (auto done = parser.finish(); !done) return done.error().message;
  CHECK(sink.begun == 1);
  out = std::move(sink.table);
  return "";
}

}  // namespace

TEST_CASE("csv: text read in pieces parses as the whole, wherever the pieces split") {
  // Every split point falls somewhere awkward: inside a quoted field, between the two
  // quotes of an escaped one, between CR and LF, inside the BOM, on a blank line.
  const std::string text =
      "\xEF\xBB\xBFID,Title,Notes\r\n1,\"a, b\",\"say \"\"hi\"\"\"\r\n\r\n2,plain,\"two\r\nlines\"\r"
      "3,cr only,x\n4,last,\"\"";
  const Table whole = parse_ok(text);
  REQUIRE(whole.rows.size() == 4);
  for (std::size_t size = 1; size <= text.size(); ++size) {
    CAPTURE(size);
    Table pieces;
    REQUIRE(parse_in_pieces(text, size, pieces) == "");
    CHECK(pieces.columns == whole.columns);
    REQUIRE(pieces.rows.size() == whole.rows.size());
    for (std::size_t i = 0; i < whole.rows.size(); ++i) {
      CHECK(pieces.rows[i].row_ref == whole.rows[i].row_ref);
      CHECK(pieces.rows[i].cells == whole.rows[i].cells);
    }
  }
  // Errors name the same line however the text arrives.
  Table unused;
  for (std::size_t size : {1, 2, 5, 1000}) {
    CAPTURE(size);
    CHECK(parse_in_pieces("ID,Notes\n1,ok\n2,\"never\nclosed\n3,x\n", size, unused).starts_with("partner.csv:3: "));
  }
}

TEST_CASE("csv: past max_rows the read stops at once, naming the limit") {
  Collect sink;
  pinsync::connectors::CsvParser parser("partner.csv", sink, 2);
  REQUIRE(parser.feed("ID,Title\n1,a\n2,b\n"));
  const auto third = parser.feed("3,c\n4,d\n");
  REQUIRE_FALSE(third);
  CHECK(third.error().kind == pinsync::ErrorKind::config);
  CHECK(third.error().message == "partner.csv has more than max_rows (2) rows: raise max_rows if the source is meant "
                                 "to be this large");
  CHECK(sink.table.rows.size() == 2);
}

// Bad input of every kind, end to end: each bad row or config gets a message naming where it
// came from and what to do, the other rows still sync, and nothing is lost or removed by
// mistake (a renamed header stops the source; an empty read is suspect).
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/csv_world.h"

using pinsync::test::CsvWorld;
using pinsync::test::k_csv_header;
using pinsync::test::row;
using pinsync::test::rows;

namespace {

// The report line of row `ref` (e.g. "partner.csv:4"), or "".
std::string line_of(const std::string& out, const std::string& ref) {
  const auto at = out.find(ref + " ");
  if (at == std::string::npos) return "";
  const auto start = out.rfind('\n', at) + 1;
  return out.substr(start, out.find('\n', at) - start);
}

}  // namespace

TEST_CASE("bad rows: each says which cell and why, is never sent, and the good rows sync") {
  CsvWorld w;
  std::string body = row("G-1", "yes", "Good one", "6/10/2026", "8:00 PM") +      // :2
                     row("G-2", "yes", "Good two", "6/11/2026", "8:00 PM") +      // :3
                     row("B-1", "yes", "", "6/12/2026", "8:00 PM") +              // :4 empty title
                     row("B-2", "yes", "Bad date", "2/30/2026", "8:00 PM") +      // :5
                     row("B-3", "yes", "Bad zone", "6/12/2026", "8:00 PM", "Jazz", "New York", "Mars/Base") +
                     row("B-4", "yes", "Bad category", "6/12/2026", "8:00 PM", "Opera") +  // :7
                     row("B-5", "yes", "#REF!", "6/12/2026", "8:00 PM") +         // :8
                     row("B-6", "yes", "NA", "#N/A", "8:00 PM") +                 // :9
                     row("B-7", "yes", "Value", "6/12/2026", "#VALUE!") +         // :10
                     row("B-8", "yes", "Twin one", "6/12/2026", "8:00 PM") +      // :11
                     row("B-8", "yes", "Twin two", "6/13/2026", "8:00 PM") +      // :12
                     row("", "yes", "No id", "6/12/2026", "8:00 PM");             // :13
  // :14, a 100 kB description; :15, a title that is not UTF-8.
  body += "B-9,yes,Big,6/12/2026,8:00 PM,11:00 PM,,Jazz,New York,Venue," + std::string(100'000, 'x') + ",,\n";
  body += "B-10,yes,Caf\xe9 \xff,6/12/2026,8:00 PM,11:00 PM,,Jazz,New York,Venue,About,,\n";
  w.sheet(body);

  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 5);
  CHECK_CONTAINS(r.out, "2 created");
  CHECK_CONTAINS(r.out, "12 invalid");
  CHECK(w.posts() == 2);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"partner.csv:4", "Title: the title is empty"},
      {"partner.csv:5", "Date: \"2/30/2026\" is not a date (February 2026 has 28 days)"},
      {"partner.csv:6", "Time zone: unknown time zone \"Mars/Base\""},
      {"partner.csv:7", "Category: \"Opera\""},
      {"partner.csv:8", "Title: the cell shows the spreadsheet error #REF!"},
      {"partner.csv:9", "Date: the cell shows the spreadsheet error #N/A"},
      {"partner.csv:10", "Start: the cell shows the spreadsheet error #VALUE!"},
      {"partner.csv:11", "the ID \"B-8\" is used by more than one row (also partner.csv:12)"},
      {"partner.csv:12", "the ID \"B-8\" is used by more than one row (also partner.csv:11)"},
      {"partner.csv:13", "Event ID: the row has no Event ID"},
      {"partner.csv:14", "Description: the cell holds 100000 bytes, more than the 50000 allowed"},
      {"partner.csv:15", "Title: the cell is not valid UTF-8 text"},
  };
  for (const auto& [ref, says] : expected) {
    CAPTURE(ref);
    const std::string line = line_of(r.out, ref);
    CHECK_CONTAINS(line, "invalid");
    CHECK_CONTAINS(line, says);
  }
  // `errors` lists the same rows for the operator, with the cell value cut short.
  const auto errors = w.pinsync({"errors"});
  CHECK_CONTAINS(errors.out, "partner.csv:5");
  CHECK_CONTAINS(errors.out, "2/30/2026");
  CHECK(errors.out.size() < 20'000);  // the 100 kB cell is not repeated whole

  // Fixing one row sends exactly that row.
  w.sheet(row("G-1", "yes", "Good one", "6/10/2026", "8:00 PM") + row("G-2", "yes", "Good two", "6/11/2026", "8:00 PM") +
          row("B-2", "yes", "Bad date", "2/28/2026", "8:00 PM"));
  const auto fixed = w.pinsync({"sync"});
  CHECK_CONTAINS(fixed.out, "1 created");
  CHECK(w.posts() == 3);
}

TEST_CASE("a renamed header stops the source with one message; nothing is marked invalid or removed") {
  CsvWorld w;
  w.sheet(rows(5));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  std::string renamed = k_csv_header;
  renamed.replace(renamed.find("Date"), 4, "Day");
  w.dir.write("partner.csv", renamed + rows(5));
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 3);
  const std::string all = r.out + r.err;
  CHECK_CONTAINS(all, "\"Date\"");
  CHECK_NOT_CONTAINS(r.out, "  invalid ");  // one message for the source, not one per row
  const auto status = w.pinsync({"status", "--json"});
  CHECK_CONTAINS(status.out, R"("synced":5)");
}

TEST_CASE("a source that suddenly reads empty or loses many rows is suspect until the operator accepts") {
  CsvWorld w;
  w.sheet(rows(10));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);

  w.sheet("");  // a half-written export: the header and nothing else
  const auto empty = w.pinsync({"sync"});
  CHECK(empty.exit_code == 5);
  CHECK_CONTAINS(empty.out, "0 removed");
  CHECK_CONTAINS(empty.out, "SUSPECT READ, nothing marked removed");
  CHECK_CONTAINS(empty.out, "no approved row now, but 10 were approved before");
  CHECK_CONTAINS(empty.out, "pinsync resync --source acme --accept-removals");

  w.sheet(rows(7));  // three of ten gone: 30% > 20%
  const auto shrunk = w.pinsync({"sync"});
  CHECK(shrunk.exit_code == 5);
  CHECK_CONTAINS(shrunk.out, "3 of 10 approved rows (30%) would be marked removed");
  CHECK_CONTAINS(w.pinsync({"status", "--json"}).out, R"("synced":10)");

  const auto accepted = w.pinsync({"resync", "--source", "acme", "--accept-removals", "--local"});
  CHECK(accepted.exit_code == 0);
  CHECK_CONTAINS(accepted.out, "3 removed");
  CHECK(w.events()->size() == 10);  // removed rows keep their events
}

TEST_CASE("bad configs: each stops pinsync at start naming the file, line and key, and writes nothing") {
  CsvWorld w;
  w.sheet(rows(1));
  std::ifstream in(w.config);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  struct Case {
    std::string name;
    std::string yaml;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"YAML syntax", good + "  - [unclosed\n", "pinsync.yaml:"},
      {"wrong type", [&] {
         std::string y = good;
         y.replace(y.find("timeout_seconds: 10"), 19, "timeout_seconds: soon");
         return y;
       }(), "pinned.timeout_seconds"},
      {"unknown key", [&] {
         std::string y = good;
         y.replace(y.find("  timeout_seconds: 10"), 0, "  colour: blue\n");
         return y;
       }(), "pinned.colour: unknown key"},
      {"missing env var", [&] {
         std::string y = good;
         y.replace(y.find("${PINNED_EVENTS_API_KEY}"), 24, "${PINSYNC_TEST_UNSET_VAR}");
         return y;
       }(), "PINSYNC_TEST_UNSET_VAR"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    w.dir.write("pinsync.yaml", c.yaml);
    const auto r = w.pinsync({"sync"});
    CHECK(r.exit_code == 3);
    CHECK_CONTAINS(r.err, c.says);
    CHECK(w.posts() == 0);
    CHECK_FALSE(std::filesystem::exists(w.dir / "state.db"));
  }
  std::filesystem::remove(w.dir / "pinsync.yaml");
  const auto missing = w.pinsync({"sync"});
  CHECK(missing.exit_code == 3);
  CHECK_CONTAINS(missing.err, "pinsync.yaml");
  std::filesystem::create_directory(w.dir / "pinsync.yaml");  // unreadable as a file
  const auto folder = w.pinsync({"sync"});
  CHECK(folder.exit_code == 3);
  CHECK_CONTAINS(folder.err, "pinsync.yaml");
}

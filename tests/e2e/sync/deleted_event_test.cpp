// An event deleted in Pinned Events, end to end: the real pinsync binary against
// pinsync-sandbox, whose DELETE /_sandbox/events/{id} deletes an event as a person does in
// the app. The held row names the show that was lost; `resync --row ID --forget` lets it go
// and `--recreate` makes one new event; a wrong base path (every event 404) marks nothing gone.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/csv_world.h"
#include "tests/support/process.h"

using pinsync::test::http;
using pinsync::test::row;
using World = pinsync::test::CsvWorld;

namespace {

std::string id_of(World& w, const std::string& title) {
  return std::to_string(w.event_titled(title)->getValue<std::int64_t>("id"));
}

void delete_in_app(World& w, const std::string& event_id) {
  const auto reply = http(w.sandbox.base_url(), "DELETE", "/_sandbox/events/" + event_id);
  REQUIRE(reply.status == 200);
  CHECK(reply.body == R"({"deleted":)" + event_id + "}");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string sheet(const std::string& show1, const std::string& show2, const std::string& show3) {
  return row("E-1", "yes", show1, "6/1/2026", "8:00 PM") + row("E-2", "yes", show2, "6/2/2026", "8:00 PM") +
         row("E-3", "yes", show3, "6/3/2026", "8:00 PM");
}

}  // namespace

TEST_CASE("deleted event: held with its title and date; --forget lets it go; --recreate makes one new event") {
  World w;
  w.sheet(sheet("Show 1", "Show 2", "Show 3"));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  REQUIRE(w.events()->size() == 3);
  const std::string first = id_of(w, "Show 1");

  // Someone deletes Show 1 in Pinned Events; the partner then edits it.
  delete_in_app(w, first);
  w.sheet(sheet("Show 1 (moved)", "Show 2", "Show 3"));
  const auto held = w.pinsync({"sync"});
  CHECK(held.exit_code == 0);  // held rows wait for a person; the pass itself went well
  const std::string lost = "event " + first + " (\"Show 1\", 2026-06-01 20:00) was deleted in Pinned Events";
  CHECK_CONTAINS(held.out, "held");
  CHECK_CONTAINS(held.out, lost);
  const auto errors = w.pinsync({"errors"});
  CHECK_CONTAINS(errors.out, "acme, partner.csv:2 (E-1): gone — " + lost);
  CHECK_CONTAINS(errors.out, "pinsync resync --source acme --row E-1 --recreate creates it again");
  CHECK_CONTAINS(errors.out, "pinsync resync --source acme --row E-1 --forget lets it go");
  CHECK(w.posts() == 3);

  // The two commands are one decision: together they are a usage error.
  const auto both = w.pinsync({"resync", "--local", "--row", "E-1", "--recreate", "--forget"});
  CHECK(both.exit_code == 2);
  CHECK_CONTAINS(both.err, "--recreate and --forget together");
  // --forget on a row whose event exists is refused, naming it and its state.
  const auto not_gone = w.pinsync({"resync", "--local", "--row", "E-3", "--forget"});
  CHECK(not_gone.exit_code == 1);
  CHECK_CONTAINS(not_gone.out, "--forget: row E-3 is synced, not gone");

  // --forget: the row is no longer held, nothing is created, errors says what was let go.
  const auto forgot = w.pinsync({"resync", "--local", "--row", "E-1", "--forget"});
  CHECK(forgot.exit_code == 0);
  CHECK_CONTAINS(forgot.out, "forgotten");
  CHECK_CONTAINS(forgot.out, "let go by resync --forget");
  CHECK_NOT_CONTAINS(forgot.out, "held");
  const auto after = w.pinsync({"errors", "--json"});
  CHECK_CONTAINS(after.out, R"("state":"forgotten")");
  CHECK_NOT_CONTAINS(after.out, R"("state":"gone")");
  const auto quiet = w.pinsync({"sync"});
  CHECK(quiet.exit_code == 0);
  CHECK_NOT_CONTAINS(quiet.out, "held");
  CHECK(w.posts() == 3);
  CHECK(w.events()->size() == 2);

  // Show 2 is deleted too, edited, and this time recreated: exactly one new event.
  const std::string second = id_of(w, "Show 2");
  delete_in_app(w, second);
  w.sheet(sheet("Show 1 (moved)", "Show 2 (late)", "Show 3"));
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "(\"Show 2\", 2026-06-02 20:00) was deleted in Pinned Events");
  const auto recreated = w.pinsync({"resync", "--local", "--row", "E-2", "--recreate"});
  CHECK(recreated.exit_code == 0);
  CHECK(w.posts() == 4);
  CHECK(w.events()->size() == 2);  // Show 3 and the new Show 2
  CHECK(w.event_titled("Show 2 (late)")->getValue<std::string>("idempotencyKey") ==
        "pinsync-acme-E-2-recreate-" + second + "-create");
  CHECK_NOT_CONTAINS(w.pinsync({"errors"}).out, "E-2");
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.posts() == 4);
}

TEST_CASE("deleted event: a wrong base path answering 404 for every event marks nothing gone") {
  World w;
  w.sheet(sheet("Show 1", "Show 2", "Show 3"));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const auto first = w.event_titled("Show 1")->getValue<std::int64_t>("id");

  // A proxy or a wrong base path: every request ends on the sandbox's 404 for unknown paths.
  const std::string right = "base_url: " + w.sandbox.base_url() + "\n";
  const std::string config = read_file(w.config);
  REQUIRE_CONTAINS(config, right);
  std::string wrong = config;
  wrong.replace(wrong.find(right), right.size(), "base_url: " + w.sandbox.base_url() + "/wrong-prefix\n");
  w.dir.write("pinsync.yaml", wrong);

  w.sheet(sheet("Show 1 (moved)", "Show 2", "Show 3"));
  const auto doubted = w.pinsync({"sync"});
  CHECK(doubted.exit_code == 3);  // a configuration problem
  CHECK_CONTAINS(doubted.out, "pinned.base_url is probably wrong");
  CHECK_NOT_CONTAINS(doubted.out, "was deleted in Pinned Events");
  const auto errors = w.pinsync({"errors", "--json"});
  CHECK_CONTAINS(errors.out, R"("source_id":"E-1","state":"failed")");
  CHECK_NOT_CONTAINS(errors.out, "gone");
  CHECK(w.posts() == 3);

  // Fixed: the same event is updated, none created.
  w.dir.write("pinsync.yaml", config);
  const auto fixed = w.pinsync({"resync", "--local"});
  CHECK(fixed.exit_code == 0);
  CHECK(w.posts() == 3);
  CHECK(w.patches() == 1);
  CHECK(w.events()->size() == 3);
  CHECK(w.event_titled("Show 1 (moved)")->getValue<std::int64_t>("id") == first);
}

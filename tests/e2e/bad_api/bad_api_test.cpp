// pinsync against Pinned Events answers that are not what the API documents: for each bad
// answer, the row it hit is reported by source and row with what was wrong, the other rows
// sync, and once the answers are good again a rerun finishes the row with the same
// Idempotency-Key: one event per row, never a second create.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <regex>
#include <string>

#include "tests/support/csv_world.h"

using pinsync::test::CsvWorld;
using pinsync::test::http;
using pinsync::test::rows;

namespace {

void set_faults(CsvWorld& w, const std::string& json) {
  const auto r = http(w.sandbox.base_url(), "POST", "/_sandbox/faults", json);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

void clear_faults(CsvWorld& w) {
  set_faults(w, R"({"truncated_json_rate":0,"html_502_rate":0,"wrong_types_rate":0,"empty_201_rate":0,)"
                R"("missing_id_rate":0,"bad_answer_match":"","bad_answer_limit":0})");
}

// Event count per title, and the id of each.
std::map<std::string, int> count_by_title(CsvWorld& w, std::map<std::string, int>* ids = nullptr) {
  std::map<std::string, int> counts;
  auto list = w.events();
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto e = list->getObject(static_cast<unsigned>(i));
    ++counts[e->getValue<std::string>("title")];
    if (ids != nullptr) (*ids)[e->getValue<std::string>("title")] = e->getValue<int>("id");
  }
  return counts;
}

// Failed rows go again on the very next run instead of after the retry queue's backoff.
const std::string k_retry_at_once = "  retry_delay_seconds: 0\n";

// The line of `out` that reports row `id`, or "".
std::string row_line(const std::string& out, const std::string& id) {
  std::size_t start = 0;
  while (start < out.size()) {
    const std::size_t end = out.find('\n', start);
    const std::string line = out.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find(" " + id + " ") != std::string::npos) return line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

}  // namespace

TEST_CASE("bad answers to creates: the row is in doubt, named with what was wrong; a rerun finishes it with the same key") {
  struct Case {
    const char* setting;
    const char* says;  // what pinsync's report says about the answer
  };
  const Case cases[] = {
      {"truncated_json_rate", "Pinned Events answered 201 with truncated or malformed JSON"},
      {"html_502_rate", "Pinned Events answered 502 with an HTML page (4 attempts)"},
      {"wrong_types_rate", "Pinned Events answered 201 with a doc.id that is not a number"},
      {"empty_201_rate", "Pinned Events answered 201 with an empty body"},
      {"missing_id_rate", "Pinned Events answered 201 without doc.id"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.setting);
    CsvWorld w(k_retry_at_once);
    w.sheet(rows(3));
    // Every answer about "Show 2" (its create and the retries) is spoiled.
    set_faults(w, std::string(R"({")") + c.setting + R"(":1.0,"bad_answer_match":"Show 2"})");
    const auto first = w.pinsync({"sync"});
    CHECK(first.exit_code == 5);
    CHECK(first.out.starts_with("acme: rows_not_synced — 2 created"));
    CHECK_CONTAINS(first.out, "1 failed");
    const std::string line = row_line(first.out, "E-2");
    CHECK_CONTAINS(line, "failed");
    CHECK_CONTAINS(line, "partner.csv:3");
    CHECK_CONTAINS(line, c.says);
    CHECK_CONTAINS(line, "will be resent with the same key");
    CHECK_CONTAINS(first.err, R"("row":"partner.csv:3")");
    // The API made the event behind the bad answer: three events, one per row.
    std::map<std::string, int> ids;
    CHECK(count_by_title(w, &ids) == std::map<std::string, int>{{"Show 1", 1}, {"Show 2", 1}, {"Show 3", 1}});
    const int posts_before = w.posts();

    clear_faults(w);
    const auto rerun = w.pinsync({"sync"});
    CHECK(rerun.exit_code == 0);
    const std::string done = row_line(rerun.out, "E-2");
    CHECK_CONTAINS(done, "created");
    CHECK_CONTAINS(done, "event " + std::to_string(ids["Show 2"]));
    CHECK(w.posts() == posts_before + 1);  // the stored create, once, with its key
    CHECK(count_by_title(w) == std::map<std::string, int>{{"Show 1", 1}, {"Show 2", 1}, {"Show 3", 1}});
    CHECK(w.event_titled("Show 2")->getValue<std::string>("idempotencyKey") == "pinsync-acme-E-2-create");

    const auto third = w.pinsync({"sync"});
    CHECK(third.exit_code == 0);
    CHECK_CONTAINS(third.out, "3 unchanged");
    CHECK(w.posts() == posts_before + 1);
  }
}

TEST_CASE("bad answers to updates: the edit is reported with what was wrong and applied by the rerun") {
  CsvWorld w(k_retry_at_once);
  w.sheet(rows(3));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const int id = w.event_titled("Show 2")->getValue<int>("id");
  w.sheet(rows(1) + pinsync::test::row("E-2", "yes", "Show 2 moved", "6/2/2026", "9:00 PM") + rows(1, 3));
  set_faults(w, R"({"wrong_types_rate":1.0,"bad_answer_match":"Show 2 moved"})");
  const auto first = w.pinsync({"sync"});
  CHECK(first.exit_code == 5);
  const std::string line = row_line(first.out, "E-2");
  CHECK_CONTAINS(line, "partner.csv:3");
  CHECK_CONTAINS(line, "Pinned Events answered 200 with a doc.id that is not a number, so the event it changed is unknown");

  clear_faults(w);
  const auto rerun = w.pinsync({"sync"});
  CHECK(rerun.exit_code == 0);
  CHECK_CONTAINS(row_line(rerun.out, "E-2"), "updated");
  CHECK(w.events()->size() == 3);
  CHECK(w.event_titled("Show 2 moved")->getValue<int>("id") == id);
  CHECK(w.posts() == 3);
}

TEST_CASE("bad answers to listings: a spoiled classifications list is reported and the rows still sync") {
  CsvWorld w(k_retry_at_once);
  w.sheet(rows(2));
  // The first request of a sync is GET /classifications.
  set_faults(w, R"({"truncated_json_rate":1.0,"bad_answer_limit":1})");
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.err, "classifications unavailable");
  CHECK(r.err.find("Pinned Events GET /api/public/v1/classifications: answered 200 with truncated or malformed JSON") !=
        std::string::npos);
  CHECK(w.events()->size() == 2);

  // A channel list with an id of the wrong type is refused whole, not half-read.
  set_faults(w, R"({"truncated_json_rate":0,"wrong_types_rate":1.0,"bad_answer_limit":1})");
  const auto channels = w.pinsync({"channels"});
  CHECK(channels.exit_code == 1);
  CHECK(channels.err.find("pinsync: Pinned Events GET /api/public/v1/channels: docs[0].id is not a number") !=
        std::string::npos);
  const auto again = w.pinsync({"channels"});
  CHECK(again.exit_code == 0);
  CHECK_CONTAINS(again.out, "42");

  // An HTML 502 page is retried like any 5xx: one spoiled answer costs a retry, not the list.
  set_faults(w, R"({"wrong_types_rate":0,"html_502_rate":1.0,"bad_answer_limit":1})");
  const auto retried = w.pinsync({"classifications"});
  CHECK(retried.exit_code == 0);
  CHECK_CONTAINS(retried.out, "music");
}

TEST_CASE("logs: a 5xx answer is a warn line naming the source, and JSON lines carry numbers as numbers") {
  CsvWorld w(k_retry_at_once);
  w.sheet(rows(1));
  // The create's first answer is a proxy's 502 page; its retry gets the event.
  set_faults(w, R"({"html_502_rate":1.0,"bad_answer_match":"Show 1","bad_answer_limit":1})");
  const auto run = w.pinsync({"sync"});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  // stderr is a pipe, so the lines are JSON: the 502 at warn with its source, status a number.
  CHECK(std::regex_search(run.err, std::regex(R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warn",)"
                                              R"("msg":"Pinned Events answered 502","source":"acme","method":"POST",)"
                                              R"("route":"/api/public/v1/events","status":502,"duration_ms":\d+,)")));
  CHECK_CONTAINS(run.err, R"("level":"info","msg":"retrying","source":"acme","route":"/api/public/v1/events","attempt":2,)");
  // The write's line: the row's reference under "row", HTTP status, duration and event id as numbers.
  CHECK(std::regex_search(run.err, std::regex(R"("msg":"create","source":"acme","row":"partner.csv:2","action":"create",)"
                                              R"("status":201,"duration_ms":\d+,"result":"ok","request_id":"[^"]*",)"
                                              R"("event_id":\d+\})")));
  CHECK_CONTAINS(run.err, R"("msg":"pass finished","source":"acme","result":"ok","created":1,"updated":0,"unchanged":0,)"
                          R"("invalid":0,"removed":0,"held":0,"failed":0,"dead":0,"requests":)");
  CHECK_NOT_CONTAINS(run.err, "row_ref");
}

// Nothing lost, nothing doubled with 100 sources in one state file: a sync walks them one
// after another, so a fault, a kill or a lost answer can land in any source's pass.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <chrono>
#include <string>

#include "tests/e2e/reliability/reliability.h"
#include "tests/support/csv_world.h"
#include "tests/support/process.h"

using pinsync::test::CsvWorld;
using pinsync::test::http;
using namespace pinsync::test;

TEST_CASE("100 sources: chaos (20% 500s, 5% 429s, 2% dropped answers) ends with one event per row") {
  CsvWorld w("  timeout_seconds: 1\n  retry_delay_seconds: 0\n  max_attempts: 1000\n",
             {"--error-rate", "0.2", "--rate-limited-rate", "0.05", "--drop-after-commit-rate", "0.02"});
  w.many_sources(100, 1);
  sync_until_clean(w);
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults",
               R"({"error_rate":0,"rate_limited_rate":0,"drop_after_commit_rate":0})")
              .status == 200);
  check_one_event_per_row(w, 100);
  const int posts = w.posts();
  const auto again = w.pinsync({"sync"});
  CHECK(again.exit_code == 0);
  CHECK(w.posts() == posts);
  CHECK(w.patches() == 0);
  check_integrity(w);
}

TEST_CASE("100 sources: a sync killed with SIGKILL at 10 random moments, then finished: one event per row") {
  CsvWorld w("", {"--latency-ms", "20"});
  w.many_sources(100, 5);
  kill_ten_times(w, 600);
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  check_one_event_per_row(w, 500);
  const int posts = w.posts();
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.posts() == posts);
  check_integrity(w);
}

TEST_CASE("100 sources: creates answered with nothing, past the window, are found by reading back") {
  CsvWorld w("  idempotency_window_seconds: 0\n  retry_delay_seconds: 0\n");
  w.many_sources(100, 1);
  // Every create is made but answered with an empty 201: its event is unknown to pinsync.
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"empty_201_rate":1.0})").status == 200);
  CHECK(w.pinsync({"sync"}).exit_code != 0);
  REQUIRE(w.events()->size() == 100);
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"empty_201_rate":0})").status == 200);
  const int posts = w.posts();
  const auto second = w.pinsync({"sync"});
  CHECK(second.exit_code == 0);
  CHECK_CONTAINS(second.out, "adopted the event an earlier attempt created");
  CHECK(w.posts() == posts);
  check_one_event_per_row(w, 100);
  const int reads = w.requests("GET", "/api/public/v1/events");
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.posts() == posts);
  CHECK(w.requests("GET", "/api/public/v1/events") == reads);  // settled: nothing looked for again
}

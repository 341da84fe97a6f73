// Shared checks of the reliability tests (one source and 100 sources): one event per row,
// an intact state file, the sandbox forgetting its idempotency keys, syncs run until clean
// or killed at random moments.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/csv_world.h"
#include "tests/support/process.h"

namespace pinsync::test {

// Titles are unique per row ("Show N"): one event per title means no duplicate.
inline void check_one_event_per_row(CsvWorld& w, std::size_t rows_expected) {
  auto events = w.events();
  std::set<std::string> titles;
  for (std::size_t i = 0; i < events->size(); ++i) {
    titles.insert(events->getObject(static_cast<unsigned>(i))->getValue<std::string>("title"));
  }
  CHECK(events->size() == rows_expected);
  CHECK(titles.size() == rows_expected);
}

// The sandbox's idempotency window ends at once (its TTL set to 0 through the control
// route), as the real one does after 15 minutes: no test waits for it.
inline void forget_idempotency_keys(CsvWorld& w) {
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"idempotency_ttl_seconds":0})").status == 200);
}

inline void check_integrity(CsvWorld& w) {
  const auto r = run_process({"sqlite3", (w.dir / "state.db").string(), "PRAGMA integrity_check;"});
  CHECK(r.out == "ok\n");
}

// Runs `pinsync sync` until a pass ends clean (exit 0), at most 10 times: under injected
// faults some rows wait for a later pass.
inline void sync_until_clean(CsvWorld& w) {
  int passes = 0;
  int exit_code = -1;
  while (exit_code != 0 && passes < 10) {
    exit_code = w.pinsync({"sync"}).exit_code;
    ++passes;
  }
  CHECK(exit_code == 0);
  MESSAGE("clean after " << passes << " passes");
}

// Runs `pinsync sync` 10 times, each killed with SIGKILL at a random moment up to
// `latest_ms` after its start (unless it finished first); most runs must have been cut short.
inline void kill_ten_times(CsvWorld& w, int latest_ms) {
  const std::uint64_t seed = std::random_device{}();
  MESSAGE("kill moments seed " << seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> moment_ms(10, latest_ms);
  const std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync", "sync", "--config",
                                         w.config.string()};
  int killed = 0;
  for (int i = 0; i < 10; ++i) {
    const auto at = std::chrono::milliseconds(moment_ms(rng));
    const auto start = std::chrono::steady_clock::now();
    const auto r = pinsync::test::run_process_killed_when(argv, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}},
                                                          [&] { return std::chrono::steady_clock::now() - start >= at; });
    killed += r.exit_code == 137 ? 1 : 0;
    INFO("run " << i << " stopped at " << at.count() << " ms; stderr:\n" << r.err);
    CHECK((r.exit_code == 137 || r.exit_code == 0));
  }
  MESSAGE(killed << " of 10 runs were killed before they finished");
  CHECK(killed >= 8);
}


}  // namespace pinsync::test

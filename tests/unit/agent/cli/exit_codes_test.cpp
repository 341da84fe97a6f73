// One exit-code rule for every command, and README's table generated from the same list.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/cli/exit_codes.h"

using namespace pinsync;
using namespace pinsync::agent;

TEST_CASE("exit codes: an Error's kind decides — config 3, auth 4, anything else 1") {
  CHECK(exit_code_for(Error{ErrorKind::config, "x"}) == k_exit_config);
  CHECK(exit_code_for(Error{ErrorKind::auth, "x"}) == k_exit_auth);
  for (const auto kind : {ErrorKind::transient, ErrorKind::timeout, ErrorKind::rate_limited, ErrorKind::not_found,
                          ErrorKind::invalid, ErrorKind::conflict, ErrorKind::internal}) {
    CHECK(exit_code_for(Error{kind, "x"}) == k_exit_failure);
  }
}

TEST_CASE("exit codes: a report's — clean 0, rows left 5, a suspect read 5, a refused key 4, a stop by its kind") {
  PassReport r;
  r.source = "acme";
  CHECK(exit_code_for(r) == k_exit_ok);
  r.invalid = 1;
  CHECK(exit_code_for(r) == k_exit_rows_failed);
  r.invalid = 0;
  r.suspect = "no approved row now";
  CHECK(exit_code_for(r) == k_exit_rows_failed);
  r.suspect.clear();
  r.stopped = Error{ErrorKind::config, "acme: column \"Date\" is missing"};
  CHECK(exit_code_for(r) == k_exit_config);
  r.stopped = Error{ErrorKind::transient, "acme: cannot reach the sheet"};
  CHECK(exit_code_for(r) == k_exit_failure);
  // resync --row with an ID no row has: the command line was wrong.
  r.stopped = Error{ErrorKind::invalid, "no row with ID \"E-22\" in acme"};
  r.unknown_rows = {"E-22"};
  CHECK(exit_code_for(r) == k_exit_usage);
  r.unknown_rows.clear();
  // A source an operator paused did nothing on purpose: nothing went wrong.
  r.stopped = Error{ErrorKind::config, "acme: paused by an operator since …"};
  r.paused = true;
  r.operator_pause = true;
  CHECK(exit_code_for(r) == k_exit_ok);
  r.paused = false;
  r.operator_pause = false;
  // A refused key stops the pass with a 401/403 and pauses the source: 4, from sync and
  // resync alike (resync used to answer 1).
  r.key_refused = true;
  r.paused = true;
  r.stopped = Error{ErrorKind::auth, "acme: Pinned Events answered 401"};
  CHECK(exit_code_for(r) == k_exit_auth);
}

TEST_CASE("exit codes: worse() keeps config over auth over failure over usage over rows over ok") {
  const std::vector<int> order = {k_exit_ok, k_exit_rows_failed, k_exit_usage, k_exit_failure, k_exit_auth,
                                  k_exit_config};
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t j = 0; j < order.size(); ++j) {
      CHECK(worse(order[i], order[j]) == order[std::max(i, j)]);
    }
  }
  CHECK(worse(k_exit_ok, 77) == 77);  // an unknown code counts as a failure
  CHECK(worse(k_exit_auth, 77) == k_exit_auth);
}

TEST_CASE("exit codes: README's table lists exactly these codes with these meanings") {
  std::ifstream in(std::string(PINSYNC_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::vector<std::string> table;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) in_section = line == "## Exit codes";
    if (in_section && line.starts_with("| ") && line != "| code | meaning |") table.push_back(line);
  }
  std::vector<std::string> expected;
  for (const auto& info : k_exit_codes) {
    expected.push_back("| " + std::to_string(info.code) + " | " + std::string(info.meaning) + " |");
  }
  CHECK(table == expected);
}

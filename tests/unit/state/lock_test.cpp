#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <unistd.h>

#include <filesystem>

#include "state/lock.h"
#include "tests/support/temp_dir.h"

using pinsync::ErrorKind;
using pinsync::state::StateLock;
using pinsync::testing::TempDir;

TEST_CASE("state lock: a second holder is refused with the first one's pid, and may take it once released") {
  const TempDir dir;
  const auto state = dir / "state.db";
  auto first = StateLock::acquire(state);
  REQUIRE(first);
  auto second = StateLock::acquire(state);
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == ErrorKind::conflict);  // not the config's fault: exit 1, try again later
  CHECK_CONTAINS(second.error().message, "pid " + std::to_string(::getpid()));
  CHECK_CONTAINS(second.error().message, "in use by another pinsync");
  first->reset();
  CHECK(StateLock::acquire(state).has_value());
}

TEST_CASE("state lock: an unwritable folder gives a clear error, not a crash") {
  auto lock = StateLock::acquire("/nonexistent-folder/state.db");
  REQUIRE_FALSE(lock);
  CHECK_CONTAINS(lock.error().message, "/nonexistent-folder/state.db.lock");
}

// Regression: the lock was taken on the path as written, so a sync through a symlinked
// folder and one through the real folder both ran on one state file.
TEST_CASE("state lock: every path to the state file meets at one lock, symlinked folders included") {
  const TempDir dir;
  std::filesystem::create_directory(dir / "real");
  std::filesystem::create_directory_symlink(dir / "real", dir / "alias");
  auto first = StateLock::acquire(dir / "real" / "state.db");
  REQUIRE(first);
  auto through_link = StateLock::acquire(dir / "alias" / "state.db");
  REQUIRE_FALSE(through_link);
  CHECK_CONTAINS(through_link.error().message, "in use by another pinsync");
  auto dotted = StateLock::acquire(dir / "real" / ".." / "real" / "state.db");
  CHECK_FALSE(dotted);
}

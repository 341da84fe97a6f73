// When a pass must look for existing events before it creates (agent/sync/recovery.h): a
// store with no record of the source, one put back from a `pinsync backup` copy, and one a
// pass settled.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "agent/sync/recovery.h"
#include "core/datetime.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace pinsync::agent {

TEST_CASE("recovery_reason: no record of the source, a restored backup, settled, an old store with rows") {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto opened = state::Store::open(dir / "state.db", clock);
  REQUIRE(opened);
  auto& store = **opened;

  // Nothing known of the source: its rows may have events from a lost state file.
  auto fresh = recovery_reason(store, "acme", false);
  REQUIRE(fresh);
  CHECK(*fresh == "the state file has no record of this source (a new or lost state file, or a new source)");
  // A store from before this rule, with rows and no mark: nothing to look for.
  CHECK(recovery_reason(store, "acme", true).value().empty());

  // A backup copy put back: rows created since the copy are unknown to it.
  REQUIRE(store.set_fact("acme", state::k_recovery_fact, "backup 1780000000"));
  auto restored = recovery_reason(store, "acme", true);
  REQUIRE(restored);
  CHECK(*restored == "the state file was put back from a backup taken " + format_utc(1780000000) +
                         ", so rows created since are unknown to it");

  // A pass looked: settled, with rows or without.
  REQUIRE(settle_recovery(store, "acme"));
  CHECK(recovery_reason(store, "acme", true).value().empty());
  CHECK(recovery_reason(store, "acme", false).value().empty());
  // Another source is not settled by it.
  CHECK_FALSE(recovery_reason(store, "beta", false).value().empty());
}

}  // namespace pinsync::agent

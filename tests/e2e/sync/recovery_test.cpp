// A lost, new or rolled-back state file never duplicates events: the real pinsync binary
// against pinsync-sandbox. After the state file is deleted, or put back from a backup taken
// before later creates, a sync adopts the events the rows already have — by the event ID
// written back into the row, else (with events:read) by the same content — and creates
// nothing twice; a source that cannot look is refused until a person confirms; a sheet whose
// event-ID column is empty gets its creates as usual.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <filesystem>
#include <string>

#include "tests/support/csv_world.h"
#include "tests/support/partner_worlds.h"

using pinsync::test::rows;
using World = pinsync::test::CsvWorld;

namespace {

constexpr const char* k_no_read_key = "no-read-key=channels:read,events:create,events:update@42";

// Deletes the state file (and SQLite's side files), as a lost disk or a new machine would.
void lose_state(const std::filesystem::path& dir) {
  for (const char* name : {"state.db", "state.db-wal", "state.db-shm"}) std::filesystem::remove(dir / name);
}

// Puts `copy` back as the state file, as an operator restoring a backup would (agent stopped).
void restore_state(const std::filesystem::path& dir, const std::filesystem::path& copy) {
  lose_state(dir);
  std::filesystem::copy_file(copy, dir / "state.db");
}

}  // namespace

TEST_CASE("recovery: the state file deleted after a full sync — the next sync adopts every event, creates none") {
  World w;
  w.sheet(rows(20));
  const auto first = w.pinsync({"sync"});
  REQUIRE(first.exit_code == 0);
  CHECK_CONTAINS(first.out, "20 created");  // a new state file: looked first, found nothing, created
  CHECK(w.requests("GET", "/api/public/v1/events") == 1);
  REQUIRE(w.posts() == 20);

  lose_state(w.dir.path());
  const auto again = w.pinsync({"sync"});
  CHECK(again.exit_code == 0);
  CHECK_CONTAINS(again.out, "0 created");
  CHECK_CONTAINS(again.out, "20 adopted (existing events)");
  CHECK_CONTAINS(again.out, "adopted event 1, which equals the row and no other row owns — the state file has no "
                            "record of this source");
  CHECK(w.posts() == 20);
  CHECK(w.patches() == 0);
  CHECK(w.events()->size() == 20);

  CHECK_CONTAINS(w.pinsync({"history"}).out, ", 20 adopted (");
  CHECK_CONTAINS(w.pinsync({"status"}).out, ", 20 adopted, ");

  // Settled: the next pass neither looks nor sends.
  const int lists = w.requests("GET", "/api/public/v1/events");
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "20 unchanged");
  CHECK(w.requests("GET", "/api/public/v1/events") == lists);
  CHECK(w.posts() == 20);
}

TEST_CASE("recovery: a backup taken before 30 creates is put back — those 30 are adopted, 0 duplicates") {
  World w;
  w.sheet(rows(10));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const auto backup = w.pinsync({"backup", "--to", (w.dir.path() / "before.db").string()});
  REQUIRE(backup.exit_code == 0);

  w.sheet(rows(40));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  REQUIRE(w.posts() == 40);

  restore_state(w.dir.path(), w.dir.path() / "before.db");
  const auto back = w.pinsync({"sync"});
  CHECK(back.exit_code == 0);
  CHECK_CONTAINS(back.out, "0 created");
  CHECK_CONTAINS(back.out, "10 unchanged");
  CHECK_CONTAINS(back.out, "30 adopted (existing events)");
  CHECK_CONTAINS(back.out, "the state file was put back from a backup taken");
  CHECK(w.posts() == 40);
  CHECK(w.events()->size() == 40);
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "40 unchanged");

  // A copy made without pinsync backup (cp of a stopped agent's file) carries no mark:
  // `pinsync recover` looks explicitly.
  std::filesystem::copy_file(w.dir.path() / "state.db", w.dir.path() / "cp.db");
  w.sheet(rows(45));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  REQUIRE(w.posts() == 45);
  restore_state(w.dir.path(), w.dir.path() / "cp.db");
  const auto recovered = w.pinsync({"recover", "--source", "acme", "--local"});
  CHECK(recovered.exit_code == 0);
  CHECK_CONTAINS(recovered.out, "5 adopted (existing events)");
  CHECK_CONTAINS(recovered.out, "pinsync recover was asked");
  CHECK(w.posts() == 45);
  CHECK(w.events()->size() == 45);
}

TEST_CASE("recovery: without events:read or event-ID column a new state file creates nothing until a person confirms") {
  World w("", {"--key", k_no_read_key});
  w.sheet(rows(3));
  const auto refused = w.pinsync({"sync"}, "no-read-key");
  CHECK(refused.exit_code == 3);
  CHECK_CONTAINS(refused.out, "3 rows were not created");
  CHECK_CONTAINS(refused.out, "pinsync recover --source acme --accept-new-state");
  CHECK(w.posts() == 0);
  // Refused again, pass after pass: nothing was settled.
  CHECK(w.pinsync({"sync"}, "no-read-key").exit_code == 3);
  CHECK(w.posts() == 0);

  const auto accepted = w.pinsync({"recover", "--source", "acme", "--accept-new-state", "--local"}, "no-read-key");
  CHECK(accepted.exit_code == 0);
  CHECK_CONTAINS(accepted.out, "3 created");
  CHECK(w.posts() == 3);
  CHECK_CONTAINS(w.pinsync({"sync"}, "no-read-key").out, "3 unchanged");
}

TEST_CASE("recovery: a sheet with written-back event IDs — adopted by ID, also without events:read") {
  using pinsync::test::SheetsWorld;
  SheetsWorld w("    sheet: Partner Events\n", {"--key", k_no_read_key});
  w.put(R"({"Partner Events":[)" + SheetsWorld::k_header + "," + SheetsWorld::row("B-1", "Show 1", "6/1/2026") + "," +
        SheetsWorld::row("B-2", "Show 2", "6/2/2026") + "," + SheetsWorld::row("B-3", "Show 3", "6/3/2026") + "]}");
  // A new state file and an empty event-ID column: the rows are new, created as usual.
  const auto first = w.pinsync("sync", "no-read-key");
  REQUIRE(first.exit_code == 0);
  CHECK_CONTAINS(first.out, "3 created");
  REQUIRE(w.creates() == 3);
  for (unsigned r = 1; r <= 3; ++r) CHECK_FALSE(w.cell(r, 9).empty());  // the event IDs are written back

  // Lost: the key cannot read events, the IDs in the sheet say which event is whose. Each is
  // updated to its row (the event cannot be read to compare), none created.
  std::filesystem::remove(w.dir.path() / "state.db");
  const auto by_id = w.pinsync("sync", "no-read-key");
  CHECK(by_id.exit_code == 0);
  CHECK_CONTAINS(by_id.out, "0 created");
  CHECK_CONTAINS(by_id.out, "3 updated");
  CHECK_CONTAINS(by_id.out, "its event-ID cell names event 2, which it takes as its own");
  CHECK(w.creates() == 3);
  CHECK(w.events()->size() == 3);

  // Lost again, with a key that reads events: each event already equals its row, nothing sent.
  const int updates = w.updates();
  std::filesystem::remove(w.dir.path() / "state.db");
  const auto read = w.pinsync("sync");
  CHECK(read.exit_code == 0);
  CHECK_CONTAINS(read.out, "3 adopted (existing events)");
  CHECK_CONTAINS(read.out, "named by its event-ID cell; it already equals the row");
  CHECK(w.updates() == updates);
  CHECK(w.creates() == 3);
  CHECK_CONTAINS(w.pinsync("sync").out, "3 unchanged");
}

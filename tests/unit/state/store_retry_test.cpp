// The retry queue and pauses in the store: batch puts and outcomes in one transaction,
// attempts / next_attempt_at / attempted_hash, dead rows, re-arming, paused sources, and
// the upgrade of a version-1 file that keeps every row and outbox entry.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <SQLiteCpp/Database.h>

#include "state/schema.h"
#include "store_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::state;
using namespace pinsync::state::test;
using namespace std::chrono_literals;

TEST_CASE("put_outboxes and record_outcomes write a whole batch, in order, in one transaction each") {
  StoreFixture f;
  std::vector<OutboxEntry> batch = {make_entry("E-1"), make_entry("E-2"), make_entry("E-3")};
  REQUIRE(f.store->put_outboxes(batch));
  auto pending = f.store->outbox_entries("acme");
  REQUIRE(pending);
  CHECK(pending->size() == 3);

  std::vector<Outcome> outcomes;
  outcomes.push_back({batch[0], WriteOutcome{201, "req-1", 501}, std::nullopt, {}});
  outcomes.push_back({batch[1], WriteOutcome{503, "req-2", std::nullopt},
                      Failure{RowState::failed, "", "Pinned Events answered 503", true, 1, 1234}, {}});
  outcomes.push_back({batch[2], WriteOutcome{400, "req-3", std::nullopt},
                      Failure{RowState::invalid, "title", "must not be empty", false, 1, 0}, {}});
  REQUIRE(f.store->record_outcomes(outcomes));

  auto rows = f.store->rows("acme");
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].state == RowState::synced);
  CHECK((*rows)[0].event_id == 501);
  CHECK((*rows)[1].state == RowState::failed);
  CHECK((*rows)[1].next_attempt_at == 1234);
  CHECK((*rows)[1].attempted_hash == "hash-1");
  CHECK((*rows)[2].state == RowState::invalid);
  CHECK((*rows)[2].error_field == "title");
  auto left = f.store->outbox_entries("acme");
  REQUIRE(left);
  REQUIRE(left->size() == 1);  // only the create in doubt stays to be resent
  CHECK(left->front().source_id == "E-2");
}

TEST_CASE("a batch with one bad entry writes nothing of the batch") {
  StoreFixture f;
  std::vector<OutboxEntry> batch = {make_entry("E-1"), make_entry("")};
  auto put = f.store->put_outboxes(batch);
  REQUIRE_FALSE(put);
  CHECK_CONTAINS(put.error().message, "must not be empty");
  auto pending = f.store->outbox_entries("acme");
  REQUIRE(pending);
  CHECK(pending->empty());
}

TEST_CASE("a dead row keeps its reason; a success clears the retry fields; rearm resets them") {
  StoreFixture f;
  auto entry = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_failure(*f.store, entry, WriteOutcome{503, "", std::nullopt},
                                  {RowState::dead, "", "gave up after 5 attempts", false, 5, 0}));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::dead);
  CHECK((*row)->attempts == 5);
  CHECK((*row)->attempted_hash == "hash-1");

  REQUIRE(f.store->rearm("acme", "E-1"));
  row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::failed);
  CHECK((*row)->attempts == 0);
  CHECK((*row)->attempted_hash.empty());
  CHECK((*row)->next_attempt_at == 0);
  CHECK((*row)->error_reason == "re-armed by resync");

  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_failure(*f.store, entry, WriteOutcome{503, "", std::nullopt},
                                  {RowState::failed, "", "busy", false, 1, 99}));
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_success(*f.store, entry, WriteOutcome{201, "req-9", 501}));
  row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::synced);
  CHECK((*row)->attempts == 0);
  CHECK((*row)->attempted_hash.empty());
  CHECK((*row)->next_attempt_at == 0);

  auto missing = f.store->rearm("acme", "nope");
  REQUIRE_FALSE(missing);
  CHECK_CONTAINS(missing.error().message, "acme/nope");
}

TEST_CASE("a success keeps what the event holds; only a gone row is forgotten, keeping its event and gist") {
  StoreFixture f;
  auto entry = make_entry("E-1", R"({"title":"Gala","startAt":"2026-06-12T20:00:00-04:00"})");
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_success(*f.store, entry, WriteOutcome{201, "req-1", 501}, {"Gala", "2026-06-12T20:00:00-04:00"}));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->event_title == "Gala");
  CHECK((*row)->event_start == "2026-06-12T20:00:00-04:00");

  // Forgetting a synced row is refused, naming the row and its state; nothing changes.
  auto refused = f.store->forget_row("acme", "E-1", "hash-2", "let go");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::invalid);
  CHECK_CONTAINS(refused.error().message, "acme/E-1 is synced, not gone");
  CHECK(f.store->row("acme", "E-1").value()->state == RowState::synced);
  auto missing = f.store->forget_row("acme", "nope", "", "let go");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);

  // A 404 makes it gone (a failure keeps the gist of the event it had); then it is forgotten.
  auto update = make_entry("E-1", R"({"title":"Gala II"})", WriteAction::update);
  update.event_id = 501;
  update.payload_hash = "hash-2";
  REQUIRE(put_outbox(*f.store, update));
  REQUIRE(record_failure(*f.store, update, WriteOutcome{404, "req-2", std::nullopt},
                         {RowState::gone, "", "deleted", false, 1, 0}));
  CHECK(f.store->row("acme", "E-1").value()->event_title == "Gala");
  REQUIRE(f.store->forget_row("acme", "E-1", "hash-2", "let go by resync --forget"));
  row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::forgotten);
  CHECK((*row)->error_reason == "let go by resync --forget");
  CHECK((*row)->event_id == 501);
  CHECK((*row)->attempted_hash == "hash-2");
  CHECK((*row)->attempts == 0);
  CHECK((*row)->event_title == "Gala");
  CHECK_FALSE(needs_attention(RowState::forgotten));
  CHECK(row_state_from_string("forgotten") == RowState::forgotten);
}

TEST_CASE("a paused source stays paused across reopening until cleared; forget_source clears it") {
  StoreFixture f;
  auto none = f.store->pause("acme");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(f.store->set_pause("acme", "the API key was refused (401)", "fp-1", PausedBy::pinsync));
  f.store.reset();
  f.clock.advance(10s);
  f.store = f.open_or_fail();
  auto paused = f.store->pause("acme");
  REQUIRE(paused);
  REQUIRE(paused->has_value());
  CHECK((*paused)->reason == "the API key was refused (401)");
  CHECK((*paused)->fingerprint == "fp-1");
  CHECK((*paused)->since == f.clock.unix_seconds() - 10);
  CHECK((*paused)->by == PausedBy::pinsync);
  // A person's pause replaces pinsync's and says who made it.
  REQUIRE(f.store->set_pause("acme", "partner asked us to stop", "", PausedBy::operator_));
  paused = f.store->pause("acme");
  REQUIRE(paused);
  REQUIRE(paused->has_value());
  CHECK((*paused)->by == PausedBy::operator_);
  CHECK((*paused)->reason == "partner asked us to stop");
  CHECK((*paused)->fingerprint.empty());

  REQUIRE(f.store->clear_pause("acme"));
  REQUIRE(f.store->clear_pause("acme"));  // not paused: still fine
  paused = f.store->pause("acme");
  REQUIRE(paused);
  CHECK_FALSE(paused->has_value());

  REQUIRE(f.store->set_pause("beta", "refused", "fp", PausedBy::pinsync));
  REQUIRE(f.store->forget_source("beta"));
  paused = f.store->pause("beta");
  REQUIRE(paused);
  CHECK_FALSE(paused->has_value());
}

TEST_CASE("a version-1 state file is upgraded with its rows, outbox, audit and run log intact") {
  testing::TempDir dir;
  const auto file = dir.path() / "old.db";
  {
    SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(migrate(db, 0, "old", 1));
    db.exec(R"sql(
INSERT INTO source_rows (source, source_id, row_ref, event_id, payload_hash, state, attempts,
                         created_at, updated_at)
VALUES ('acme', 'E-1', 'Sheet1!A2', 501, 'h1', 'synced', 0, 10, 10),
       ('acme', 'E-2', 'Sheet1!A3', NULL, '', 'failed', 2, 10, 11);
INSERT INTO outbox (source, source_id, row_ref, action, idempotency_key, body, payload_hash,
                    created_at, attempts)
VALUES ('acme', 'E-2', 'Sheet1!A3', 'create', 'k-2', '{"title":"B"}', 'h2', 11, 2);
INSERT INTO audit (source, source_id, row_ref, action, idempotency_key, http_status,
                   request_id, event_id, at)
VALUES ('acme', 'E-1', 'Sheet1!A2', 'create', 'k-1', 201, 'r-1', 501, 10);
INSERT INTO runs (source, trigger_kind, started_at, finished_at, result)
VALUES ('acme', 'cli', 10, 11, 'stopped: acme: partner.csv: cannot read: no such file'),
       ('acme', 'cli', 12, 13, 'rows_failed'),
       ('acme', 'cli', 14, 15, 'rows_failed');
UPDATE runs SET failed = 1 WHERE started_at = 14;
)sql");
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 1);
  }
  testing::FakeClock clock;
  auto opened = Store::open(file, clock);
  REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message));
  auto& store = **opened;
  CHECK(file_schema_version(file) == 9);
  auto rows = store.rows("acme");
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].event_id == 501);
  CHECK((*rows)[0].state == RowState::synced);
  CHECK((*rows)[1].state == RowState::failed);
  CHECK((*rows)[1].attempts == 2);
  CHECK((*rows)[1].next_attempt_at == 0);
  CHECK((*rows)[0].event_title.empty());  // schema 6: unknown for what was sent before it
  CHECK((*rows)[0].event_status.empty());  // schema 7: unknown too
  auto kept = testing::outbox_entry(store, "acme", "E-2");
  REQUIRE(kept);
  REQUIRE(kept->has_value());
  CHECK((*kept)->body == R"({"title":"B"})");
  auto audit = store.audit("acme", "E-1");
  REQUIRE(audit);
  CHECK(audit->size() == 1);
  // Schema 3 keeps a run's result as one word and its reason beside it.
  auto runs = store.recent_runs("acme", 5);
  REQUIRE(runs);
  REQUIRE(runs->size() == 3);
  // Schema 4: "rows_failed" is "rows_not_synced" where rows failed, else "ok" (invalid rows
  // no longer make a pass fail).
  CHECK((*runs)[0].result == "rows_not_synced");
  CHECK((*runs)[1].result == "ok");
  CHECK((*runs)[1].detail.empty());
  CHECK((*runs)[2].result == "stopped");
  CHECK((*runs)[2].detail == "acme: partner.csv: cannot read: no such file");
  // The references still hold after the rebuild, and cascade again.
  SQLite::Database raw(file.string(), SQLite::OPEN_READWRITE);
  CHECK(raw.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK_FALSE(SQLite::Statement(raw, "PRAGMA foreign_key_check").executeStep());
  REQUIRE(set_row_state(store, "acme", "E-2", "", RowState::dead, "", "", "x"));
  auto dead = store.row("acme", "E-2");
  REQUIRE(dead);
  CHECK((*dead)->state == RowState::dead);
}

TEST_CASE("sole writer: pauses and facts are read from the file once, and every change through the store shows") {
  StoreFixture f;
  StoreOptions sole;
  sole.sole_writer = true;
  auto store = f.open_or_fail(sole);
  CHECK_FALSE(store->pause("acme").value());
  CHECK_FALSE(store->fact("acme", "cursor").value());
  // Kept: a change behind the store's back (no other process writes while the lock is held)
  // is not read again…
  f.raw().exec("INSERT INTO source_facts (source, key, value, updated_at) VALUES ('acme', 'cursor', 'x', 0)");
  CHECK_FALSE(store->fact("acme", "cursor").value());
  // …every change through the store is.
  REQUIRE(store->set_fact("acme", "cursor", "42", Durability::cached));
  CHECK(store->fact("acme", "cursor").value() == "42");
  // What the store wrote it keeps: the next read does not ask the file again.
  f.raw().exec("UPDATE source_facts SET value = 'behind its back' WHERE source = 'acme' AND key = 'cursor'");
  CHECK(store->fact("acme", "cursor").value() == "42");
  REQUIRE(store->set_fact("acme", "cursor", "43", Durability::flushed));
  CHECK(store->fact("acme", "cursor").value() == "43");
  REQUIRE(store->set_pause("acme", "refused", "fp", PausedBy::pinsync));
  REQUIRE(store->pause("acme").value());
  CHECK(store->pause("acme").value()->reason == "refused");
  REQUIRE(store->clear_pause("acme"));
  CHECK_FALSE(store->pause("acme").value());
  REQUIRE(store->set_pause("acme", "by hand", "", PausedBy::operator_));
  CHECK(store->pause("acme").value()->by == PausedBy::operator_);
  const auto run = store->begin_run("acme", "schedule");
  REQUIRE(run);
  RunRecord done;
  done.id = *run;
  done.result = "ok";
  REQUIRE(store->finish_run(done));
  CHECK(store->fact("acme", "pinsync.pruned_at").value() == std::to_string(f.clock.unix_seconds()));
  REQUIRE(store->forget_source("acme"));
  CHECK_FALSE(store->pause("acme").value());
  CHECK_FALSE(store->fact("acme", "cursor").value());

  // A store without the lock (a command that only reads) asks the file every time.
  auto reader = f.open_or_fail();
  f.raw().exec("INSERT INTO source_facts (source, key, value, updated_at) VALUES ('beta', 'cursor', 'y', 0)");
  CHECK(reader->fact("beta", "cursor").value() == "y");
  f.raw().exec("UPDATE source_facts SET value = 'z' WHERE source = 'beta'");
  CHECK(reader->fact("beta", "cursor").value() == "z");
}

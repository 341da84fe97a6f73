// The run log and the audit trail: begin/finish, most-recent-first listing with a limit
// and a source filter, and audit records oldest first.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <SQLiteCpp/Transaction.h>

#include "store_fixture.h"

using namespace pinsync;
using namespace pinsync::state;
using namespace pinsync::state::test;
using namespace std::chrono_literals;

TEST_CASE("begin_run and finish_run log a pass with its counts") {
  StoreFixture f;
  const auto started = f.clock.unix_seconds();
  auto id = f.store->begin_run("acme", "schedule");
  REQUIRE(id);
  auto running = f.store->recent_runs("acme", 1);
  REQUIRE(running);
  REQUIRE(running->size() == 1);
  CHECK(running->front().finished_at == 0);
  CHECK(running->front().started_at == started);

  f.clock.advance(42s);
  RunRecord run;
  run.id = *id;
  run.created = 3;
  run.updated = 2;
  run.unchanged = 90;
  run.invalid = 4;
  run.removed = 1;
  run.failed = 5;
  run.held = 6;
  run.dead = 7;
  run.api_requests = 17;
  run.result = "suspect";
  run.detail = "no approved row now";
  REQUIRE(f.store->finish_run(run));

  auto runs = f.store->recent_runs("acme", 10);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  const auto& r = runs->front();
  CHECK(r.id == *id);
  CHECK(r.source == "acme");
  CHECK(r.trigger == "schedule");
  CHECK(r.started_at == started);
  CHECK(r.finished_at == started + 42);
  CHECK(r.created == 3);
  CHECK(r.updated == 2);
  CHECK(r.unchanged == 90);
  CHECK(r.invalid == 4);
  CHECK(r.removed == 1);
  CHECK(r.failed == 5);
  CHECK(r.held == 6);
  CHECK(r.dead == 7);
  CHECK(r.api_requests == 17);
  CHECK(r.result == "suspect");
  CHECK(r.detail == "no approved row now");

  RunRecord unknown;
  unknown.id = 999;
  auto bad = f.store->finish_run(unknown);
  REQUIRE_FALSE(bad);
  CHECK_CONTAINS(bad.error().message, "run 999");
}

TEST_CASE("log_run logs a whole run in one write, as begin_run then finish_run would") {
  StoreFixture f;
  const auto started = f.clock.unix_seconds();
  f.clock.advance(3s);
  RunRecord run;
  run.id = 12345;  // ignored: the run gets an id of its own
  run.source = "acme";
  run.trigger = "schedule";
  run.started_at = started;
  // Every column a different value, so a column bound to another's place shows.
  run.created = 1;
  run.updated = 2;
  run.unchanged = 20;
  run.invalid = 3;
  run.removed = 4;
  run.failed = 5;
  run.held = 6;
  run.dead = 7;
  run.unpublished = 8;
  run.republished = 9;
  run.adopted = 10;
  run.api_requests = 11;
  run.result = "rows_not_synced";
  run.detail = "two rows failed";
  REQUIRE(f.store->log_run(run));
  run.source = "other";
  REQUIRE(f.store->log_run(run));

  auto runs = f.store->recent_runs("acme", 10);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  const auto& r = runs->front();
  CHECK(r.id != 12345);
  CHECK(r.source == "acme");
  CHECK(r.trigger == "schedule");
  CHECK(r.started_at == started);
  CHECK(r.finished_at == started + 3);
  CHECK(r.created == 1);
  CHECK(r.updated == 2);
  CHECK(r.unchanged == 20);
  CHECK(r.invalid == 3);
  CHECK(r.removed == 4);
  CHECK(r.failed == 5);
  CHECK(r.held == 6);
  CHECK(r.dead == 7);
  CHECK(r.unpublished == 8);
  CHECK(r.republished == 9);
  CHECK(r.adopted == 10);
  CHECK(r.api_requests == 11);
  CHECK(r.result == "rows_not_synced");
  CHECK(r.detail == "two rows failed");
  // The history's bound holds for such runs too: the pruning time is kept as finish_run keeps it.
  auto pruned = f.store->fact("acme", "pinsync.pruned_at");
  REQUIRE(pruned);
  REQUIRE(*pruned);
  CHECK(**pruned == std::to_string(started + 3));
}

TEST_CASE("recent_runs lists the most recent first, up to the limit, per source or all") {
  StoreFixture f;
  std::vector<std::int64_t> acme_ids;
  for (int i = 0; i < 5; ++i) {
    auto a = f.store->begin_run("acme", "schedule");
    REQUIRE(a);
    acme_ids.push_back(*a);
    REQUIRE(f.store->begin_run("beta", "resync"));
  }
  auto last3 = f.store->recent_runs("acme", 3);
  REQUIRE(last3);
  REQUIRE(last3->size() == 3);
  CHECK((*last3)[0].id == acme_ids[4]);
  CHECK((*last3)[1].id == acme_ids[3]);
  CHECK((*last3)[2].id == acme_ids[2]);
  for (const auto& r : *last3) CHECK(r.source == "acme");

  auto all = f.store->recent_runs("", 100);
  REQUIRE(all);
  REQUIRE(all->size() == 10);
  CHECK(all->front().source == "beta");
  CHECK(all->front().trigger == "resync");
  for (std::size_t i = 1; i < all->size(); ++i) CHECK((*all)[i - 1].id > (*all)[i].id);

  auto zero = f.store->recent_runs("", 0);
  REQUIRE(zero);
  CHECK(zero->empty());
}

TEST_CASE("audit lists every write of a row, oldest first") {
  StoreFixture f;
  auto create = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, create));
  REQUIRE(record_failure(*f.store, create, WriteOutcome{429, "req-1", std::nullopt},
                                  {RowState::failed, "", "rate limited", true, 1, 0}));
  f.clock.advance(1s);
  REQUIRE(record_success(*f.store, create, WriteOutcome{201, "req-2", 501}));
  f.clock.advance(1s);
  auto update = make_entry("E-1", "{}", WriteAction::update);
  update.idempotency_key = "pinsync-acme-E-1-update-abc";
  update.payload_hash = "hash-2";
  update.event_id = 501;
  update.row_ref = "Sheet1!A7";
  REQUIRE(put_outbox(*f.store, update));
  REQUIRE(record_success(*f.store, update, WriteOutcome{200, "req-3", std::nullopt}));

  auto audit = f.store->audit("acme", "E-1");
  REQUIRE(audit);
  REQUIRE(audit->size() == 3);
  CHECK((*audit)[0].http_status == 429);
  CHECK_FALSE((*audit)[0].event_id.has_value());
  CHECK((*audit)[1].http_status == 201);
  CHECK((*audit)[1].event_id == 501);
  CHECK((*audit)[2].action == WriteAction::update);
  CHECK((*audit)[2].idempotency_key == "pinsync-acme-E-1-update-abc");
  CHECK((*audit)[2].event_id == 501);  // from the entry when the answer carries none
  CHECK((*audit)[2].row_ref == "Sheet1!A7");
  CHECK((*audit)[2].request_id == "req-3");
  CHECK((*audit)[0].at + 2 == (*audit)[2].at);
  auto none = f.store->audit("acme", "E-2");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("finish_run keeps each source's history bounded: 90 days of runs and change log, at most 10,000 runs") {
  StoreFixture f;
  auto create = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, create));
  REQUIRE(record_success(*f.store, create, WriteOutcome{201, "req-1", 501}));
  RunRecord run;
  run.result = "ok";
  for (const char* source : {"acme", "beta"}) {
    auto id = f.store->begin_run(source, "schedule");
    REQUIRE(id);
    run.id = *id;
    REQUIRE(f.store->finish_run(run));
  }
  f.clock.advance(std::chrono::days(91));
  auto id = f.store->begin_run("acme", "schedule");
  REQUIRE(id);
  run.id = *id;
  REQUIRE(f.store->finish_run(run));
  auto acme = f.store->recent_runs("acme", 10);
  REQUIRE(acme);
  CHECK(acme->size() == 1);  // the old one is gone, this one stays
  CHECK(f.store->recent_runs("beta", 10)->size() == 1);  // another source is pruned by its own runs
  CHECK(f.store->audit("acme", "E-1")->empty());

  // 10,005 more runs of acme: after the next one ends, the newest 10,000 are left.
  {
    auto raw = f.raw();
    SQLite::Transaction insert(raw);
    raw.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10005) "
             "INSERT INTO runs (source, trigger_kind, started_at, finished_at, result) "
             "SELECT 'acme', 'schedule', " + std::to_string(f.clock.unix_seconds()) + ", " +
             std::to_string(f.clock.unix_seconds()) + ", 'ok' FROM n");
    insert.commit();
  }
  // One run of acme, begun and finished; returns its id.
  const auto one_run = [&] {
    auto begun = f.store->begin_run("acme", "schedule");
    REQUIRE(begun);
    run.id = *begun;
    REQUIRE(f.store->finish_run(run));
    return begun;
  };
  // Within the hour of the last prune nothing is pruned (a pass a minute does not pay for
  // it each time)...
  id = one_run();
  auto kept = f.store->recent_runs("acme", 20'000);
  REQUIRE(kept);
  CHECK(kept->size() == 10'007);
  // ...nor by another process within that hour (a one-shot sync): the time is in the file.
  f.store.reset();
  f.store = f.open_or_fail();
  id = one_run();
  kept = f.store->recent_runs("acme", 20'000);
  REQUIRE(kept);
  CHECK(kept->size() == 10'008);
  // ...the first run an hour later prunes.
  f.clock.advance(std::chrono::hours(1));
  id = one_run();
  kept = f.store->recent_runs("acme", 20'000);
  REQUIRE(kept);
  CHECK(kept->size() == 10'000);
  CHECK(kept->front().id == *id);
}

TEST_CASE("log_run prunes as finish_run does; with the state lock the time of the last pruning is kept in memory") {
  StoreFixture f;
  StoreOptions sole;
  sole.sole_writer = true;
  auto store = f.open_or_fail(sole);
  RunRecord run;
  run.source = "acme";
  run.trigger = "schedule";
  run.result = "ok";
  const auto log_one = [&] {
    run.started_at = f.clock.unix_seconds();
    REQUIRE(store->log_run(run));
  };
  log_one();
  f.clock.advance(std::chrono::days(91));
  log_one();
  CHECK(store->recent_runs("acme", 10)->size() == 1);  // the run of 91 days ago went
  // Within the hour nothing is pruned, and the store does not read the file to know it.
  f.raw().exec("DELETE FROM source_facts WHERE key = 'pinsync.pruned_at'");
  f.raw().exec("INSERT INTO runs (source, trigger_kind, started_at, finished_at, result) "
               "VALUES ('acme', 'schedule', 1, 1, 'ok')");
  log_one();
  auto runs = store->recent_runs("acme", 10);
  REQUIRE(runs);
  CHECK(runs->size() == 3);
  // An hour later the next run prunes again.
  f.clock.advance(std::chrono::hours(1));
  log_one();
  runs = store->recent_runs("acme", 10);
  REQUIRE(runs);
  CHECK(runs->size() == 3);
  for (const auto& r : *runs) CHECK(r.finished_at > 1);
}

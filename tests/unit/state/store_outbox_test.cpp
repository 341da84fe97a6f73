// The outbox and the outcomes of writes: exact bodies, record_success/record_failure,
// and proof that each method commits all of its change or none of it.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "store_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::state;
using namespace pinsync::state::test;
using namespace std::chrono_literals;

TEST_CASE("put_outbox stores the exact body bytes and marks the row pending") {
  StoreFixture f;
  // UTF-8, quotes, backslashes, a newline and an embedded NUL must all survive.
  std::string body = R"({"title":"Café \"Zürich\" — 東京","note":"a\\b"})";
  body += '\n';
  body += std::string("nul:\0:end", 9);
  auto entry = make_entry("E-1", body);
  entry.event_id = 77;
  entry.action = WriteAction::update;
  REQUIRE(put_outbox(*f.store, entry));

  auto got = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(got);
  REQUIRE(got->has_value());
  const auto& e = **got;
  CHECK(e.body == body);
  CHECK(e.body.size() == body.size());
  CHECK(e.source == "acme");
  CHECK(e.source_id == "E-1");
  CHECK(e.row_ref == "Sheet1!A2");
  CHECK(e.action == WriteAction::update);
  CHECK(e.event_id == 77);
  CHECK(e.idempotency_key == "pinsync-acme-E-1-create");
  CHECK(e.payload_hash == "hash-1");
  CHECK(e.created_at == f.clock.unix_seconds());

  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  REQUIRE(row->has_value());
  CHECK((*row)->state == RowState::pending);
  CHECK((*row)->row_ref == "Sheet1!A2");
  CHECK((*row)->created_at == f.clock.unix_seconds());

  auto missing = testing::outbox_entry(*f.store, "acme", "E-2");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("outbox_entries lists one source's entries, oldest first") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("B")));
  f.clock.advance(10s);
  REQUIRE(put_outbox(*f.store, make_entry("A")));
  auto other = make_entry("C");
  other.source = "beta";
  REQUIRE(put_outbox(*f.store, other));

  auto entries = f.store->outbox_entries("acme");
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].source_id == "B");
  CHECK((*entries)[1].source_id == "A");
  CHECK((*entries)[1].created_at == (*entries)[0].created_at + 10);
  auto none = f.store->outbox_entries("gamma");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("putting the same request again keeps its first time; a new one resets it") {
  StoreFixture f;
  const auto first_time = f.clock.unix_seconds();
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  f.clock.advance(60s);
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  auto same = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(same);
  CHECK((*same)->created_at == first_time);

  auto changed = make_entry("E-1", R"({"title":"Gala 2"})");
  changed.payload_hash = "hash-2";
  REQUIRE(put_outbox(*f.store, changed));
  auto fresh = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(fresh);
  CHECK((*fresh)->created_at == first_time + 60);
  CHECK((*fresh)->body == R"({"title":"Gala 2"})");
}

TEST_CASE("put_outbox keeps the event id and payload hash of an existing row") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));

  auto update = make_entry("E-1", R"({"title":"New"})", WriteAction::update);
  update.payload_hash = "hash-2";
  update.row_ref = "Sheet1!A9";
  update.event_id = 501;
  REQUIRE(put_outbox(*f.store, update));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::pending);
  CHECK((*row)->event_id == 501);
  CHECK((*row)->payload_hash == "hash-1");
  CHECK((*row)->row_ref == "Sheet1!A9");
}

TEST_CASE("record_success clears the outbox and sets synced, hash, event id and audit at once") {
  StoreFixture f;
  auto entry = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_failure(*f.store, entry, WriteOutcome{503, "req-0", std::nullopt},
                                  {RowState::failed, "", "server busy", true, 1, 1000}));
  f.clock.advance(5s);
  REQUIRE(record_success(*f.store, entry, WriteOutcome{201, "req-1", 501}));

  // Seen from another connection, as a restarted process would see it.
  auto raw = f.raw();
  CHECK(raw.execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
  SQLite::Statement q(raw,
                      "SELECT state, payload_hash, event_id, error_reason, attempts, "
                      "last_request_id, updated_at FROM source_rows WHERE source_id = 'E-1'");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == "synced");
  CHECK(q.getColumn(1).getString() == "hash-1");
  CHECK(q.getColumn(2).getInt64() == 501);
  CHECK(q.getColumn(3).getString() == "");
  CHECK(q.getColumn(4).getInt() == 0);
  CHECK(q.getColumn(5).getString() == "req-1");
  CHECK(q.getColumn(6).getInt64() == f.clock.unix_seconds());

  auto audit = f.store->audit("acme", "E-1");
  REQUIRE(audit);
  REQUIRE(audit->size() == 2);
  const auto& last = audit->back();
  CHECK(last.http_status == 201);
  CHECK(last.request_id == "req-1");
  CHECK(last.event_id == 501);
  CHECK(last.action == WriteAction::create);
  CHECK(last.idempotency_key == "pinsync-acme-E-1-create");
  CHECK(last.row_ref == "Sheet1!A2");
  CHECK(last.at == f.clock.unix_seconds());
}

TEST_CASE("record_outcomes keeps the event's status, and an unpublish leaves the row removed") {
  StoreFixture f;
  auto entry = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_success(*f.store, entry, WriteOutcome{201, "req-1", 501}, EventShown{"Gala", "2026-06-12", "published"}));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::synced);
  CHECK((*row)->event_status == "published");

  // An unpublish: state removed, event "unpublished", title and start as given.
  auto down = make_entry("E-1", R"({"status":"draft"})", WriteAction::update);
  down.idempotency_key = "pinsync-acme-E-1-unpublish-1";
  down.payload_hash = "hash-down";
  down.event_id = 501;
  REQUIRE(put_outbox(*f.store, down));
  const Outcome unpublished{down, WriteOutcome{200, "req-2", std::nullopt}, std::nullopt,
                            EventShown{"Gala", "2026-06-12", "unpublished"}, RowState::removed};
  REQUIRE(f.store->record_outcomes({&unpublished, 1}));
  row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::removed);
  CHECK((*row)->event_status == "unpublished");
  CHECK((*row)->payload_hash == "hash-down");
  CHECK((*row)->event_id == 501);
  CHECK((*row)->event_title == "Gala");

  // A success that does not say the status keeps the one known.
  auto again = make_entry("E-1", R"({"title":"Gala"})", WriteAction::update);
  again.idempotency_key = "k-3";
  again.event_id = 501;
  REQUIRE(put_outbox(*f.store, again));
  REQUIRE(record_success(*f.store, again, WriteOutcome{200, "req-3", std::nullopt}));
  row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::synced);
  CHECK((*row)->event_status == "unpublished");
}

TEST_CASE("record_success of an update keeps the row's event id when the answer has none") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  auto update = make_entry("E-1", "{}", WriteAction::update);
  update.idempotency_key = "pinsync-acme-E-1-update-hash-2";
  update.payload_hash = "hash-2";
  REQUIRE(put_outbox(*f.store, update));
  REQUIRE(record_success(*f.store, update, WriteOutcome{200, "", std::nullopt}));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->event_id == 501);
  CHECK((*row)->payload_hash == "hash-2");
  CHECK((*row)->last_request_id == "req-1");  // an empty request id does not erase the last one
}

TEST_CASE("record_success leaves a newer request of the same row in the outbox") {
  StoreFixture f;
  auto first = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, first));
  auto newer = make_entry("E-1", R"({"title":"edited"})");
  newer.payload_hash = "hash-2";
  REQUIRE(put_outbox(*f.store, newer));
  REQUIRE(record_success(*f.store, first, WriteOutcome{201, "req-1", 501}));

  auto entry = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(entry);
  REQUIRE(entry->has_value());
  CHECK((*entry)->payload_hash == "hash-2");
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::pending);
  CHECK((*row)->event_id == 501);
  CHECK((*row)->payload_hash == "hash-1");  // what the event holds now
}

TEST_CASE("record_failure with keep_outbox keeps the entry for the next pass") {
  StoreFixture f;
  auto entry = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, entry));
  REQUIRE(record_failure(*f.store, entry, WriteOutcome{503, "req-1", std::nullopt},
                                  {RowState::failed, "", "Pinned Events answered 503", true, 1, 1030}));
  REQUIRE(record_failure(*f.store, entry, WriteOutcome{0, "", std::nullopt},
                                  {RowState::failed, "", "timed out", true, 2, 1090}));
  auto kept = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(kept);
  CHECK(kept->has_value());
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::failed);
  CHECK((*row)->error_reason == "timed out");
  CHECK((*row)->attempts == 2);
  CHECK((*row)->next_attempt_at == 1090);
  CHECK((*row)->attempted_hash == entry.payload_hash);
  CHECK((*row)->last_request_id == "req-1");
  auto audit = f.store->audit("acme", "E-1");
  REQUIRE(audit);
  REQUIRE(audit->size() == 2);
  CHECK((*audit)[0].http_status == 503);
  CHECK((*audit)[1].http_status == 0);
}

TEST_CASE("record_failure without keep_outbox removes the entry and keeps the event's content") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  auto update = make_entry("E-1", R"({"start":"bad"})", WriteAction::update);
  update.payload_hash = "hash-2";
  update.event_id = 501;
  REQUIRE(put_outbox(*f.store, update));
  REQUIRE(record_failure(*f.store, update, WriteOutcome{400, "req-2", std::nullopt},
                                  {RowState::invalid, "start", "must be a date-time", false, 1, 0}));

  auto gone = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(gone);
  CHECK_FALSE(gone->has_value());
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::invalid);
  CHECK((*row)->error_field == "start");
  CHECK((*row)->error_reason == "must be a date-time");
  CHECK((*row)->event_id == 501);
  CHECK((*row)->payload_hash == "hash-1");
  CHECK((*row)->last_request_id == "req-2");
  CHECK((*row)->attempts == 1);
}

TEST_CASE("a failure in the middle of record_success leaves no partial change") {
  StoreFixture f;
  auto entry = make_entry("E-1");
  REQUIRE(put_outbox(*f.store, entry));
  // The audit insert is the method's last step: by then the outbox row is deleted and the
  // row updated, and all of that must roll back.
  f.raw().exec(
      "CREATE TRIGGER fail_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk "
      "trouble'); END");

  auto done = record_success(*f.store, entry, WriteOutcome{201, "req-1", 501});
  REQUIRE_FALSE(done);
  CHECK(done.error().kind == ErrorKind::internal);
  CHECK(done.error().message == "state file " + f.file.string() +
                                    ": cannot record the outcome of acme/E-1: disk trouble");

  auto kept = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(kept);
  CHECK(kept->has_value());
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::pending);
  CHECK_FALSE((*row)->event_id.has_value());

  // The store stays usable once the cause is gone.
  f.raw().exec("DROP TRIGGER fail_audit");
  REQUIRE(record_success(*f.store, entry, WriteOutcome{201, "req-1", 501}));
  auto synced = f.store->row("acme", "E-1");
  REQUIRE(synced);
  CHECK((*synced)->state == RowState::synced);
}

TEST_CASE("a failure in the middle of put_outbox leaves the row as it was") {
  StoreFixture f;
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A2", RowState::invalid, "date", "June 32",
                                 "not a date"));
  f.raw().exec(
      "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'no'); END");
  auto put = put_outbox(*f.store, make_entry("E-1"));
  REQUIRE_FALSE(put);
  CHECK(put.error().message.find("cannot save the create request of acme/E-1") !=
        std::string::npos);
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::invalid);
  CHECK(f.raw().execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
}

TEST_CASE("a write while another process holds the lock fails with a clear message") {
  StoreFixture f;
  f.store = f.open_or_fail(StoreOptions{20ms});
  auto other = f.raw();
  other.exec("BEGIN IMMEDIATE");
  auto put = put_outbox(*f.store, make_entry("E-1"));
  other.exec("ROLLBACK");
  REQUIRE_FALSE(put);
  CHECK(put.error().message.find("state file " + f.file.string() +
                                 ": cannot save the create request of acme/E-1: database is "
                                 "locked — is another pinsync") == 0);
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
}

TEST_CASE("an outbox entry survives the process ending abruptly right after put_outbox") {
  StoreFixture f;
  f.store.reset();
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = Store::open(f.file, f.clock);
    const bool ok = store && put_outbox(**store, make_entry("E-1", "exact body")).has_value();
    ::_exit(ok ? 0 : 1);  // no destructors, no close: as close to kill -9 as a test gets
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  f.store = f.open_or_fail();
  auto entry = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(entry);
  REQUIRE(entry->has_value());
  CHECK((*entry)->body == "exact body");
}

TEST_CASE("calls from several threads are serialized") {
  StoreFixture f;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f, t] {
      for (int i = 0; i < 25; ++i) {
        auto entry = make_entry("T" + std::to_string(t) + "-" + std::to_string(i));
        if (!put_outbox(*f.store, entry)) return;
        if (!record_success(*f.store, entry, WriteOutcome{201, "r", 1000 + i})) return;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto rows = f.store->rows("acme");
  REQUIRE(rows);
  CHECK(rows->size() == 100);
  for (const auto& r : *rows) CHECK(r.state == RowState::synced);
}

TEST_CASE("a success keeps what the event holds; the change log names the fields each write changed") {
  StoreFixture f;
  auto created = make_entry("E-1", R"({"title":"Gala","startAt":"2026-06-12T20:00:00-04:00","status":"published"})");
  REQUIRE(record_success(*f.store, created, WriteOutcome{201, "req-1", 7}));
  CHECK(f.store->row_payload("acme", "E-1").value() == created.body);

  // An update of the title and the start: both named; what the event holds follows.
  auto update = make_entry("E-1", R"({"title":"Gala night","startAt":"2026-06-12T21:00:00-04:00","status":"published"})",
                           WriteAction::update);
  update.event_id = 7;
  REQUIRE(record_success(*f.store, update, WriteOutcome{200, "req-2", 7}));
  // A partial update (an unpublish) merges into it, as the API applies a PATCH.
  auto down = make_entry("E-1", R"({"status":"draft"})", WriteAction::update);
  down.event_id = 7;
  REQUIRE(record_success(*f.store, down, WriteOutcome{200, "req-3", 7}));
  CHECK(f.store->row_payload("acme", "E-1").value() ==
        R"({"title":"Gala night","startAt":"2026-06-12T21:00:00-04:00","status":"draft"})");

  auto audit = f.store->audit("acme", "E-1");
  REQUIRE(audit);
  REQUIRE(audit->size() == 3);
  CHECK(audit->at(0).fields == "");  // a first create changes no field it had before
  CHECK(audit->at(1).fields == "startAt, title");
  CHECK(audit->at(2).fields == "status");

  // A failure changes nothing the event holds; a row never written has nothing kept.
  REQUIRE(record_failure(*f.store, make_entry("E-2"), WriteOutcome{503, "", std::nullopt},
                         {RowState::failed, "", "busy", true, 1, 0}));
  CHECK_FALSE(f.store->row_payload("acme", "E-2").value().has_value());
  // Forgetting the source forgets what its events hold.
  REQUIRE(f.store->forget_source("acme"));
  CHECK(f.raw().execAndGet("SELECT count(*) FROM row_payloads").getInt() == 0);
}

// The pass's durable promises with a scripted API and a fake clock: the retry queue
// (backoff, Retry-After, dead rows, re-arming by edit or resync --row), concurrent
// sending, suspect reads that would remove too much, and paused sources.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>

#include "agent/sync/report.h"
#include "pass_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace pinsync::agent::test;
using namespace std::chrono_literals;

namespace {

std::optional<state::RowRecord> stored_row(Pass& p, const std::string& id) {
  auto rec = p.store->row("acme", id);
  REQUIRE(rec);
  return *rec;
}

void answer_busy(Pass& p) {
  p.transport.reply(503, R"({"error":{"code":"unavailable","message":"try later"}})");
  p.transport.reply(503, R"({"error":{"code":"unavailable","message":"try later"}})");
}

}  // namespace

TEST_CASE("retry queue: a failing row backs off between passes, dies after max_attempts, and an edit re-arms it") {
  Pass p;
  p.queue = RetryPolicy{3, 30s, 3600s};
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};

  answer_busy(p);
  CHECK(p.run().failed == 1);
  auto rec = stored_row(p, "E-1");
  CHECK(rec->state == state::RowState::failed);
  CHECK(rec->attempts == 1);
  CHECK(rec->next_attempt_at <= p.clock.unix_seconds() + 30);
  CHECK_CONTAINS(rec->error_reason, "attempt 2 at");

  // Not due yet: no request at all.
  const std::size_t sent = p.transport.requests.size();
  if (rec->next_attempt_at > p.clock.unix_seconds()) {  // full jitter may have drawn 0 s
    const auto waiting = p.run();
    CHECK(waiting.rows.at(0).action == RowAction::waiting);
    CHECK(p.transport.requests.size() == sent);
  }

  // Past the idempotency window the stored create is looked up before a resend; a
  // look-up that fails counts as an attempt too.
  p.clock.advance(3600s);
  answer_busy(p);
  CHECK(p.run().failed == 1);
  CHECK(stored_row(p, "E-1")->attempts == 2);
  CHECK(p.transport.requests.back().method == "GET");

  p.clock.advance(3600s);
  answer_busy(p);
  const auto third = p.run();
  CHECK(third.dead == 1);
  CHECK_FALSE(third.clean());
  rec = stored_row(p, "E-1");
  CHECK(rec->state == state::RowState::dead);
  CHECK_CONTAINS(rec->error_reason, "gave up after 3 attempts, nothing more is sent by itself");
  CHECK_CONTAINS(rec->error_reason, "pinsync resync --source acme --row E-1");
  CHECK_NOT_CONTAINS(rec->error_reason, "will be resent");  // a dead row is not, until a person acts

  // Dead: however long it waits, nothing is sent until a person acts.
  p.clock.advance(48h);
  const std::size_t before = p.transport.requests.size();
  const auto still = p.run();
  CHECK(still.dead == 1);
  CHECK(still.rows.at(0).action == RowAction::dead);
  CHECK(p.transport.requests.size() == before);

  // An edit re-arms it: the stored create is finished first, then the edit goes as an update.
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night")};
  p.transport.reply(200, R"({"docs":[],"hasNextPage":false})");  // not created after all
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(200, R"({"doc":{"id":7}})");
  const auto edited = p.run();
  CHECK(edited.updated == 1);
  CHECK(edited.clean());
  REQUIRE(p.transport.requests.size() == before + 3);
  CHECK(p.transport.requests[before].method == "GET");
  CHECK(p.transport.requests[before + 1].method == "POST");
  CHECK_CONTAINS(p.transport.requests[before + 1].body, "\"Jazz\"");
  CHECK(p.transport.requests[before + 2].method == "PATCH");
  CHECK_CONTAINS(p.transport.requests[before + 2].body, "Jazz night");
  rec = stored_row(p, "E-1");
  CHECK(rec->state == state::RowState::synced);
  CHECK(rec->attempts == 0);
  CHECK(rec->event_id == 7);
}

TEST_CASE("retry queue: Retry-After is the earliest next attempt; resync --row re-arms a dead row at once") {
  Pass p;
  p.queue = RetryPolicy{2, 1s, 2s};
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(429, R"({"error":{"code":"rate_limited","message":"slow down"}})", {{"retry-after", "5"}});
  p.transport.reply(429, R"({"error":{"code":"rate_limited","message":"slow down"}})", {{"retry-after", "900"}});
  p.run();
  auto rec = stored_row(p, "E-1");
  CHECK(rec->state == state::RowState::failed);
  CHECK(rec->next_attempt_at >= p.clock.unix_seconds() + 900);  // not the 1-2 s of the policy

  p.clock.advance(1000s);
  answer_busy(p);
  CHECK(p.run().dead == 1);

  // Re-armed, the create in doubt (older than the idempotency window) is looked up first.
  p.options = manual_pass({.rows = {"E-1"}});
  p.transport.reply(200, R"({"docs":[],"hasNextPage":false})");
  p.transport.reply(201, R"({"doc":{"id":9}})");
  const auto rearmed = p.run();
  CHECK(rearmed.created == 1);
  CHECK(stored_row(p, "E-1")->state == state::RowState::synced);
}

TEST_CASE("retry queue: a manual resync sends rows that wait for their backoff now") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  answer_busy(p);
  p.run();
  REQUIRE(stored_row(p, "E-1")->state == state::RowState::failed);
  p.transport.reply(201, R"({"doc":{"id":3}})");
  p.options = manual_pass();
  CHECK(p.run().created == 1);
}

TEST_CASE("pass: with several clients every row is sent exactly once, each on one connection") {
  Pass p;
  for (int i = 0; i < 2; ++i) p.extra.push_back(std::make_unique<testing::FakeTransport>());
  std::vector<testing::FakeTransport*> transports = {&p.transport, p.extra[0].get(), p.extra[1].get()};
  constexpr int k_rows = 70;
  for (int i = 0; i < k_rows; ++i) p.connector.table.rows.push_back(row("s:" + std::to_string(i + 2), "E-" + std::to_string(i), "Show"));
  for (std::size_t t = 0; t < transports.size(); ++t) {
    for (int i = 0; i < k_rows; ++i) {
      transports[t]->reply(201, R"({"doc":{"id":)" + std::to_string((t + 1) * 1000 + i) + "}}");
    }
  }
  const auto report = p.run();
  CHECK(report.created == k_rows);
  CHECK(report.api_requests == k_rows);
  std::set<std::string> keys;
  std::size_t total = 0;
  for (auto* t : transports) {
    total += t->requests.size();
    for (const auto& r : t->requests) {
      for (const auto& [n, v] : r.headers) {
        if (n == "Idempotency-Key") keys.insert(v);
      }
    }
  }
  CHECK(total == k_rows);
  CHECK(keys.size() == k_rows);
  auto rows = p.store->rows("acme");
  REQUIRE(rows);
  std::set<std::int64_t> ids;
  for (const auto& r : *rows) {
    CHECK(r.state == state::RowState::synced);
    ids.insert(r.event_id.value_or(0));
  }
  CHECK(ids.size() == k_rows);
  auto outbox = p.store->outbox_entries("acme");
  REQUIRE(outbox);
  CHECK(outbox->empty());
}

TEST_CASE("pass: a read that loses too many approved rows removes nothing until the operator accepts") {
  Pass p;
  for (int i = 0; i < 5; ++i) {
    p.connector.table.rows.push_back(row("s:" + std::to_string(i + 2), "E-" + std::to_string(i), "Show"));
    p.transport.reply(201, R"({"doc":{"id":)" + std::to_string(i + 1) + "}}");
  }
  REQUIRE(p.run().created == 5);

  // A half-loaded export: two of five (40%) are missing.
  p.connector.table.rows.resize(3);
  const auto suspect = p.run();
  CHECK(suspect.removed == 0);
  CHECK_CONTAINS(suspect.suspect, "2 of 5 approved rows (40%)");
  CHECK_CONTAINS(suspect.suspect, "--accept-removals");
  CHECK_FALSE(suspect.clean());
  CHECK(stored_row(p, "E-4")->state == state::RowState::synced);

  // A read with no approved row at all.
  p.connector.table.rows.clear();
  const auto empty = p.run();
  CHECK(empty.removed == 0);
  CHECK_CONTAINS(empty.suspect, "no approved row now, but 5 were approved before");

  p.connector.table.rows.resize(0);
  p.options.accept_removals = true;
  const auto accepted = p.run();
  CHECK(accepted.removed == 5);
  CHECK(accepted.suspect.empty());
  CHECK(stored_row(p, "E-4")->state == state::RowState::removed);
}

TEST_CASE("pause: a refused key pauses the source until the key changes or a person resyncs") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(401, R"({"error":{"code":"unauthorized","message":"API key revoked"}})");
  auto refused = p.run();
  CHECK(refused.key_refused);
  REQUIRE(refused.stopped);
  pause_if_refused(*p.store, refused, "fp-1", p.log);

  const auto held = check_pause(*p.store, p.config, "fp-1", false, p.log);
  REQUIRE(held);
  REQUIRE(held->stopped);
  CHECK(held->stopped->kind == ErrorKind::auth);
  CHECK_CONTAINS(held->stopped->message, "paused since");
  CHECK_CONTAINS(held->stopped->message, "API key revoked");
  CHECK_CONTAINS(held->stopped->message, "pinsync resync --source acme");

  CHECK_FALSE(check_pause(*p.store, p.config, "fp-2", false, p.log));  // a new key resumes
  CHECK_FALSE(check_pause(*p.store, p.config, "fp-1", false, p.log));  // and the pause is gone
  pause_if_refused(*p.store, refused, "fp-1", p.log);
  CHECK_FALSE(check_pause(*p.store, p.config, "fp-1", true, p.log));  // a manual resync resumes

  PinnedConfig other = p.pinned;
  CHECK(pause_fingerprint(p.pinned, p.config) == pause_fingerprint(other, p.config));
  other.api_key = "another";
  CHECK(pause_fingerprint(p.pinned, p.config) != pause_fingerprint(other, p.config));
}

TEST_CASE("pause: an operator's pause holds through resyncs and key changes; only its removal ends it") {
  Pass p;
  REQUIRE(p.store->set_pause("acme", "partner asked to stop until March", "", state::PausedBy::operator_));
  for (const auto& [fingerprint, manual] : {std::pair{"fp-1", false}, {"fp-2", false}, {"fp-1", true}}) {
    const auto held = check_pause(*p.store, p.config, fingerprint, manual, p.log);
    REQUIRE(held);
    CHECK(held->paused);
    CHECK(held->operator_pause);
    CHECK_FALSE(held->key_refused);
    REQUIRE(held->stopped);
    CHECK_CONTAINS(held->stopped->message, "acme: paused by an operator since ");
    CHECK_CONTAINS(held->stopped->message, "partner asked to stop until March");
    CHECK_CONTAINS(held->stopped->message, "pinsync resume --source acme");
    CHECK(result_of(*held) == PassResult::paused);
  }
  REQUIRE(p.store->clear_pause("acme"));
  CHECK_FALSE(check_pause(*p.store, p.config, "fp-1", false, p.log));
}

TEST_CASE("pass: a 404 is not believed when the source's other events answer 404 too (a wrong base_url)") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "Blues")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(201, R"({"doc":{"id":8}})");
  REQUIRE(p.run().created == 2);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night"), row("s:3", "E-2", "Blues")};
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");  // PATCH
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");  // GET the other
  const auto doubted = p.run();
  REQUIRE(doubted.stopped);
  CHECK(doubted.stopped->kind == ErrorKind::config);
  CHECK_CONTAINS(doubted.stopped->message, "pinned.base_url is probably wrong");
  CHECK(doubted.held == 0);
  CHECK(stored_row(p, "E-1")->state == state::RowState::failed);  // not gone: never recreated for this
  CHECK(p.transport.requests.back().method == "GET");

  // The other event answers: the 404 was a real deletion.
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  p.transport.reply(200, R"({"id":8,"title":"Blues"})");
  p.options = manual_pass();
  CHECK(p.run().held == 1);
  CHECK(stored_row(p, "E-1")->state == state::RowState::gone);
}

TEST_CASE("pass: resync --row ID --recreate gives that gone row a new event; the others stay held") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz"), row("s:3", "E-2", "Blues")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  p.transport.reply(201, R"({"doc":{"id":8}})");
  REQUIRE(p.run().created == 2);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night"), row("s:3", "E-2", "Blues night")};
  // Both updates answer 404; no other event of the source is synced to ask, but the
  // channel's event list answers, so it is believed.
  for (int i = 0; i < 2; ++i) p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  p.transport.reply(200, R"({"docs":[],"totalDocs":0,"limit":1,"page":1})");
  const auto lost = p.run();
  CHECK(lost.held == 2);
  const auto gone = stored_row(p, "E-1");
  REQUIRE(gone->state == state::RowState::gone);
  CHECK_CONTAINS(gone->error_reason, "event 7 (\"Jazz\", 2026-06-12 20:00) was deleted");
  CHECK_CONTAINS(gone->error_reason, "pinsync resync --source acme --row E-1 --recreate");

  const std::size_t before = p.transport.requests.size();
  p.options = manual_pass({.rows = {"E-1"}, .recreate = true});
  p.transport.reply(201, R"({"doc":{"id":9}})");
  const auto recreated = p.run();
  CHECK(recreated.created == 1);
  CHECK(p.header(before, "Idempotency-Key") == "pinsync-acme-E-1-recreate-7-create");
  CHECK(stored_row(p, "E-1")->event_id == 9);
  CHECK(stored_row(p, "E-1")->state == state::RowState::synced);
  CHECK(stored_row(p, "E-2")->state == state::RowState::gone);  // not named: still held
}

TEST_CASE("pass: a deleted event is held as gone, and recreated with a key of its own only when configured") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.transport.reply(201, R"({"doc":{"id":7}})");
  REQUIRE(p.run().created == 1);
  p.connector.table.rows = {row("s:2", "E-1", "Jazz night")};
  p.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  p.transport.reply(200, R"({"docs":[],"totalDocs":0,"limit":1,"page":1})");  // the channel answers
  CHECK(p.run().held == 1);
  CHECK(stored_row(p, "E-1")->state == state::RowState::gone);
  const std::size_t before = p.transport.requests.size();
  CHECK(p.run().held == 1);
  CHECK(p.transport.requests.size() == before);

  p.config.recreate_deleted = true;
  p.transport.reply(201, R"({"doc":{"id":8}})");
  CHECK(p.run().created == 1);
  CHECK(p.header(before, "Idempotency-Key") == "pinsync-acme-E-1-recreate-7-create");
  CHECK(stored_row(p, "E-1")->event_id == 8);
}

TEST_CASE("retry queue: a read of only the changes becomes a whole read when a queued row is due") {
  Pass p;
  p.connector.table.rows = {row("s:2", "E-1", "Jazz")};
  p.connector.reads_only_changes = true;
  answer_busy(p);
  p.run();  // the first read is whole (the options ask for no changes-only read yet)
  const auto rec = stored_row(p, "E-1");
  REQUIRE(rec->state == state::RowState::failed);

  // Changes only, nothing changed, the row not due: nothing read but the changes, nothing sent.
  p.options.changes_only = true;
  const std::size_t sent = p.transport.requests.size();
  if (rec->next_attempt_at > p.clock.unix_seconds()) {  // full jitter may have drawn 0 s
    const int whole = p.connector.full_reads;
    p.run();
    CHECK(p.connector.full_reads == whole);
    CHECK(p.connector.change_reads == 1);
    CHECK(p.transport.requests.size() == sent);
  }

  // Due: the unchanged row is not in a changes-only read, so the pass reads the whole
  // source and sends it (within the idempotency window: the same create again).
  p.clock.advance(60s);
  const int whole = p.connector.full_reads;
  p.transport.reply(201, R"({"doc":{"id":3}})");
  CHECK(p.run().created == 1);
  CHECK(p.connector.full_reads == whole + 1);
}

TEST_CASE("pass: a sender that throws stops the batch; the pass ends with the exception once every sender stopped") {
  Pass p;
  for (int i = 0; i < 2; ++i) p.extra.push_back(std::make_unique<testing::FakeTransport>());
  for (int i = 0; i < 40; ++i) p.connector.table.rows.push_back(row("s:" + std::to_string(i + 2), "E-" + std::to_string(i), "Show"));
  for (int i = 0; i < 40; ++i) p.transport.reply(201, R"({"doc":{"id":)" + std::to_string(i + 1) + "}}");
  // The pass's own sender waits until a helper sends: on a busy machine it could otherwise
  // send all 40 before a helper's thread started, and nothing would throw.
  std::mutex mutex;
  std::condition_variable helper_asked;
  bool asked = false;
  p.transport.on_send = [&](const http::Request&) {
    std::unique_lock lock(mutex);
    helper_asked.wait_for(lock, std::chrono::seconds(20), [&] { return asked; });
  };
  for (auto& t : p.extra) {
    t->on_send = [&](const http::Request&) {
      {
        const std::lock_guard lock(mutex);
        asked = true;
      }
      helper_asked.notify_all();
      throw std::runtime_error("out of memory, say");
    };
  }
  CHECK_THROWS_WITH_AS(p.run(), "out of memory, say", std::runtime_error);
  // Nothing is lost: every write of the batch went into the outbox before any was sent, and
  // none was recorded; the next pass sends them again with their keys.
  CHECK(p.store->outbox_entries("acme").value().size() == 40);
}

// Shared setup of the state store tests: a fresh temp folder per test (tests/support),
// a FakeClock, a store opened on a file in that folder, and a second raw SQLite
// connection for looking at (or tampering with) the file behind the store's back.
#pragma once

#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <memory>
#include <string>

#include "state/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace pinsync::state::test {

using testing::TempDir;

// One request, outcome or row state at a time: the batch calls with a batch of one.
inline Result<void> put_outbox(Store& store, const OutboxEntry& entry) { return store.put_outboxes({&entry, 1}); }
inline Result<void> record_success(Store& store, const OutboxEntry& entry, const WriteOutcome& outcome) {
  const Outcome one{entry, outcome, std::nullopt, {}};
  return store.record_outcomes({&one, 1});
}
inline Result<void> record_success(Store& store, const OutboxEntry& entry, const WriteOutcome& outcome,
                                   const EventShown& shown) {
  const Outcome one{entry, outcome, std::nullopt, shown};
  return store.record_outcomes({&one, 1});
}
inline Result<void> record_failure(Store& store, const OutboxEntry& entry, const WriteOutcome& outcome,
                                   const Failure& failure) {
  const Outcome one{entry, outcome, failure, {}};
  return store.record_outcomes({&one, 1});
}
inline Result<void> set_row_state(Store& store, std::string_view source, std::string_view source_id,
                                  std::string_view row_ref, RowState state, std::string_view field,
                                  std::string_view value, std::string_view reason) {
  const RowStateUpdate one{std::string(source), std::string(source_id), std::string(row_ref), state,
                           std::string(field),  std::string(value),     std::string(reason)};
  return store.set_row_states({&one, 1});
}

struct StoreFixture {
  TempDir dir;
  testing::FakeClock clock;
  std::filesystem::path file = dir.path() / "pinsync-state.db";
  std::unique_ptr<Store> store = open_or_fail();

  std::unique_ptr<Store> open_or_fail(StoreOptions options = {}) {
    auto opened = Store::open(file, clock, options);
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message));
    return std::move(*opened);
  }

  // Another connection to the same file, as a second process would have.
  SQLite::Database raw() const { return SQLite::Database(file.string(), SQLite::OPEN_READWRITE); }
};

// The schema version written in the file (PRAGMA user_version), read over a connection of its own.
inline int file_schema_version(const std::filesystem::path& file) {
  return SQLite::Database(file.string(), SQLite::OPEN_READONLY).execAndGet("PRAGMA user_version").getInt();
}

inline OutboxEntry make_entry(std::string source_id, std::string body = R"({"title":"Gala"})",
                              WriteAction action = WriteAction::create) {
  OutboxEntry e;
  e.source = "acme";
  e.source_id = source_id;
  e.row_ref = "Sheet1!A2";
  e.action = action;
  e.idempotency_key = "pinsync-acme-" + source_id + "-create";
  e.body = std::move(body);
  e.payload_hash = "hash-1";
  return e;
}

}  // namespace pinsync::state::test

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

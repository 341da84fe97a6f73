// The sync pass's unit-test world: a scripted connector and API, the real store on a
// temp file and a fake clock.
#pragma once

#include <doctest/doctest.h>

#include <Poco/ThreadPool.h>

#include <memory>
#include <sstream>

#include "agent/sync/pass.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/temp_dir.h"

namespace pinsync::agent::test {

using pinsync::testing::FakeClock;
using pinsync::testing::FakeTransport;
using pinsync::testing::TempDir;

class FakeConnector final : public connectors::Connector {
 public:
  Result<connectors::Table> fetch() override {
    ++full_reads;
    return table;
  }
  // A read of only the changes: `changes` (complete = false), when the test sets reads_only_changes.
  bool reads_changes() const override { return reads_only_changes; }
  Result<connectors::Table> fetch_changes() override {
    ++change_reads;
    connectors::Table t = changes;
    t.columns = table.columns;
    t.complete = false;
    return t;
  }
  bool writes_back() const override { return write_back_enabled; }
  Result<connectors::WriteBackReport> write_back(std::span<const connectors::RowResult> results) override {
    written.assign(results.begin(), results.end());
    if (!write_back_failure.empty()) return fail(ErrorKind::auth, write_back_failure);
    return connectors::WriteBackReport{static_cast<int>(results.size()), 1, write_back_skipped};
  }
  bool assigns_ids() const override { return true; }
  Result<std::vector<connectors::IdAssignment>> assign_ids(std::span<const connectors::IdAssignment> a) override {
    assigned.assign(a.begin(), a.end());
    return std::vector<connectors::IdAssignment>(a.begin(), a.end());
  }

  connectors::Table table;
  connectors::Table changes;  // rows only; columns and complete come from table and the read
  bool reads_only_changes = false;
  int full_reads = 0;
  int change_reads = 0;
  bool write_back_enabled = false;
  std::string write_back_failure;
  std::vector<std::string> write_back_skipped;  // what write_back() says it could not write
  std::vector<connectors::RowResult> written;
  std::vector<connectors::IdAssignment> assigned;
};

inline SourceConfig source_config() {
  SourceConfig s;
  s.name = "acme";
  s.settings = pinsync::connectors::CsvSettings{};
  s.id_column = "ID";
  s.approved.column = "OK";
  s.approved.values = {"yes"};
  s.channel_id = 42;
  s.timezone = "America/New_York";
  s.mapping.title = "Title";
  s.mapping.start = "Start";
  s.mapping.classifications.column = "Cat";
  s.mapping.city.column = "City";
  s.mapping.city.places = {{"New York", Place{"place-ny", "US"}}};
  return s;
}

inline connectors::Row row(std::string ref, std::string id, std::string title, std::string ok = "yes") {
  return {std::move(ref), "", {std::move(id), std::move(ok), std::move(title), "2026-06-12 20:00", "music", "New York"}};
}

struct Pass {
  Pass() : log(log_text, LogLevel::debug, LogFormat::text, clock) {
    connector.table.columns = {"ID", "OK", "Title", "Start", "Cat", "City"};
    pinned.base_url = "http://127.0.0.1:9";
    pinned.api_key = "pk_test_pass_fixture";
    auto opened = state::Store::open(dir / "state.db", clock);
    REQUIRE(opened);
    store = std::move(*opened);
    // A store that has synced the source before: its creates are not looked for first
    // (recovery after a lost state file has tests of its own, which call restored_backup()).
    REQUIRE(store->set_fact("acme", state::k_recovery_fact, "settled"));
  }
  // The store is a `pinsync backup` copy put back: the next pass looks for events first.
  void restored_backup() { REQUIRE(store->set_fact("acme", state::k_recovery_fact, "backup 1780000000")); }

  // One pass. `transport` serves the first client; with more `senders`, each further
  // client has its own transport in `extra`, as each real one has its own connection.
  PassReport run(PassMode mode = PassMode::apply) {
    const RetryPolicy in_call{2, std::chrono::milliseconds(10), std::chrono::milliseconds(20)};
    PinnedClient client(pinned, transport, log, clock, in_call);
    std::vector<std::unique_ptr<PinnedClient>> more;
    std::vector<PinnedClient*> all = {&client};
    for (auto& t : extra) {
      more.push_back(std::make_unique<PinnedClient>(pinned, *t, log, clock, in_call));
      all.push_back(more.back().get());
    }
    PassContext ctx{config, connector, client, store.get(), slugs, log, clock, std::chrono::seconds(900),
                    options, all, queue};
    ctx.helpers = &helpers;
    return run_pass(ctx, mode, "test");
  }

  std::string header(std::size_t request, const std::string& name) const {
    for (const auto& [n, v] : transport.requests.at(request).headers) {
      if (n == name) return v;
    }
    return "";
  }

  TempDir dir;
  FakeClock clock;
  std::ostringstream log_text;
  Logger log;
  SourceConfig config = source_config();
  KnownSlugs slugs = std::set<std::string>{"music"};  // the classifications Pinned Events knows
  PinnedConfig pinned;
  FakeConnector connector;
  FakeTransport transport;
  std::vector<std::unique_ptr<FakeTransport>> extra;
  PassOptions options;
  RetryPolicy queue{10, std::chrono::seconds(30), std::chrono::seconds(3600)};
  std::unique_ptr<state::Store> store;
  Poco::ThreadPool helpers{1, 8, 60};  // the extra senders' threads, as SessionWorld has them
};

}  // namespace pinsync::agent::test

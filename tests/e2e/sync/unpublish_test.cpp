// on_removed: draft end to end: the real pinsync binary against pinsync-sandbox. A row
// unapproved takes its event down to draft (one PATCH), nothing more while it stays so;
// approved again it brings the same event back (one PATCH) — with pinsync killed (SIGKILL)
// while the unpublish is in flight and the republish's answers lost, each resent with the
// key it was first sent with, and never a second event. A suspect read takes nothing down;
// on_removed: keep sends nothing.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "state/store.h"
#include "tests/support/csv_world.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/outbox_entry.h"

using pinsync::test::http;
using pinsync::test::row;
using World = pinsync::test::CsvWorld;

namespace {

constexpr const char* k_patch_route = "/api/public/v1/events/{id}";

std::string five(const std::string& first_approved) {
  std::string out = row("E-1", first_approved, "Show 1", "6/1/2026", "8:00 PM");
  for (int i = 2; i <= 5; ++i) {
    out += row("E-" + std::to_string(i), "yes", "Show " + std::to_string(i), "6/" + std::to_string(i) + "/2026",
               "8:00 PM");
  }
  return out;
}

void set_on_removed_draft(World& w) {
  std::ifstream in(w.config);
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  const std::string status = "    status: published\n";
  const auto at = config.find(status);
  REQUIRE(at != std::string::npos);
  config.insert(at + status.size(), "    on_removed: draft\n");
  w.dir.write("pinsync.yaml", config);
}

std::string status_of(World& w, const std::string& title) { return w.event_titled(title)->getValue<std::string>("status"); }

void faults(World& w, const std::string& body) {
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", body).status == 200);
}

// pinsync's state file, read as a restarted pinsync would (the agent may run meanwhile).
struct StateFile {
  explicit StateFile(const std::filesystem::path& path) {
    auto opened = pinsync::state::Store::open(path, clock);
    REQUIRE(opened);
    store = std::move(*opened);
  }
  std::optional<pinsync::state::OutboxEntry> outbox(const std::string& id) {
    auto entry = pinsync::testing::outbox_entry(*store, "acme", id);
    REQUIRE(entry);
    return *entry;
  }
  pinsync::state::RowRecord row_of(const std::string& id) {
    auto rec = store->row("acme", id);
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    return **rec;
  }
  // The keys of the row's writes, as its change log has them: "key status" each.
  std::vector<std::string> writes(const std::string& id) {
    auto audit = store->audit("acme", id);
    REQUIRE(audit);
    std::vector<std::string> out;
    for (const auto& a : *audit) out.push_back(a.idempotency_key + " " + std::to_string(a.http_status));
    return out;
  }
  pinsync::testing::FakeClock clock;
  std::unique_ptr<pinsync::state::Store> store;
};

}  // namespace

TEST_CASE("unpublish e2e: remove, killed mid-unpublish, unpublish, re-approve, answers lost, republish — one event") {
  World w;
  set_on_removed_draft(w);
  w.sheet(five("yes"));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  REQUIRE(w.events()->size() == 5);
  REQUIRE(status_of(w, "Show 1") == "published");
  const std::string event = std::to_string(w.event_titled("Show 1")->getValue<std::int64_t>("id"));
  StateFile state(w.dir.path() / "state.db");

  // The partner cancels Show 1. The plan says what would happen and sends nothing.
  w.sheet(five("no"));
  const auto plan = w.pinsync({"plan"});
  CHECK(plan.exit_code == 0);
  CHECK_CONTAINS(plan.out, "would unpublish");
  CHECK_CONTAINS(plan.out, "its event " + event + " is taken down to draft (on_removed: draft)");
  CHECK(w.patches() == 0);

  // pinsync is killed while the unpublish is in flight: the sandbox holds it (1.5 s latency).
  // Then the latency is lowered, which ends that sleep: the dead process's PATCH is applied.
  faults(w, R"({"latency_ms":1500})");
  const std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync", "sync", "--config",
                                         w.config.string()};
  const auto killed = pinsync::test::run_process_killed_when(
      argv, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}},
      [&] { return state.outbox("E-1").has_value() && pinsync::test::sandbox_in_flight(w.sandbox.base_url()) > 0; });
  CHECK(killed.exit_code == 137);
  faults(w, R"({"latency_ms":0})");
  pinsync::test::wait_sandbox_idle(w.sandbox.base_url());
  CHECK(w.patches() == 1);
  const auto in_flight = state.outbox("E-1");
  REQUIRE(in_flight);
  CHECK(in_flight->idempotency_key == "pinsync-acme-E-1-unpublish-1");
  CHECK(in_flight->body == R"({"status":"draft"})");

  // The next sync sends it again, with the same key.
  const auto down = w.pinsync({"sync"});
  CHECK(down.exit_code == 0);
  CHECK_CONTAINS(down.out, "unpublished");
  CHECK_CONTAINS(down.out, "1 taken down to draft");
  CHECK(status_of(w, "Show 1") == "draft");
  CHECK_FALSE(state.outbox("E-1").has_value());
  CHECK(state.writes("E-1").back() == "pinsync-acme-E-1-unpublish-1 200");
  CHECK(state.row_of("E-1").state == pinsync::state::RowState::removed);
  CHECK(state.row_of("E-1").event_status == "unpublished");
  const int patches_down = w.patches();
  CHECK(patches_down == 2);  // the killed one, applied, and its resend

  // Removed and down: nothing more is sent.
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.patches() == patches_down);

  // Approved again; every answer to the republish is lost after it was applied.
  w.sheet(five("yes"));
  faults(w, R"({"drop_after_commit_rate":1.0})");
  const auto lost = w.pinsync({"sync"});
  CHECK_CONTAINS(lost.out, "failed");
  faults(w, R"({"drop_after_commit_rate":0})");
  const auto kept = state.outbox("E-1");
  REQUIRE(kept);
  const std::string republish_key = kept->idempotency_key;
  CHECK(republish_key.starts_with("pinsync-acme-E-1-republish-2-"));
  CHECK_CONTAINS(kept->body, R"("status":"published")");

  // The row waits in the retry queue; a resync sends it now, with the same key.
  const auto back = w.pinsync({"resync", "--local"});
  CHECK(back.exit_code == 0);
  CHECK_CONTAINS(back.out, "republished");
  CHECK_CONTAINS(back.out, "1 brought back");
  CHECK(status_of(w, "Show 1") == "published");
  CHECK(state.writes("E-1").back() == republish_key + " 200");
  for (const auto& write : state.writes("E-1")) {
    // Every try of the republish went with its one key; nothing else was sent meanwhile.
    if (write.find("republish") != std::string::npos) CHECK(write.starts_with(republish_key + " "));
  }
  CHECK_FALSE(state.outbox("E-1").has_value());
  CHECK(state.row_of("E-1").state == pinsync::state::RowState::synced);
  CHECK(state.row_of("E-1").event_status == "published");

  // Settled: nothing more; one event per row throughout, Show 1 still the same event.
  const int patches_back = w.patches();
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "5 unchanged");
  CHECK(w.patches() == patches_back);
  CHECK(w.posts() == 5);
  CHECK(w.events()->size() == 5);
  CHECK(std::to_string(w.event_titled("Show 1")->getValue<std::int64_t>("id")) == event);
  // The run log keeps both moments.
  const auto history = w.pinsync({"history"});
  CHECK_CONTAINS(history.out, ", 1 taken down to draft (");
  CHECK_CONTAINS(history.out, ", 1 brought back (");
}

TEST_CASE("unpublish e2e: a suspect read takes nothing down; on_removed: keep sends nothing") {
  World w;
  set_on_removed_draft(w);
  w.sheet(five("yes"));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);

  // Two of five rows unapproved at once: beyond max_removed_share (20%).
  std::string two_gone = five("no");
  const std::string second = row("E-2", "yes", "Show 2", "6/2/2026", "8:00 PM");
  two_gone.replace(two_gone.find(second), second.size(), row("E-2", "no", "Show 2", "6/2/2026", "8:00 PM"));
  w.sheet(two_gone);
  const auto suspect = w.pinsync({"sync"});
  CHECK_CONTAINS(suspect.out, "SUSPECT READ");
  CHECK(w.patches() == 0);
  CHECK(status_of(w, "Show 1") == "published");
  CHECK(status_of(w, "Show 2") == "published");

  // on_removed: keep (the default): reported removed, the event stays published.
  World kept;
  kept.sheet(five("yes"));
  REQUIRE(kept.pinsync({"sync"}).exit_code == 0);
  kept.sheet(five("no"));
  const auto removed = kept.pinsync({"sync"});
  CHECK(removed.exit_code == 0);
  CHECK_CONTAINS(removed.out, "1 removed");
  CHECK(kept.patches() == 0);
  CHECK(status_of(kept, "Show 1") == "published");
}

TEST_CASE("unpublish e2e: exactly one PATCH each way; killed mid-republish, the same key brings it back") {
  World w;
  set_on_removed_draft(w);
  w.sheet(five("yes"));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const auto first_id = w.event_titled("Show 1")->getValue<std::int64_t>("id");
  StateFile state(w.dir.path() / "state.db");

  w.sheet(five("no"));
  const auto down = w.pinsync({"sync", "--json"});
  CHECK(down.exit_code == 0);
  CHECK_CONTAINS(down.out, R"("action":"unpublished")");
  CHECK_CONTAINS(down.out, R"("unpublished":1)");
  CHECK(w.patches() == 1);
  CHECK(pinsync::test::sandbox_requests(w.sandbox.base_url(), "PATCH", k_patch_route, 200) == 1);
  CHECK(status_of(w, "Show 1") == "draft");
  CHECK(w.event_titled("Show 1")->getValue<std::string>("title") == "Show 1");  // only its status changed
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.patches() == 1);

  // Approved again; pinsync is killed while the republish is in flight.
  w.sheet(five("yes"));
  CHECK_CONTAINS(w.pinsync({"plan"}).out, "would republish");
  faults(w, R"({"latency_ms":1500})");
  const std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync", "sync", "--config",
                                         w.config.string()};
  const auto killed = pinsync::test::run_process_killed_when(argv, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}},
                                                             [&] { return state.outbox("E-1").has_value(); });
  CHECK(killed.exit_code == 137);
  faults(w, R"({"latency_ms":0})");
  const auto in_flight = state.outbox("E-1");
  REQUIRE(in_flight);
  CHECK(in_flight->idempotency_key.starts_with("pinsync-acme-E-1-republish-2-"));

  const auto back = w.pinsync({"sync"});
  CHECK(back.exit_code == 0);
  CHECK_CONTAINS(back.out, "republished");
  CHECK(state.writes("E-1").back() == in_flight->idempotency_key + " 200");
  CHECK(status_of(w, "Show 1") == "published");
  CHECK(w.event_titled("Show 1")->getValue<std::int64_t>("id") == first_id);
  const int patches = w.patches();
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "5 unchanged");
  CHECK(w.patches() == patches);
  CHECK(w.posts() == 5);
  CHECK(w.events()->size() == 5);
}

// Airtable sources end to end: the real pinsync binary against pinsync-sandbox's Airtable
// Web API emulation and its Pinned Events API, on loopback.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

using pinsync::test::BackgroundProcess;
using pinsync::test::eventually;
using pinsync::test::http;
using pinsync::test::ProcessResult;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;

namespace {

constexpr const char* k_token = "patSyncE2e.0123456789abcdef0123456789";
constexpr const char* k_base = "appSyncE2e0000001";

std::string record(int i, bool approved, const std::string& title_suffix = "") {
  std::string r = R"({"id":"rec)" + std::string(14 - std::to_string(i).size(), '0') + std::to_string(i) +
                  R"(","fields":{"Title":"Show )" + std::to_string(i) + title_suffix +
                  R"(","When":"2026-06-12T18:00:00.000Z","Genre":["Jazz","Stand-up"],"City":"Valencia")";
  if (approved) r += R"(,"Approved":true)";
  return r + "}}";
}

struct Airtable {
  // Write-back of N records costs N/10 PATCH requests at under 5 per second.
  explicit Airtable(bool write_back = true, const std::string& agent_yaml = "", const std::string& source_extra = "") {
    config = dir.write("pinsync.yaml", R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
airtable:
  base_url: )" + sandbox.base_url() + R"(
state:
  path: ./state.db
)" + agent_yaml + R"(sources:
  - name: gamma
    kind: airtable
    base_id: )" + k_base + R"(
    table: Submissions
    token: ${AIRTABLE_TOKEN}
    approved:
      column: Approved
    channel_id: 42
    timezone: Europe/Madrid
)" + source_extra + R"()" + std::string(write_back ? "    write_back:\n      event_id_column: Pinned ID\n      status_column: Sync status\n"
                                    "      error_column: Sync error\n" : "") + R"(    mapping:
      title: Title
      start: When
      classifications:
        column: Genre
        map: {Jazz: music, Stand-up: comedy}
      city:
        column: City
        places:
          Valencia: {place_id: place-valencia, country_code: ES}
)");
  }

  void put(const std::vector<std::string>& records) {
    std::string body = R"({"fields":{"Approved":"checkbox","When":"dateTime","Genre":"multipleSelects",)"
                       R"("Pinned ID":"singleLineText","Sync status":"singleLineText","Sync error":"singleLineText"},)"
                       R"("records":[)";
    for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
    body += "]}";
    const auto r = http(sandbox.base_url(), "PUT", std::string("/_sandbox/airtable/") + k_base + "/Submissions", body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  Poco::JSON::Array::Ptr records() {
    const auto r = http(sandbox.base_url(), "GET", std::string("/_sandbox/airtable/") + k_base + "/Submissions");
    REQUIRE(r.status == 200);
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getArray("records");
  }
  Poco::JSON::Object::Ptr fields_of(const std::string& id) {
    auto list = records();
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto rec = list->getObject(static_cast<unsigned>(i));
      if (rec->getValue<std::string>("id") == id) return rec->getObject("fields");
    }
    FAIL("no record " << id);
    return nullptr;
  }

  ProcessResult pinsync(const std::string& command) {
    auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", command, "--config", config.string()},
                         {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}});
    INFO("pinsync " << command << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK_NOT_CONTAINS(r.out, k_token);
    CHECK_NOT_CONTAINS(r.err, k_token);
    return r;
  }

  int requests(const std::string& method, const std::string& route, int status = -1) {
    return pinsync::test::sandbox_requests(sandbox.base_url(), method, route, status);
  }
  int page_reads() { return requests("GET", "/v0/{baseId}/{table}"); }
  int rate_limited() { return requests("GET", "/v0/{baseId}/{table}", 429) + requests("PATCH", "/v0/{baseId}/{table}", 429); }
  int events() { return static_cast<int>(pinsync::test::sandbox_events(sandbox.base_url())->size()); }

  SandboxProcess sandbox{{"--airtable-token", std::string(k_token) + "=data.records:read,data.records:write"}};
  TempDir dir;
  std::filesystem::path config;
};

}  // namespace

TEST_CASE("airtable: 2,500 approved records become 2,500 events in exactly 25 page reads, never rate limited") {
  Airtable a(false);
  std::vector<std::string> recs;
  for (int i = 1; i <= 2'500; ++i) recs.push_back(record(i, true));
  a.put(recs);
  const int reads_before = a.page_reads();
  const auto sync = a.pinsync("sync");
  CHECK(sync.exit_code == 0);
  CHECK_CONTAINS(sync.out, "2500 created");
  CHECK(a.events() == 2'500);
  CHECK(a.page_reads() - reads_before == 25);
  CHECK(a.rate_limited() == 0);
}

TEST_CASE("airtable: dateTime in UTC lands in the event's zone; write-back fills the fields, then writes nothing") {
  Airtable a;
  a.put({record(1, true), record(2, true), record(3, false)});
  REQUIRE(a.pinsync("sync").exit_code == 0);
  const auto events = http(a.sandbox.base_url(), "GET", "/_sandbox/events");
  CHECK_CONTAINS(events.body, R"("startAt":"2026-06-12T20:00:00+02:00")");
  CHECK_CONTAINS(events.body, R"("classifications":["music","comedy"])");

  auto first = a.fields_of("rec00000000000001");
  CHECK(first->getValue<std::string>("Sync status") == "synced");
  CHECK(!first->getValue<std::string>("Pinned ID").empty());
  CHECK_FALSE(a.fields_of("rec00000000000003")->has("Sync status"));
  const int patches = a.requests("PATCH", "/v0/{baseId}/{table}");
  CHECK(patches == 1);

  REQUIRE(a.pinsync("sync").exit_code == 0);
  CHECK(a.requests("PATCH", "/v0/{baseId}/{table}") == patches);
  CHECK(a.requests("POST", "/api/public/v1/events") == 2);
}

TEST_CASE("airtable: a full scan reports an unapproved and a deleted record as removed; their events stay") {
  // Two of three is more than the default max_removed_share (20%) guards against.
  Airtable a(true, "", "    max_removed_share: 0.7\n");
  a.put({record(1, true), record(2, true), record(3, true)});
  REQUIRE(a.pinsync("sync").exit_code == 0);
  // Record 2 unapproved, record 3 deleted, record 1 edited.
  a.put({record(1, true, " (moved)"), record(2, false)});
  const auto r = a.pinsync("sync");
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "1 updated");
  CHECK_CONTAINS(r.out, "2 removed");
  CHECK_CONTAINS(r.out, "no longer approved");
  CHECK_CONTAINS(r.out, "no longer in the source");
  CHECK(a.events() == 3);
}

TEST_CASE("airtable: a token without access to the base stops the source with the cause and the fix") {
  Airtable a;
  a.put({record(1, true)});
  const auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", "sync", "--config", a.config.string()},
                             {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", "patUnknown.000000"}});
  CHECK(r.exit_code == 4);
  CHECK_CONTAINS((r.out + r.err), "AIRTABLE_TOKEN");
  CHECK_NOT_CONTAINS((r.out + r.err), "patUnknown.000000");
  CHECK(a.events() == 0);
}

TEST_CASE("airtable agent: polls read only changed records; the full scan notices deleted ones") {
  using namespace std::chrono_literals;
  Airtable a(false, "agent:\n  admin_listen: off\n", "    poll_interval: 1s\n    full_scan_interval: 6s\n    max_removed_share: 0.5\n");
  a.put({record(1, true), record(2, true), record(3, true)});
  BackgroundProcess agent({std::string(PINSYNC_BIN_DIR) + "/pinsync", "run", "--config", a.config.string()},
                          {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}});
  REQUIRE_MESSAGE(eventually([&] { return a.events() == 3; }, 10s), agent.err());
  REQUIRE(eventually([&] { return agent.err().find("pass finished") != std::string::npos; }, 5s));

  // An edit of record 1 and the deletion of record 3, right after the full scan.
  a.put({record(1, true, " (moved)"), record(2, true)});
  CHECK_MESSAGE(eventually([&] { return a.requests("PATCH", "/api/public/v1/events/{id}") == 1; }, 3500ms),
                agent.err());
  // Incremental polls cannot see a deletion: record 3 is still synced, not removed...
  const auto early = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", "status", "--json", "--config",
                                  a.config.string()},
                                 {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}});
  CHECK_CONTAINS(early.out, R"("rows":{"synced":3})");
  // ...until the next full scan.
  // The agent's stderr is a pipe here, so its log lines are JSON (the default off a terminal).
  CHECK_MESSAGE(eventually([&] { return agent.err().find(R"("removed":1,)") != std::string::npos; }, 10s),
                agent.err());
  CHECK(a.events() == 3);
  CHECK(a.requests("POST", "/api/public/v1/events") == 3);
  CHECK(agent.stop(SIGTERM, 10s) == 0);
  CHECK_NOT_CONTAINS(agent.err(), k_token);
}

TEST_CASE("airtable: check names a write-back field the table does not have") {
  Airtable a;
  a.put({record(1, true)});
  const auto ok = a.pinsync("check");
  CHECK(ok.exit_code == 0);
  // The config names a write-back field the table does not have.
  std::ifstream in(a.config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("error_column: Sync error"), 24, "error_column: Sync errors");
  a.dir.write("pinsync.yaml", text);
  const auto missing = a.pinsync("check");
  CHECK(missing.exit_code == 3);
  CHECK_CONTAINS(missing.out, "FAIL  gamma:");
  CHECK_CONTAINS(missing.out, "Sync errors");
}

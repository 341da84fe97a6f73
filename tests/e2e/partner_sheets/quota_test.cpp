// Quota-aware polling end to end: five sheets read through one service account every 10 s
// ask 30 reads a minute of a quota set to 6; `pinsync check` says so and what it means, and
// `pinsync run` polls each sheet every 56 s instead, shown in its log and /status; the first
// passes (a sheet's first also reads its metadata) go one after another under the quota.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <signal.h>

#include <ctime>
#include <iomanip>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/partner_worlds.h"

using namespace std::chrono_literals;
using pinsync::test::BackgroundProcess;
using pinsync::test::http;
using pinsync::test::parse_object;
using pinsync::test::SheetsWorld;

namespace {

// Five sources on the world's sheet through its one service account, every 10 s, with a
// per-user quota of 6 reads a minute.
std::string quota_config(const SheetsWorld& w) {
  std::string text = "pinned:\n  base_url: " + w.sandbox.base_url() +
                     "\n  api_key: ${PINNED_EVENTS_API_KEY}\ngoogle:\n  sheets_base_url: " + w.sandbox.base_url() +
                     "\n  requests_per_minute_per_user: 6\nstate:\n  path: ./quota.db\n"
                     "agent:\n  admin_listen: \"127.0.0.1:0\"\nsources:\n";
  for (int i = 0; i < 5; ++i) {
    text += "  - name: sheet-" + std::to_string(i) + R"(
    kind: google_sheets
    spreadsheet_id: 1AbCdEf
    sheet: Partner Events
    auth:
      service_account_file: beta-sa.json
    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    date_order: MDY
    poll_interval: 10s
)" + SheetsWorld::k_mapping;
  }
  return text;
}

constexpr const char* k_plan =
    "Google Sheets reads as beta-sa@beta-project.iam.gserviceaccount.com (per user): 5 sources every 10s or more "
    "need 30 reads/min; quota 6 (planned to 5.4): each is read every 56s instead";

// "2026-12-06T11:50:12Z" (as /status writes times) in unix seconds.
std::time_t unix_time(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  REQUIRE_MESSAGE(!in.fail(), "not a time: " << iso);
  return timegm(&tm);
}

}  // namespace

TEST_CASE("quota: five sheets every 10s through one account with 6 reads/min are read every 56s, and pinsync says so") {
  SheetsWorld w;
  w.put(R"({"Partner Events":[)" + SheetsWorld::k_header + "," + SheetsWorld::row("E-1", "Jazz Night", "06/12/2026") + "]}");
  const auto config = w.dir.write("quota.yaml", quota_config(w));

  const auto check = pinsync::test::run_pinsync("check", config, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}}, {"sandbox-key"});
  CHECK_CONTAINS(check.out, std::string("warn  ") + k_plan);
  CHECK_CONTAINS(check.out, "raise the quota");
  // The first round: each sheet's first pass also reads its metadata, 10 reads at 5.4 a minute.
  CHECK_CONTAINS(check.out, "the first passes of 5 sources ask 10 reads");
  CHECK_CONTAINS(check.out, "at 5.4/min they take 1m52s");

  BackgroundProcess agent({std::string(PINSYNC_BIN_DIR) + "/pinsync", "run", "--config", config.string()},
                          {{"PINNED_EVENTS_API_KEY", "sandbox-key"}});
  const auto listening = pinsync::test::admin_url(agent);
  REQUIRE_MESSAGE(listening, agent.err());
  const std::string admin = *listening;
  const std::string err = agent.err();
  CHECK_CONTAINS(err, "poll intervals stretched to fit an API quota");
  CHECK_CONTAINS(err, "first passes spread to fit an API quota");

  const auto status = parse_object(http(admin, "GET", "/status").body);
  const auto sources = status->getArray("sources");
  REQUIRE(sources->size() == 5);
  for (unsigned i = 0; i < sources->size(); ++i) {
    const auto s = sources->getObject(i);
    INFO(s->getValue<std::string>("name"));
    CHECK(s->getValue<int>("poll_interval_seconds") == 56);
    CHECK(s->getValue<int>("configured_poll_interval_seconds") == 10);
    CHECK_CONTAINS(s->getValue<std::string>("quota_note"), k_plan);
  }
  // The last sheet's first pass waits for the four before it (8 reads: 89 s), not 10 s or so.
  const auto last = sources->getObject(4);
  REQUIRE(last->getValue<std::string>("name") == "sheet-4");
  CHECK(unix_time(last->getValue<std::string>("next_pass_at")) - std::time(nullptr) >= 80);
  const auto metrics = http(admin, "GET", "/metrics").body;
  CHECK_CONTAINS(metrics, "pinsync_poll_interval_seconds{source=\"sheet-0\"} 56\n");
  CHECK_CONTAINS(http(admin, "GET", "/").body, "Read every 56s, not every 10s as configured");
  CHECK(agent.stop(SIGTERM, 20s) == 0);
}

// Airtable's second rate limit: 50 requests per second for one user's tokens across all bases,
// besides 5 per second per base. pinsync run with many Airtable sources on one token must stay
// under both.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <string>

#include "tests/support/partner_worlds.h"

using namespace std::chrono_literals;

namespace {

constexpr int k_bases = 12;
constexpr const char* k_token = "patTokenLimit.0123456789abcdef01";

std::string base_id(int i) {
  std::string digits = std::to_string(i);
  return "appTokenLimit" + std::string(4 - digits.size(), '0') + digits;
}

}  // namespace

// Regression test for the token's own limit: each base alone is paced at 4.5 requests per
// second, so twelve bases on one token would send about 54 per second; the limiter pinsync
// keeps per token (next to the one per base) holds them all under Airtable's 50, and no
// first page read meets a 429.
TEST_CASE("pinsync run with twelve bases on one token stays under Airtable's 50 requests per second per token") {
  pinsync::test::SandboxProcess sandbox({"--airtable-token", std::string(k_token) + "=data.records:read,data.records:write"});
  pinsync::testing::TempDir dir;
  std::string records = "[";
  for (int r = 0; r < 500; ++r) {
    records += std::string(r ? "," : "") + R"({"fields":{"Title":"Show )" + std::to_string(r) +
               R"(","When":"2026-06-12T18:00:00.000Z","Genre":["Jazz"],"City":"Valencia"}})";
  }
  records += "]";
  std::string sources;
  for (int i = 1; i <= k_bases; ++i) {
    auto put = pinsync::test::http(sandbox.base_url(), "PUT", "/_sandbox/airtable/" + base_id(i) + "/Submissions",
                                   R"({"fields":{"Approved":"checkbox","When":"dateTime"},"records":)" + records + "}");
    REQUIRE_MESSAGE(put.status == 200, put.body);
    sources += "  - name: s" + std::to_string(i) + "\n    kind: airtable\n    base_id: " + base_id(i) +
               "\n    table: Submissions\n    token: ${AIRTABLE_TOKEN}\n    approved:\n      column: Approved\n"
               "    channel_id: 42\n    timezone: Europe/Madrid\n    poll_interval: 1h\n    mapping:\n      title: Title\n"
               "      start: When\n      classifications:\n        column: Genre\n        map: {Jazz: music}\n"
               "      city:\n        column: City\n        places:\n          Valencia: {place_id: place-valencia, "
               "country_code: ES}\n";
  }
  const auto config = dir.write("pinsync.yaml", "pinned:\n  base_url: " + sandbox.base_url() +
                                                    "\n  api_key: ${PINNED_EVENTS_API_KEY}\nairtable:\n  base_url: " +
                                                    sandbox.base_url() + "\nstate:\n  path: ./state.db\nagent:\n"
                                                    "  admin_listen: off\nsources:\n" + sources);
  pinsync::test::BackgroundProcess agent({std::string(PINSYNC_BIN_DIR) + "/pinsync", "run", "--config", config.string()},
                                         {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"AIRTABLE_TOKEN", k_token}});
  // Every source's first pass reads its 5 pages; 60 reads in all.
  const bool read_all = pinsync::test::eventually(
      [&] { return pinsync::test::sandbox_requests(sandbox.base_url(), "GET", "/v0/{baseId}/{table}") >= 5 * k_bases; }, 20s);
  CHECK(read_all);
  CHECK(pinsync::test::sandbox_requests(sandbox.base_url(), "GET", "/v0/{baseId}/{table}", 429) == 0);
  CHECK(agent.stop(SIGTERM, 10s) == 0);
}

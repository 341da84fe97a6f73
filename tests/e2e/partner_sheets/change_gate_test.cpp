// The Sheets change gate end to end: `pinsync run` polls a sheet every second through a
// service account; while nobody edits it, each pass asks Drive for the file's version and
// reads no values; an edit (even one Drive counts late) is read on a following pass.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <signal.h>

#include <string>

#include "tests/support/partner_worlds.h"

using namespace std::chrono_literals;
using pinsync::test::BackgroundProcess;
using pinsync::test::eventually;
using pinsync::test::http;
using pinsync::test::SheetsWorld;

namespace {

constexpr const char* k_drive_route = "/drive/v3/files/{fileId}";
constexpr const char* k_values_route = "/v4/spreadsheets/{id}/values:batchGet";

std::string gate_config(const SheetsWorld& w) {
  return "pinned:\n  base_url: " + w.sandbox.base_url() +
         "\n  api_key: ${PINNED_EVENTS_API_KEY}\ngoogle:\n  sheets_base_url: " + w.sandbox.base_url() +
         "\n  drive_base_url: " + w.sandbox.base_url() +
         "\nstate:\n  path: ./gate.db\nagent:\n  admin_listen: off\nsources:\n"
         R"(  - name: beta
    kind: google_sheets
    spreadsheet_id: 1AbCdEf
    sheet: Partner Events
    auth:
      service_account_file: beta-sa.json
    change_gate: true
    full_scan_interval: 1h
    poll_interval: 1s
    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    date_order: MDY
)" + SheetsWorld::k_mapping;
}

std::string one_row(const std::string& title) {
  return R"({"Partner Events":[)" + SheetsWorld::k_header + "," + SheetsWorld::row("E-1", title, "06/12/2026") + "]}";
}

}  // namespace

TEST_CASE("change gate: an unchanged sheet costs Drive calls only; an edit Drive counts late is still read") {
  SheetsWorld w;
  w.put(one_row("Jazz Night"));
  const auto config = w.dir.write("gate.yaml", gate_config(w));
  BackgroundProcess agent({std::string(PINSYNC_BIN_DIR) + "/pinsync", "run", "--config", config.string()},
                          {{"PINNED_EVENTS_API_KEY", "sandbox-key"}});
  REQUIRE_MESSAGE(eventually([&] { return w.events()->size() == 1; }, 20s), agent.err());
  // From now on Drive shows a change only 1.5 s after it happened: the gate must not lose
  // an edit to that.
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/google/drive", R"({"modified_lag_ms":1500})").status == 200);

  // Some passes later: each asked Drive, none read the values again.
  const int reads = w.requests("GET", k_values_route);
  const int asked = w.requests("GET", k_drive_route);
  REQUIRE_MESSAGE(eventually([&] { return w.requests("GET", k_drive_route) >= asked + 3; }, 20s), agent.err());
  CHECK(w.requests("GET", k_values_route) == reads);

  // An edit: read on a later pass (once Drive counts it), and the event follows.
  w.put(one_row("Jazz Night (late show)"));
  REQUIRE_MESSAGE(eventually([&] {
    const auto events = w.events();
    return events->size() == 1 &&
           events->getObject(0)->getValue<std::string>("title") == "Jazz Night (late show)";
  }, 20s), agent.err());
  CHECK(w.requests("GET", k_values_route) > reads);
  CHECK(w.events()->size() == 1);
  CHECK(agent.stop(SIGTERM, 20s) == 0);
}

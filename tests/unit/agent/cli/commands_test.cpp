// The commands on fakes: a CSV source, a temp state file, a FakeClock and Pinned Events
// answered by FakePinned (tests/support/agent_world.h), each command called as the command
// table calls it, with its seams in CommandOptions::world. Exit codes, output, requests and
// the state they leave.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <filesystem>
#include <sstream>
#include <string>

#include "agent/cli/commands.h"
#include "agent/cli/exit_codes.h"
#include "agent/cli/backup.h"
#include "agent/cli/forget.h"
#include "agent/cli/history.h"
#include "agent/cli/pause.h"
#include "agent/cli/resync.h"
#include "agent/sync/report.h"
#include "state/lock.h"
#include "tests/support/agent_world.h"

using namespace pinsync;
using namespace pinsync::agent;
using pinsync::testing::AgentWorld;
using pinsync::testing::k_agent_world_key;
using pinsync::testing::sheet_row;

namespace {

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

struct Commands : AgentWorld {
  using AgentWorld::AgentWorld;

  // Runs `command` with `options` on the world's seams; the key never shows.
  Ran run(CommandFn command, CommandOptions options = {}) {
    options.world = seams();
    std::ostringstream out;
    std::ostringstream err;
    Ran r;
    r.code = command(config, options, out, err);
    r.out = out.str();
    r.err = err.str();
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK_NOT_CONTAINS(r.out, k_agent_world_key);
    CHECK_NOT_CONTAINS(r.err, k_agent_world_key);
    return r;
  }
  int posts() const { return pinned.count("POST", "/events"); }
  int patches() const { return pinned.count("PATCH", "/events/{id}"); }
};

CommandOptions source(std::string name) {
  CommandOptions o;
  o.source = std::move(name);
  return o;
}

}  // namespace

TEST_CASE("commands: plan sends nothing and makes no state file; sync then creates what plan said") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  const auto plan = c.run(command_plan);
  CHECK(plan.code == k_exit_ok);
  CHECK_CONTAINS(plan.out, "acme: 2 to create, 0 to update, 0 unchanged, 0 invalid, 0 removed\n");
  CHECK_CONTAINS(plan.out, "(plan only: nothing was sent and nothing was changed)");
  CHECK(c.posts() == 0);
  CHECK(c.pinned.count("GET", "/classifications") == 1);  // plan checks the slugs too
  CHECK_FALSE(std::filesystem::exists(c.dir / "state.db"));

  const auto sync = c.run(command_sync);
  CHECK(sync.code == k_exit_ok);
  CHECK_CONTAINS(sync.out, "acme: ok — 2 created, 0 updated, 0 unchanged, 0 invalid, 0 removed (3 API requests)\n");
  CHECK_CONTAINS(sync.out, "event 100");
  CHECK_CONTAINS(sync.out, "event 101");
  CHECK(c.posts() == 2);
  CHECK(std::filesystem::exists(c.dir / "state.db"));

  // Nothing changed: a second sync writes nothing.
  const auto again = c.run(command_sync);
  CHECK(again.code == k_exit_ok);
  CHECK_CONTAINS(again.out, "0 created, 0 updated, 2 unchanged");
  CHECK(c.posts() == 2);
  CHECK(c.patches() == 0);
}

TEST_CASE("commands: sync --json answers the one report shape; an invalid row exits 5 and shows in errors") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Bad date", "June 32"));
  CommandOptions json;
  json.json = true;
  const auto sync = c.run(command_sync, json);
  CHECK(sync.code == k_exit_rows_failed);
  auto reports = reports_from_json(sync.out);
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().created == 1);
  CHECK(reports->front().invalid == 1);
  CHECK(c.posts() == 1);

  const auto errors = c.run(command_errors);
  CHECK(errors.code == k_exit_ok);
  CHECK_CONTAINS(errors.out, "acme, acme.csv:3 (E-2): invalid — ");
  CHECK_CONTAINS(errors.out, "[value: \"June 32\"]");
}

TEST_CASE("commands: resync --local runs the pass here with the resync's options; --row writes only that row") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  REQUIRE(c.run(command_sync).code == k_exit_ok);
  c.sheet("acme", sheet_row("E-1", "Show one moved") + sheet_row("E-2", "Show two moved"));

  CommandOptions one = source("acme");
  one.local = true;
  one.resync.rows = {"E-2"};
  const auto row = c.run(command_resync, one);
  CHECK(row.code == k_exit_ok);
  CHECK_NOT_CONTAINS(row.out, "(by the running agent)");
  CHECK_CONTAINS(row.out, "1 updated");
  REQUIRE(c.patches() == 1);
  CHECK_CONTAINS(c.pinned.requests().back().url, "/events/101");
  CHECK_CONTAINS(c.pinned.requests().back().body, "Show two moved");

  CommandOptions all;
  all.local = true;
  const auto rest = c.run(command_resync, all);
  CHECK(rest.code == k_exit_ok);
  CHECK_CONTAINS(rest.out, "acme: ok — 0 created, 1 updated, 1 unchanged");
  CHECK(c.patches() == 2);

  CommandOptions unknown = source("acme");
  unknown.local = true;
  unknown.resync.rows = {"E-404"};
  CHECK(c.run(command_resync, unknown).code == k_exit_usage);
}

TEST_CASE("commands: a refused key exits 4 after one request, says so, and pauses nothing it never tried") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  c.pinned.reply(401, R"({"error":{"code":"invalid_api_key","message":"The API key is not valid"}})");
  const auto sync = c.run(command_sync);
  CHECK(sync.code == k_exit_auth);
  CHECK_CONTAINS(sync.err, "pinsync: ");
  CHECK_CONTAINS(sync.err, "401");
  CHECK(c.pinned.total() == 1);
  CHECK(c.posts() == 0);
}

TEST_CASE("commands: pause and resume without an agent change the state file; a paused source sends nothing") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  REQUIRE(c.run(command_sync).code == k_exit_ok);
  c.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  CHECK(c.run(command_pause).code == k_exit_usage);  // --source is required
  CommandOptions pause = source("acme");
  pause.reason = "partner asked";
  const auto paused = c.run(command_pause, pause);
  CHECK(paused.code == k_exit_ok);
  CHECK(paused.out == "acme: paused (in the state file; no agent is running)\n");
  const int requests = c.pinned.total();

  const auto sync = c.run(command_sync);
  CHECK(sync.code == k_exit_ok);  // an operator's pause is intended: no failure
  CHECK_CONTAINS(sync.out, "acme: PAUSED — paused by an operator since 2023-11-14");
  CHECK_CONTAINS(sync.out, "partner asked");
  CHECK(c.pinned.total() == requests);  // not even the slugs

  const auto status = c.run(command_status);
  CHECK(status.code == k_exit_ok);
  // The verdict first, by the page's rule: a pause needs a person, with the command that ends it.
  CHECK(status.out.starts_with("NEED YOU — 1 of 1 source:\n  acme: PAUSED"));
  CHECK_CONTAINS(status.out, "→ pinsync resume --source acme");
  CHECK_CONTAINS(status.out, "acme (csv, channel 42)\n  rows: 1 synced");
  CHECK_CONTAINS(status.out, "PAUSED by an operator since 2023-11-14");
  CommandOptions json;
  json.json = true;
  CHECK_CONTAINS(c.run(command_status, json).out, R"("needs_you":[{"kind":"paused","badge":"PAUSED")");

  const auto resumed = c.run(command_resume, source("acme"));
  CHECK(resumed.code == k_exit_ok);
  CHECK(resumed.out == "acme: resumed (in the state file; no agent is running)\n");
  CHECK(c.run(command_resume, source("acme")).out == "acme: was not paused\n");
  CHECK(c.run(command_sync).code == k_exit_ok);
  CHECK(c.posts() == 2);
}

TEST_CASE("commands: status and history read what sync left, at the fake clock's times") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  const auto none = c.run(command_status);
  CHECK(none.code == k_exit_ok);
  CHECK_CONTAINS(none.out, "acme (csv, channel 42)\n  rows: none yet\n  last pass: never\n");
  CHECK_CONTAINS(none.out, "(no state file yet at ");

  REQUIRE(c.run(command_sync).code == k_exit_ok);
  const auto status = c.run(command_status);
  CHECK(status.out.starts_with("FINE — nothing needs you (1 source)\n"));
  CHECK_CONTAINS(status.out, "rows: 1 synced");
  CHECK_CONTAINS(status.out, "last pass: 2023-11-14T22:13:20Z (cli): ok");
  CHECK_CONTAINS(status.out, "1 created, 0 updated");

  const auto history = c.run(command_history);
  CHECK(history.code == k_exit_ok);
  CHECK_CONTAINS(history.out, "acme — the last 1 passes, newest first:\n");
  CHECK_CONTAINS(history.out, "2023-11-14T22:13:20Z  cli");
  CommandOptions row = source("acme");
  row.history_row = "E-1";
  const auto writes = c.run(command_history, row);
  CHECK_CONTAINS(writes.out, "acme row E-1 — every write, oldest first:\n");
  CHECK_CONTAINS(writes.out, "create  201  event 100");
}

TEST_CASE("commands: channels and classifications list what the key can use") {
  Commands c;
  const auto channels = c.run(command_channels);
  CHECK(channels.code == k_exit_ok);
  CHECK(channels.out == "      42  Acme Nights\n");
  const auto slugs = c.run(command_classifications);
  CHECK(slugs.code == k_exit_ok);
  CHECK(slugs.out == "comedy\nmusic\n");
}

TEST_CASE("commands: a sync while another pinsync holds the state lock exits 1 naming the holder") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  auto held = state::StateLock::acquire(c.config.state_path);
  REQUIRE(held);
  const auto sync = c.run(command_sync);
  CHECK(sync.code == k_exit_failure);
  CHECK_CONTAINS(sync.err, std::to_string(::getpid()));
  CHECK(c.pinned.total() == 0);
}

TEST_CASE("commands: sync's alerts leave through the command's transports: a newly invalid row, once") {
  Commands c({"acme"}, 2, "alerts:\n  webhook_url: http://127.0.0.1:9/hooks/unit-test\n");
  c.sheet("acme", sheet_row("E-1", "Bad date", "June 32"));
  const auto hooks = [&c] {
    int n = 0;
    for (const auto& r : c.pinned.requests()) n += r.url == "http://127.0.0.1:9/hooks/unit-test" ? 1 : 0;
    return n;
  };
  const auto sync = c.run(command_sync);
  CHECK(sync.code == k_exit_rows_failed);
  CHECK(hooks() == 1);
  const auto alert = c.pinned.requests().back();
  CHECK(alert.method == "POST");
  CHECK_CONTAINS(alert.body, "acme");
  CHECK_CONTAINS(alert.body, "E-1");
  // The fake knows no webhook: its 404 is reported, without the URL (the URL is the secret).
  CHECK_CONTAINS(sync.err, "the alert webhook answered HTTP 404");
  CHECK_NOT_CONTAINS(sync.err, "hooks/unit-test");
  // Nothing changed: the alert is not sent again.
  CHECK(c.run(command_sync).code == k_exit_rows_failed);
  CHECK(hooks() == 1);
}

TEST_CASE("commands: backup copies the state a sync left; it never overwrites a file") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  CommandOptions to;
  to.backup_to = c.dir / "copy.db";
  const auto before = c.run(command_backup, to);
  CHECK(before.code == k_exit_failure);
  CHECK_CONTAINS(before.err, "there is no state file yet");

  REQUIRE(c.run(command_sync).code == k_exit_ok);
  const auto backup = c.run(command_backup, to);
  CHECK(backup.code == k_exit_ok);
  CHECK_CONTAINS(backup.out, "backed up 1 rows to " + to.backup_to.string());
  CHECK(std::filesystem::exists(to.backup_to));
  CHECK(c.run(command_backup, to).code == k_exit_usage);  // the copy is there already
}

TEST_CASE("commands: forget drops a removed source's rows with --yes; a source still configured is refused") {
  Commands c({"acme", "beta"});
  c.sheet("acme", sheet_row("E-1", "Show one"));
  c.sheet("beta", sheet_row("B-1", "Beta show"));
  REQUIRE(c.run(command_sync).code == k_exit_ok);

  CommandOptions still = source("beta");
  still.yes = true;
  const auto refused = c.run(command_forget, still);
  CHECK(refused.code == k_exit_usage);
  CHECK_CONTAINS(refused.err, "beta is still a source in the config");

  c.write_config({"beta"}, std::chrono::seconds(60));
  c.config = c.load();
  CommandOptions gone = source("acme");
  gone.yes = true;
  const auto forgot = c.run(command_forget, gone);
  CHECK(forgot.code == k_exit_ok);
  CHECK_CONTAINS(forgot.out, "acme: 1 rows (1 with an event) will be forgotten");
  CHECK_CONTAINS(forgot.out, "acme: forgotten\n");
  CHECK(c.run(command_forget, gone).out == "the state file holds nothing of a source named acme\n");
  // beta is untouched: its next sync finds its row synced.
  CHECK_CONTAINS(c.run(command_sync).out, "beta: ok — 0 created, 0 updated, 1 unchanged");
  CHECK(c.posts() == 2);
}

TEST_CASE("commands: status --json and history --json give ISO 8601 UTC times (jq fromdateiso8601), null when none") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one"));
  REQUIRE(c.run(command_sync).code == k_exit_ok);
  CommandOptions json;
  json.json = true;
  const auto status = c.run(command_status, json);
  CHECK(status.code == k_exit_ok);
  CHECK_CONTAINS(status.out, R"("last_pass":{"trigger":"cli","started_at":"2023-11-14T22:13:20Z","finished_at":"2023-11-14T22:13:20Z",)");
  const auto history = c.run(command_history, json);
  CHECK_CONTAINS(history.out, R"("started_at":"2023-11-14T22:13:20Z","finished_at":"2023-11-14T22:13:20Z")");
  CHECK_NOT_CONTAINS(history.out, R"("-")");
}

TEST_CASE("commands: plan names each invalid row once (in its report, not again in the log)") {
  Commands c;
  c.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Bad date", "June 32"));
  const auto plan = c.run(command_plan);
  CHECK(plan.code == k_exit_rows_failed);
  const std::string all = plan.out + plan.err;
  std::size_t mentions = 0;
  for (auto at = all.find("June 32"); at != std::string::npos; at = all.find("June 32", at + 1)) ++mentions;
  CHECK(mentions == 1);
  CHECK_NOT_CONTAINS(plan.err, "row invalid");
  // A sync warns once when the row becomes invalid; the next sync only counts it.
  const auto sync = c.run(command_sync);
  CHECK_CONTAINS(sync.err, "row invalid");
  const auto again = c.run(command_sync);
  CHECK_NOT_CONTAINS(again.err, "row invalid");
  CHECK_CONTAINS(again.err, "pass finished source=acme result=ok created=0 updated=0 unchanged=1 invalid=1 ");
}

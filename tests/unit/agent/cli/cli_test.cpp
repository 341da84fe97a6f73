// The command line's own answers: help, version and usage errors, without a config.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/cli.h"
#include "agent/cli/exit_codes.h"
#include "tests/support/temp_dir.h"

using namespace pinsync::agent;

namespace {

struct Answer {
  int code;
  std::string out;
  std::string err;
};

Answer run(std::vector<std::string_view> args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("cli: help lists every command and --version; help COMMAND prints that command's help") {
  const auto help = run({"--help"});
  CHECK(help.code == k_exit_ok);
  for (const char* command : {"sync", "plan", "status", "errors", "channels", "classifications", "check", "run",
                              "resync"}) {
    CHECK_CONTAINS(help.out, std::string("\n  ") + command + " ");
  }
  CHECK_CONTAINS(help.out, "--version");

  const auto sync = run({"help", "sync"});
  CHECK(sync.code == k_exit_ok);
  CHECK(sync.out.starts_with("usage: pinsync sync --config FILE [--source NAME] [--accept-new-state] [--json]"));
  CHECK(run({"sync", "--help"}).out == sync.out);

  CHECK_CONTAINS(run({"status", "--help"}).out, "--source NAME");
  const auto unknown = run({"help", "nope"});
  CHECK(unknown.code == k_exit_usage);
  CHECK_CONTAINS(unknown.err, "unknown command 'nope'");
  CHECK(run({"--version"}).out.starts_with("pinsync "));
}

TEST_CASE("cli: a missing --config or an unknown option is a usage error naming it") {
  const auto no_config = run({"sync"});
  CHECK(no_config.code == k_exit_usage);
  CHECK_CONTAINS(no_config.err, "--config FILE is required");
  const auto bad = run({"plan", "--frobnicate"});
  CHECK(bad.code == k_exit_usage);
  CHECK_CONTAINS(bad.err, "unknown option '--frobnicate'");
}

TEST_CASE("cli: each command needs only the variables of what it uses; an unset one elsewhere is no error") {
  pinsync::testing::TempDir dir;
  for (const char* name : {"PINSYNC_CLI_TEST_KEY", "PINSYNC_CLI_TEST_HOOK", "PINSYNC_CLI_TEST_TOKEN"}) ::unsetenv(name);
  dir.write("acme.csv", "Event ID,Title\n");
  const auto config = dir.write(
      "pinsync.yaml",
      "pinned:\n  base_url: http://127.0.0.1:9\n  api_key: ${PINSYNC_CLI_TEST_KEY}\nstate:\n  path: ./state.db\n"
      "alerts:\n  webhook_url: ${PINSYNC_CLI_TEST_HOOK}\nsources:\n"
      "  - name: acme\n    kind: csv\n    path: acme.csv\n    id_column: Event ID\n    channel_id: 42\n"
      "    timezone: UTC\n    mapping:\n      title: Title\n      start: Starts\n      classifications: {column: Category}\n"
      "      city:\n        column: City\n        places:\n          Madrid: {place_id: place-madrid}\n"
      "  - name: beta\n    kind: airtable\n    base_id: appAAAAAAAAAAAAAA\n    table: Events\n"
      "    token: ${PINSYNC_CLI_TEST_TOKEN}\n    channel_id: 7\n    timezone: UTC\n"
      "    mapping:\n      title: Title\n      start: Starts\n      classifications: {column: Category}\n"
      "      city:\n        column: City\n        places:\n          Madrid: {place_id: place-madrid}\n");
  const std::string file = config.string();
  for (const char* command : {"status", "errors", "history"}) {
    const auto read_only = run({command, "--config", file});
    CAPTURE(command);
    CHECK(read_only.code == k_exit_ok);
    CHECK(read_only.err.empty());
  }
  const auto sync = run({"sync", "--config", file});
  CHECK(sync.code == k_exit_config);
  CHECK(sync.err == "pinsync: config error: " + file +
                        ":3: pinned.api_key: environment variable PINSYNC_CLI_TEST_KEY is not set — export it or put "
                        "it in the service's environment file\n");
  // plan of the CSV source needs the key (it checks the classifications), not beta's token.
  const auto plan_acme = run({"plan", "--config", file, "--source", "acme"});
  CHECK(plan_acme.code == k_exit_config);
  CHECK_CONTAINS(plan_acme.err, "PINSYNC_CLI_TEST_KEY is not set");
  ::setenv("PINSYNC_CLI_TEST_KEY", "k", 1);
  const auto plan_beta = run({"plan", "--config", file, "--source", "beta"});
  ::unsetenv("PINSYNC_CLI_TEST_KEY");
  CHECK(plan_beta.code == k_exit_config);
  CHECK(plan_beta.err == "pinsync: config error: " + file +
                             ":27: sources[1].token: environment variable PINSYNC_CLI_TEST_TOKEN is not set — export it "
                             "or put it in the service's environment file\n");
}

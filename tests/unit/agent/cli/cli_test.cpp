// The command line's own answers: help, version and usage errors, without a config.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/cli.h"
#include "agent/cli/exit_codes.h"

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
  CHECK(sync.out.starts_with("usage: pinsync sync --config FILE [--source NAME] [--json]"));
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

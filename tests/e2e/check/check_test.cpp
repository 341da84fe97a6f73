// `pinsync check` end to end: the checklist lines (ok / FAIL / warn, what, the fix) and the
// exit code for a good config and for each kind of broken one.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using pinsync::test::ProcessResult;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;
using namespace std::chrono_literals;

namespace {

struct Setup {
  std::string csv_path = "path: acme.csv";
  std::string title_column = "Title";
  std::string slug = "music";
  std::string key = "sandbox-key";
  std::vector<std::pair<std::string, std::string>> extra_env;
  std::string extra_rows;  // more lines of acme.csv
  // When set: the key is not in the environment but in this env file, given with --env-file
  // (or on standard input with --env-file - when env_on_stdin).
  std::optional<std::string> env_file;
  bool env_on_stdin = false;
};

ProcessResult check(const SandboxProcess& sandbox, const Setup& s) {
  TempDir dir;
  dir.write("acme.csv", "Event ID,Approved,Title,Date,Start,Category,City\n"
                        "E-1,yes,Show one,6/1/2026,8:00 PM,Jazz,New York\n"
                        "E-2,yes,Show two,6/2/2026,8:00 PM,Jazz,New York\n" + s.extra_rows);
  const auto config = dir.write(
      "pinsync.yaml",
      "pinned:\n  base_url: " + sandbox.base_url() + "\n  api_key: ${PINNED_EVENTS_API_KEY}\n  timeout_seconds: 10\n"
      "state:\n  path: ./state.db\nsources:\n  - name: acme\n    kind: csv\n    " + s.csv_path +
      "\n    id_column: Event ID\n    approved: {column: Approved}\n    channel_id: 42\n"
      "    timezone: America/New_York\n    date_order: MDY\n"
      "    mapping:\n      title: " + s.title_column + "\n      start_date: Date\n      start_time: Start\n"
      "      classifications: {column: Category, map: {Jazz: " + s.slug + "}}\n"
      "      city:\n        column: City\n        places:\n"
      "          New York: {place_id: place-new-york, country_code: US}\n");
  auto env = s.extra_env;
  std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync", "check", "--config", config.string()};
  std::string stdin_text;
  if (!s.env_file) {
    env.emplace_back("PINNED_EVENTS_API_KEY", s.key);
  } else if (s.env_on_stdin) {
    stdin_text = *s.env_file;
    argv.insert(argv.end(), {"--env-file", "-"});
  } else {
    argv.insert(argv.end(), {"--env-file", dir.write("pinsync.env", *s.env_file).string()});
  }
  auto r = run_process(argv, env, 60s, stdin_text);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK_NOT_CONTAINS(r.out, s.key);
  CHECK_NOT_CONTAINS(r.err, s.key);
  CHECK(std::filesystem::exists(dir / "state.db") == false);  // check writes nothing
  return r;
}

bool has_line(const ProcessResult& r, const std::string& line_start) {
  return r.out.starts_with(line_start) || r.out.find("\n" + line_start) != std::string::npos;
}

}  // namespace

TEST_CASE("check: a good config passes every line and exits 0") {
  SandboxProcess sandbox;
  const auto r = check(sandbox, {});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "ok    environment variable PINNED_EVENTS_API_KEY is set\n"));
  CHECK(has_line(r, "ok    config "));
  CHECK(has_line(r, "ok    API key accepted by " + sandbox.base_url()));
  for (const std::string scope : {"channels:read", "events:create", "events:update", "events:read"}) {
    CHECK(has_line(r, "ok    API key scope " + scope + " present\n"));
  }
  CHECK(has_line(r, "ok    acme: channel 42 is accessible\n"));
  CHECK(has_line(r, "ok    acme: all 1 mapped classification slugs exist\n"));
  CHECK(has_line(r, "ok    acme: source reachable (2 rows)\n"));
  CHECK(has_line(r, "ok    acme: every mapped column is in the header\n"));
  CHECK(has_line(r, "ok    acme: read 2 rows, 2 approved, 0 invalid"));
  CHECK_NOT_CONTAINS(r.out, "FAIL");
  CHECK_NOT_CONTAINS(r.out, "warn");
}

TEST_CASE("check: invalid rows are a warning with their count by column, not an ok") {
  SandboxProcess sandbox;
  Setup s;
  s.extra_rows = "E-3,yes,Bad date,2/30/2026,8:00 PM,Jazz,New York\n"
                 "E-4,yes,Bad date too,13/1/2026,8:00 PM,Jazz,New York\n"
                 "E-5,yes,Far away,6/5/2026,8:00 PM,Jazz,Atlantis\n";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "warn  acme: read 5 rows, 5 approved, 3 invalid (by column: City 1, Date 2)"));
  CHECK_CONTAINS(r.out, "'pinsync plan' lists each with its cell and reason");
  CHECK_NOT_CONTAINS(r.out, "ok    acme: read");
}

TEST_CASE("check: a missing environment variable is named with the fix, exit 3") {
  SandboxProcess sandbox;
  Setup s;
  s.csv_path = "path: ${PARTNER_CSV_PATH}";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 3);
  CHECK(has_line(r, "ok    environment variable PINNED_EVENTS_API_KEY is set\n"));
  CHECK(has_line(r, "FAIL  environment variable PARTNER_CSV_PATH is not set — export it, or put NAME=value in the "
                    "service's EnvironmentFile\n"));
  CHECK(has_line(r, "FAIL  config "));
}

// The service's EnvironmentFile, read by systemd's rules: comments, quotes, spaces.
constexpr const char* k_env_file =
    "# Pinned Events\n"
    "PINNED_EVENTS_API_KEY = \"sandbox-key\"   \n"
    "export PARTNER_NOTE=ignored by systemd\n";

TEST_CASE("check --env-file reads the key from the file as systemd would, and says what it ignored") {
  SandboxProcess sandbox;
  Setup s;
  s.env_file = k_env_file;
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "ok    environment variable PINNED_EVENTS_API_KEY is set\n"));
  CHECK(has_line(r, "ok    API key accepted by " + sandbox.base_url()));
  CHECK_CONTAINS(r.err, "pinsync.env:3: ignored: 'export PARTNER_NOTE' is not a variable name — remove 'export'");
}

TEST_CASE("check --env-file - reads the file from standard input (sudo cat FILE | pinsync …)") {
  SandboxProcess sandbox;
  Setup s;
  s.env_file = k_env_file;
  s.env_on_stdin = true;
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "ok    API key accepted by " + sandbox.base_url()));
  CHECK_CONTAINS(r.err, "standard input:3: ignored");
}

TEST_CASE("check --env-file with a file that cannot be read stops with the path, exit 3") {
  const auto r = run_process({std::string(PINSYNC_BIN_DIR) + "/pinsync", "check", "--config", "/nonexistent/pinsync.yaml",
                              "--env-file", "/nonexistent/pinsync.env"},
                             {}, 60s);
  CHECK(r.exit_code == 3);
  CHECK_CONTAINS(r.err, "pinsync: cannot read the env file /nonexistent/pinsync.env: No such file or directory");
}

TEST_CASE("check: a classification slug Pinned Events does not know fails, exit 3") {
  SandboxProcess sandbox;
  Setup s;
  s.slug = "jazzz";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 3);
  CHECK(has_line(r, "FAIL  acme: classification slug \"jazzz\" (for \"Jazz\") does not exist in Pinned Events — fix "
                    "mapping.classifications.map; pinsync classifications lists the slugs\n"));
  CHECK(has_line(r, "ok    acme: source reachable (2 rows)\n"));  // the other checks still run
}

TEST_CASE("check: a mapped column missing from the header fails with the column's name, exit 3") {
  SandboxProcess sandbox;
  Setup s;
  s.title_column = "Event name";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 3);
  CHECK(has_line(r, "ok    acme: source reachable (2 rows)\n"));
  CHECK(has_line(r, "FAIL  acme: "));
  CHECK_CONTAINS(r.out, "\"Event name\"");
  CHECK_CONTAINS(r.out, "— rename the column back in the source or change mapping");
}

TEST_CASE("check: a key without a needed scope names the scope; a missing events:read only warns; exit 4") {
  SandboxProcess sandbox({"--key", "limited-key=channels:read,events:create@42"});
  Setup s;
  s.key = "limited-key";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 4);
  CHECK(has_line(r, "ok    API key scope channels:read present\n"));
  CHECK(has_line(r, "ok    API key scope events:create present\n"));
  CHECK(has_line(r, "FAIL  API key scope events:update is missing: edited rows cannot update their events — add "
                    "events:update to the key in Pinned Events (or create a key with it)\n"));
  CHECK(has_line(r, "warn  API key scope events:read is missing (optional) — without it "));
  CHECK(has_line(r, "ok    acme: channel 42 is accessible\n"));
}

TEST_CASE("check: a refused key fails with the fix, the sources are still checked, exit 4") {
  SandboxProcess sandbox;
  Setup s;
  s.key = "revoked-key";
  const auto r = check(sandbox, s);
  CHECK(r.exit_code == 4);
  CHECK(has_line(r, "FAIL  API key refused by " + sandbox.base_url()));
  // The advice comes once: the API's own words, then the one fix.
  const auto at = r.out.find("FAIL  API key refused by ");
  REQUIRE(at != std::string::npos);
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK_CONTAINS(line, "answered 401");
  CHECK(line.ends_with("— the key is wrong, revoked or expired: create a new one and put it in the environment"));
  CHECK(line.find(" — ") == line.rfind(" — "));
  CHECK(has_line(r, "ok    acme: source reachable (2 rows)\n"));
}

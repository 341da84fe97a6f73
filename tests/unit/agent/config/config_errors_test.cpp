// Every kind of config error names the file, the 1-based line, the key path, the problem
// and the fix, and never shows a secret.
#include "tests/support/checks.h"
#include "tests/unit/agent/config/config_test_util.h"

namespace pinsync::agent::test {

TEST_CASE("a missing or unreadable file says so") {
  const TempDir dir;
  const auto missing = load_config(dir.path() / "nope.yaml", env_of({}));
  const std::string message = error_of(missing);
  CHECK(message.starts_with((dir.path() / "nope.yaml").string() + ": "));
  CHECK_CONTAINS(message, "does not exist");

  const auto folder = load_config(dir.path(), env_of({}));
  CHECK_CONTAINS(error_of(folder), "is a folder");
}

TEST_CASE("a YAML syntax error gives file:line:column and yaml-cpp's message") {
  const TempDir dir;
  const std::string yaml = replaced(k_example_config, "      title: Title\n", "      title: [Title\n");
  const std::string message = error_of(load_text(dir, yaml));
  CHECK(message.starts_with(at(dir, "21:")));
  CHECK_CONTAINS(message, "YAML syntax error: end of sequence flow not found");

  const std::string bad_indent = replaced(k_example_config, "  timeout_seconds: 30\n",
                                          "  timeout_seconds: 30\n   oops: 1\n");
  CHECK(error_of(load_text(dir, bad_indent)).starts_with(at(dir, "5:")));
}

TEST_CASE("an empty file or a top level that is not a mapping is refused") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, "# nothing yet\n")) ==
        at(dir, "1: the file is empty — start from config.example.yaml"));
  CHECK(error_of(load_text(dir, "- a\n- b\n")).starts_with(at(dir, "1: expected a mapping")));
}

TEST_CASE("an unset environment variable names the variable and where it is used") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, k_example_config, {})) ==
        at(dir, "3: pinned.api_key: environment variable PINNED_EVENTS_API_KEY is not set — "
                "export it or put it in the service's environment file"));

  const std::string yaml = replaced(k_example_config, "column: City", "column: ${CITY_COLUMN}");
  CHECK(error_of(load_text(dir, yaml)) ==
        at(dir, "30: sources[0].mapping.city.column: environment variable CITY_COLUMN is not set — "
                "export it or put it in the service's environment file"));

  const std::string malformed = replaced(k_example_config, "column: City", "column: ${CITY");
  CHECK(error_of(load_text(dir, malformed))
            .starts_with(at(dir, "30: sources[0].mapping.city.column: a ${ has no closing }")));
}

TEST_CASE("an API key written literally is refused without echoing it") {
  const TempDir dir;
  const std::string literal = "pe_live_SUPERSECRET_42";
  const std::string yaml =
      replaced(k_example_config, "api_key: ${PINNED_EVENTS_API_KEY}", "api_key: " + literal);
  const std::string message = error_of(load_text(dir, yaml));
  CHECK(message ==
        at(dir, "3: pinned.api_key: secrets may not be written in the config file — put the "
                "value in an environment variable and write api_key: ${PINNED_EVENTS_API_KEY}"));
  CHECK_NOT_CONTAINS(message, "SUPERSECRET");

  // Mixing a literal with a reference is still a literal secret.
  const std::string mixed = replaced(k_example_config, "api_key: ${PINNED_EVENTS_API_KEY}",
                                     "api_key: pe_SUPERSECRET${PINNED_EVENTS_API_KEY}");
  const std::string mixed_message = error_of(load_text(dir, mixed));
  CHECK(mixed_message.starts_with(at(dir, "3: pinned.api_key: secrets may not be written")));
  CHECK_NOT_CONTAINS(mixed_message, "SUPERSECRET");
}

TEST_CASE("an empty API key variable is refused") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, k_example_config, {{"PINNED_EVENTS_API_KEY", ""}})) ==
        at(dir, "3: pinned.api_key: environment variable PINNED_EVENTS_API_KEY is empty — set it "
                "to the secret in the service's environment file"));
}

TEST_CASE("a literal token, api_key or secret inside a source is refused without echoing it") {
  const TempDir dir;
  const std::string yaml = replaced(k_example_config, "    kind: csv\n",
                                    "    kind: csv\n    token: tok_SUPERSECRET\n");
  const std::string message = error_of(load_text(dir, yaml));
  CHECK(message.starts_with(
      at(dir, "10: sources[0].token: secrets may not be written in the config file — ")));
  CHECK_NOT_CONTAINS(message, "SUPERSECRET");

  // Sheet labels and city names are data: a label called "Secret" is not a secret.
  const auto label = load_text(dir, replaced(k_example_config, "Stand-up: comedy", "Secret: music"));
  REQUIRE_MESSAGE(label.has_value(), label.error().message);
  CHECK(label->sources[0].mapping.classifications.map.at("Secret") == "music");
}

TEST_CASE("a value from the environment never appears in an error message") {
  const TempDir dir;
  const std::string yaml =
      replaced(k_example_config, "base_url: http://127.0.0.1:8787", "base_url: ${PINNED_URL}");
  const std::string message =
      error_of(load_text(dir, yaml, {{"PINNED_EVENTS_API_KEY", k_test_api_key},
                                     {"PINNED_URL", "ftp://user:TOPSECRET@host"}}));
  CHECK(message == at(dir, "2: pinned.base_url: \"${PINNED_URL}\" is not a web address — it must "
                           "start with http:// or https://"));
  CHECK_NOT_CONTAINS(message, "TOPSECRET");
}

TEST_CASE("an unknown key suggests the closest allowed key") {
  const TempDir dir;
  SUBCASE("at the top level") {
    const std::string yaml = replaced(k_example_config, "sources:\n", "sorces:\n");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "7: sorces: unknown key — did you mean \"sources\"?"));
  }
  SUBCASE("in a source") {
    const std::string yaml = replaced(k_example_config, "    approved:\n", "    aproved:\n");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "12: sources[0].aproved: unknown key — did you mean \"approved\"?"));
  }
  SUBCASE("deep inside a source") {
    const std::string yaml = replaced(k_example_config, "        places:\n", "        plces:\n");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "31: sources[0].mapping.city.plces: unknown key — did you mean \"places\"?"));
  }
  SUBCASE("by prefix") {
    const std::string yaml = replaced(k_example_config, "  timeout_seconds: 30", "  timeout: 30");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "4: pinned.timeout: unknown key — did you mean \"timeout_seconds\"?"));
  }
  SUBCASE("with nothing close, the allowed keys are listed") {
    const std::string yaml = replaced(k_example_config, "    date_order: MDY", "    colour: red");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "18: sources[0].colour: unknown key — the keys allowed here are: name, kind, "
                  "id_column, approved, channel_id, status, status_column, timezone, date_order, "
                  "poll_interval, mapping, fingerprint, max_removed_share, recreate_deleted, on_removed, path, url, "
                  "max_bytes, max_rows"));
  }
}

TEST_CASE("a key given twice is refused") {
  const TempDir dir;
  const std::string yaml =
      replaced(k_example_config, "  timeout_seconds: 30\n", "  timeout_seconds: 30\n  timeout_seconds: 5\n");
  CHECK(error_of(load_text(dir, yaml)) ==
        at(dir, "5: pinned.timeout_seconds: appears twice (also on line 4) — keep only one of them"));
}

TEST_CASE("a value of the wrong type names the key and its line") {
  const TempDir dir;
  SUBCASE("channel_id: abc") {
    const std::string yaml = replaced(k_example_config, "channel_id: 42", "channel_id: abc");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "15: sources[0].channel_id: \"abc\" is not a whole number — write a whole "
                  "number of at least 1"));
  }
  SUBCASE("timeout_seconds: -1") {
    const std::string yaml = replaced(k_example_config, "timeout_seconds: 30", "timeout_seconds: -1");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "4: pinned.timeout_seconds: \"-1\" is out of range — write a whole number from "
                  "1 to 3600 (seconds)"));
  }
  SUBCASE("a list where a column name belongs") {
    const std::string yaml = replaced(k_example_config, "title: Title", "title: [Title, Name]");
    CHECK(error_of(load_text(dir, yaml)) ==
          at(dir, "20: sources[0].mapping.title: expected a single value, found a list — write "
                  "one value after the colon"));
  }
  SUBCASE("a single value where a mapping belongs") {
    const std::string yaml = replaced(k_example_config, "state:\n  path: ./pinsync-state.db\n",
                                      "state: ./pinsync-state.db\n");
    CHECK(error_of(load_text(dir, yaml))
              .starts_with(at(dir, "5: state: expected a mapping (key: value pairs), found a single value")));
  }
  SUBCASE("concurrency above 64") {
    const std::string yaml = replaced(k_example_config, "  timeout_seconds: 30\n",
                                      "  timeout_seconds: 30\n  concurrency: 65\n");
    CHECK(error_of(load_text(dir, yaml)).starts_with(at(dir, "5: pinned.concurrency: \"65\" is out of range")));
  }
  SUBCASE("max_requests_per_second below 0") {
    const std::string yaml = replaced(k_example_config, "  timeout_seconds: 30\n",
                                      "  timeout_seconds: 30\n  max_requests_per_second: -0.5\n");
    CHECK(error_of(load_text(dir, yaml))
              .starts_with(at(dir, "5: pinned.max_requests_per_second: \"-0.5\" is out of range")));
  }
  SUBCASE("sources as a mapping instead of a list") {
    const std::string yaml = replaced(k_example_config, "  - name: acme", "    name: acme");
    CHECK(error_of(load_text(dir, yaml)).starts_with(at(dir, "7: sources: expected a list of sources")));
  }
}

}  // namespace pinsync::agent::test

namespace pinsync::agent::test {

// Regression: env_references followed every alias, so a "billion laughs" file of 9 levels
// of ten aliases each (10^9 scalars) kept pinsync check busy for ever.
TEST_CASE("env_references visits an aliased node once, however often it is referred to") {
  const TempDir dir;
  std::string yaml = "a0: &a0 [\"${BOMB_VAR}\", x]\n";
  for (int level = 1; level <= 9; ++level) {
    yaml += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) yaml += (i == 0 ? "*a" : ", *a") + std::to_string(level - 1);
    yaml += "]\n";
  }
  yaml += "pinned:\n  api_key: ${PINNED_EVENTS_API_KEY}\n";
  const auto names = env_references(dir.write("config.yaml", yaml));
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"BOMB_VAR", "PINNED_EVENTS_API_KEY"});
}

// Regression: yaml-cpp reports a document nested past its depth limit as "bad file".
TEST_CASE("a document nested thousands of levels deep is refused in plain words") {
  const TempDir dir;
  const std::string yaml = "pinned: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  const std::string message = error_of(load_text(dir, yaml));
  CHECK_CONTAINS(message, "nested more than 2000 levels deep");
  CHECK_NOT_CONTAINS(message, "bad file");
  const auto names = env_references(dir.path() / "config.yaml");
  REQUIRE_FALSE(names);
  CHECK_CONTAINS(names.error().message, "nested more than 2000 levels deep");
}

}  // namespace pinsync::agent::test

namespace pinsync::agent::test {

// The example with an alert webhook from the environment and a second, Airtable source
// whose token comes from it too: the secrets a read-only command does not use.
std::string config_with_secrets() {
  return replaced(k_example_config, "sources:\n",
                  "alerts:\n  webhook_url: ${ALERT_WEBHOOK}\nsources:\n"
                  "  - name: beta\n    kind: airtable\n    base_id: appAAAAAAAAAAAAAA\n    table: Events\n"
                  "    token: ${BETA_TOKEN}\n    channel_id: 7\n    timezone: UTC\n"
                  "    mapping:\n      title: Title\n      start: Starts\n      classifications: {column: Category}\n"
                  "      city:\n        column: City\n        places:\n          Madrid: {place_id: place-madrid}\n");
}

ConfigNeeds needing(bool pinned, bool sources, std::string source = "") {
  return ConfigNeeds{false, pinned, sources, std::move(source)};
}

TEST_CASE("needs: a command that uses only the state file loads with every secret unset, and lists them") {
  const TempDir dir;
  const auto file = dir.write("config.yaml", config_with_secrets());
  const auto loaded = load_config(file, env_of({}), ConfigNeeds::state_only());
  REQUIRE_MESSAGE(loaded.has_value(), loaded.error().message);
  CHECK(loaded->sources.size() == 2);
  CHECK(loaded->state_path == dir.path() / "pinsync-state.db");
  REQUIRE(loaded->unset_variables.size() == 3);
  CHECK(loaded->unset_variables[0].name == "PINNED_EVENTS_API_KEY");
  CHECK(loaded->unset_variables[0].path == "pinned.api_key");
  CHECK(loaded->unset_variables[1].name == "ALERT_WEBHOOK");
  CHECK(loaded->unset_variables[1].path == "alerts.webhook_url");
  CHECK(loaded->unset_variables[2].name == "BETA_TOKEN");
  CHECK(loaded->unset_variables[2].path == "sources[0].token");
  // Placeholders, never a value: an unset secret reads as empty.
  CHECK(loaded->pinned.api_key.empty());
  CHECK(loaded->alerts.webhook_url.empty());
}

TEST_CASE("needs: the strict load (sync, run, check) still fails on the first unset variable, naming file:line") {
  const TempDir dir;
  const auto file = dir.write("config.yaml", config_with_secrets());
  CHECK(error_of(load_config(file, env_of({{"PINNED_EVENTS_API_KEY", k_test_api_key}, {"BETA_TOKEN", "pat.x"}}))) ==
        at(dir, "8: alerts.webhook_url: environment variable ALERT_WEBHOOK is not set — "
                "export it or put it in the service's environment file"));
  CHECK(error_of(load_config(file, env_of({{"PINNED_EVENTS_API_KEY", k_test_api_key}, {"BETA_TOKEN", "pat.x"}}),
                             ConfigNeeds{})) ==
        at(dir, "8: alerts.webhook_url: environment variable ALERT_WEBHOOK is not set — "
                "export it or put it in the service's environment file"));
}

TEST_CASE("needs: channels needs the key but no source's variables; plan of one source needs only that source's") {
  const TempDir dir;
  const auto file = dir.write("config.yaml", config_with_secrets());
  CHECK(error_of(load_config(file, env_of({}), needing(true, false))) ==
        at(dir, "3: pinned.api_key: environment variable PINNED_EVENTS_API_KEY is not set — "
                "export it or put it in the service's environment file"));
  const auto channels = load_config(file, env_of({{"PINNED_EVENTS_API_KEY", k_test_api_key}}), needing(true, false));
  REQUIRE_MESSAGE(channels.has_value(), channels.error().message);
  CHECK(channels->pinned.api_key == k_test_api_key);

  // plan --source acme (CSV): beta's token is not needed; plan --source beta or plan of all is.
  const Env key_only{{"PINNED_EVENTS_API_KEY", k_test_api_key}};
  CHECK(load_config(file, env_of(key_only), needing(true, true, "acme")).has_value());
  const std::string beta_unset = at(dir, "14: sources[0].token: environment variable BETA_TOKEN is not set — "
                                         "export it or put it in the service's environment file");
  CHECK(error_of(load_config(file, env_of(key_only), needing(true, true, "beta"))) == beta_unset);
  CHECK(error_of(load_config(file, env_of(key_only), needing(true, true))) == beta_unset);
}

TEST_CASE("needs: an unset variable never hides another problem, and state.path is always needed") {
  const TempDir dir;
  const std::string typo = replaced(config_with_secrets(), "timeout_seconds: 30", "timeout_secs: 30");
  CHECK(error_of(load_config(dir.write("config.yaml", typo), env_of({}), ConfigNeeds::state_only()))
            .starts_with(at(dir, "4: pinned.timeout_secs: unknown key")));
  const std::string state = replaced(config_with_secrets(), "path: ./pinsync-state.db", "path: ${STATE_FILE}");
  CHECK(error_of(load_config(dir.write("config.yaml", state), env_of({}), ConfigNeeds::state_only())) ==
        at(dir, "6: state.path: environment variable STATE_FILE is not set — "
                "export it or put it in the service's environment file"));
}

}  // namespace pinsync::agent::test

// Helpers for the config loader tests: the reference example config as text, an
// environment guard, and loading YAML text through an injected environment.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "agent/config/load.h"
#include "tests/support/temp_dir.h"

namespace pinsync::agent::test {

using pinsync::testing::TempDir;

// Sets (or unsets, for nullopt) one process environment variable and restores the old
// value when it goes out of scope.
class EnvGuard {
 public:
  EnvGuard(std::string name, std::optional<std::string> value) : m_name(std::move(name)) {
    if (const char* old = std::getenv(m_name.c_str())) m_old = old;
    if (value) {
      ::setenv(m_name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(m_name.c_str());
    }
  }
  ~EnvGuard() {
    if (m_old) {
      ::setenv(m_name.c_str(), m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name.c_str());
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

inline constexpr const char* k_test_api_key = "pe_test_key_0123456789";

using Env = std::map<std::string, std::string>;

inline EnvLookup env_of(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// The reference example config: the full sample config of pinsync's original design, kept
// line for line (every section and key); tests derive broken variants with replaced().
inline const std::string k_example_config = R"(pinned:
  base_url: http://127.0.0.1:8787      # default https://pinned.events
  api_key: ${PINNED_EVENTS_API_KEY}
  timeout_seconds: 30
state:
  path: ./pinsync-state.db
sources:
  - name: acme
    kind: csv
    path: partner.csv                  # relative to the config file; or url: https://…/pub?output=csv
    id_column: Event ID
    approved:
      column: Approved
      values: [yes, y, true, x, approved]   # case-insensitive, trimmed
    channel_id: 42
    status: draft                      # draft | published; or status_column: Publish
    timezone: America/New_York         # default zone for rows without one
    date_order: MDY                    # how to read 6/12/2026; ISO dates always work
    mapping:
      title: Title
      start_date: Date
      start_time: Start                # or start: "Starts at" for one date-time column
      end_time: End                    # optional; end_date optional (multi-day)
      timezone: Time zone              # optional column overriding the default zone
      classifications:
        column: Category
        separator: ","
        map: {Jazz: music, Stand-up: comedy}
      city:
        column: City
        places:
          New York: {place_id: place-new-york, country_code: US}
          Valencia: {place_id: place-valencia, country_code: ES}
      location_name: Venue
      description: Description
      ticket_url: Tickets
)";

// Returns `text` with the first occurrence of `from` replaced; fails the test when absent.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, "test fixture lacks: " << from);
  text.replace(pos, from.size(), to);
  return text;
}

// Writes `yaml` as config.yaml in `dir` and loads it with `env` (by default only the API key).
inline Result<Config> load_text(const TempDir& dir, const std::string& yaml,
                                Env env = {{"PINNED_EVENTS_API_KEY", k_test_api_key}}) {
  return load_config(dir.write("config.yaml", yaml), env_of(std::move(env)));
}

// The CSV settings of a csv source; fails the test for another kind.
inline const connectors::CsvSettings& csv_of(const SourceConfig& source) {
  const auto* csv = std::get_if<connectors::CsvSettings>(&source.settings);
  REQUIRE(csv != nullptr);
  return *csv;
}

// Returns the error message of a failed load, or fails the test when it loaded.
inline std::string error_of(const Result<Config>& result) {
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().kind == ErrorKind::config);
  return result.error().message;
}

// The message expected for config.yaml in `dir`: "<dir>/config.yaml:" + rest.
inline std::string at(const TempDir& dir, const std::string& rest) {
  return (dir.path() / "config.yaml").string() + ":" + rest;
}

}  // namespace pinsync::agent::test

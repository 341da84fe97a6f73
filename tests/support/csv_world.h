// An end-to-end world for tests of `pinsync` with one CSV source: a sandbox, a temp folder
// with a config (source "acme", channel 42, America/New_York, MDY) and partner.csv, and
// helpers to write rows, run pinsync and read what the sandbox holds.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

namespace pinsync::test {

inline const std::string k_csv_header =
    "Event ID,Approved,Title,Date,Start,End,Time zone,Category,City,Venue,Description,Tickets,Notes\n";

// One CSV line of partner.csv (ending 11:00 PM; venue, description and ticket URL from the id).
inline std::string row(const std::string& id, const std::string& approved, const std::string& title,
                       const std::string& date, const std::string& start, const std::string& category = "Jazz",
                       const std::string& city = "New York", const std::string& zone = "",
                       const std::string& notes = "") {
  return id + "," + approved + "," + title + "," + date + "," + start + ",11:00 PM," + zone + "," + category +
         "," + city + ",Venue " + id + ",About " + id + ",https://tickets.example.com/" + id + "," + notes + "\n";
}

// N valid approved rows E-first … in New York, "Show N": row i falls on June i 2026 for
// i <= 30, then on the following days (28 a month) and years.
inline std::string rows(int n, int first = 1) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    const int later = i - 31;
    const std::string date = i <= 30 ? "6/" + std::to_string(i) + "/2026"
                                     : std::to_string(7 + later / 28 % 6) + "/" + std::to_string(later % 28 + 1) +
                                           "/" + std::to_string(2026 + later / 168);
    out += row("E-" + std::to_string(i), "yes", "Show " + std::to_string(i), date, "8:00 PM");
  }
  return out;
}

struct CsvWorld {
  // `pinned_extra` is added under `pinned:` (indented two spaces, ending in a newline; it
  // may set timeout_seconds, 10 otherwise);
  // `sandbox_args` are pinsync-sandbox flags (faults, keys).
  explicit CsvWorld(const std::string& pinned_extra = "", std::vector<std::string> sandbox_args = {})
      : sandbox(std::move(sandbox_args)) {
    m_head = R"(pinned:
  base_url: )" + sandbox.base_url() + R"(
  api_key: ${PINNED_EVENTS_API_KEY}
)" + (pinned_extra.find("timeout_seconds:") == std::string::npos ? "  timeout_seconds: 10\n" : "") +
             pinned_extra + R"(state:
  path: ./state.db
sources:
)";
    config = dir.write("pinsync.yaml", m_head + source_block("acme", "partner.csv"));
  }

  // Makes the world `count` sources (src-001 …) of `rows_each` rows, each in its own CSV
  // file, the titles unique across them ("Show N", N = 1 … count × rows_each).
  void many_sources(int count, int rows_each) {
    std::string sources;
    for (int i = 1; i <= count; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "src-%03d", i);
      const std::string file = std::string(name) + ".csv";
      dir.write(file, k_csv_header + rows(rows_each, (i - 1) * rows_each + 1));
      sources += source_block(name, file);
    }
    config = dir.write("pinsync.yaml", m_head + sources);
  }

  // One source of the config, reading `path`.
  static std::string source_block(const std::string& name, const std::string& path) {
    return R"(  - name: )" + name + R"(
    kind: csv
    path: )" + path + R"(
    id_column: Event ID
    approved:
      column: Approved
      values: [yes, y, true, x, approved]
    channel_id: 42
    status: published
    timezone: America/New_York
    date_order: MDY
    mapping:
      title: Title
      start_date: Date
      start_time: Start
      end_time: End
      timezone: Time zone
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
  }

  // Writes partner.csv: the header, then `body`.
  void sheet(const std::string& body) { dir.write("partner.csv", k_csv_header + body); }

  // Runs `pinsync ARGS --config …` with PINNED_EVENTS_API_KEY=`key`; checks that the key never
  // shows in its output and prints that output when a check of the test fails.
  ProcessResult pinsync(std::vector<std::string> args, const std::string& key = "sandbox-key") {
    std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(config.string());
    auto r = run_process(argv, {{"PINNED_EVENTS_API_KEY", key}});
    INFO("pinsync " << args.front() << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK_NOT_CONTAINS(r.err, key == "" ? "\x01" : key);  // the key never shows
    CHECK_NOT_CONTAINS(r.out, key == "" ? "\x01" : key);
    return r;
  }

  Poco::JSON::Array::Ptr events() { return sandbox_events(sandbox.base_url()); }
  int requests(const std::string& method, const std::string& route) {
    return sandbox_requests(sandbox.base_url(), method, route);
  }
  int posts() { return requests("POST", "/api/public/v1/events"); }
  int patches() { return requests("PATCH", "/api/public/v1/events/{id}"); }

  // The stored event with this title; fails the test when there is none.
  Poco::JSON::Object::Ptr event_titled(const std::string& title) {
    auto list = events();
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto e = list->getObject(static_cast<unsigned>(i));
      if (e->getValue<std::string>("title") == title) return e;
    }
    FAIL("no event titled " << title);
    return nullptr;
  }

  SandboxProcess sandbox;
  pinsync::testing::TempDir dir;
  std::filesystem::path config;

 private:
  std::string m_head;  // the config up to its sources
};

}  // namespace pinsync::test

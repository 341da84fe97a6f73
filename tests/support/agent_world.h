// The unit-test world of pinsync's commands and agent: a temp folder with a config of CSV
// sources (admin endpoint off, concurrency 1) and their sheets, the config loaded, a
// FakeClock, Pinned Events faked (fake_pinned.h) and a log that tests may read while the
// agent writes to it. WorldSeams puts the clock and the fake into every session.
// Header-only.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "agent/config/load.h"
#include "agent/sync/session.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_pinned.h"
#include "tests/support/temp_dir.h"

namespace pinsync::testing {

// The API key the world's config names through ${PINSYNC_UNIT_AGENT_KEY} (listed in
// secrets.txt: no output may show it).
inline constexpr const char* k_agent_world_key_var = "PINSYNC_UNIT_AGENT_KEY";
inline constexpr const char* k_agent_world_key = "pk_unit_agent_world_5e1b";

inline const std::string k_agent_csv_header = "Event ID,Approved,Title,Date,Start,Category,City\n";

// One line of a sheet: approved `ok`, on `date` (M/D/YYYY) at 8:00 PM, Jazz in New York.
inline std::string sheet_row(const std::string& id, const std::string& title, const std::string& date = "6/12/2026",
                             const std::string& ok = "yes") {
  return id + "," + ok + "," + title + "," + date + ",8:00 PM,Jazz,New York\n";
}

// A stream whose text another thread may read while one writes (the agent's log).
class SharedLog final : public std::streambuf {
 public:
  SharedLog() : m_stream(this) {}
  SharedLog(const SharedLog&) = delete;
  SharedLog& operator=(const SharedLog&) = delete;
  std::ostream& stream() { return m_stream; }
  std::string text() const {
    std::lock_guard lock(m_mutex);
    return m_text;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    std::lock_guard lock(m_mutex);
    m_text.push_back(traits_type::to_char_type(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard lock(m_mutex);
    m_text.append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  mutable std::mutex m_mutex;
  std::string m_text;
  std::ostream m_stream;
};

class AgentWorld {
 public:
  // Sources named `sources` (CSV, NAME.csv beside the config), each polled every 60 s;
  // agent.workers `workers`; `sections` added to the config's top level (alerts:).
  explicit AgentWorld(std::vector<std::string> sources = {"acme"}, int workers = 2, std::string sections = "")
      : m_workers(workers), m_sections(std::move(sections)) {
    // Before any thread of the test starts; the same value for every test.
    ::setenv(k_agent_world_key_var, k_agent_world_key, 1);
    write_config(sources, std::chrono::seconds(60));
    for (const auto& s : sources) sheet(s, "");
    config = load();
  }

  // Writes NAME.csv: the header, then `rows`.
  void sheet(const std::string& source, const std::string& rows) {
    dir.write(source + ".csv", k_agent_csv_header + rows);
  }
  // Writes the config file again with these sources and poll interval.
  void write_config(const std::vector<std::string>& sources, std::chrono::seconds poll) {
    std::string yaml = R"(pinned:
  base_url: http://127.0.0.1:9
  api_key: ${)" + std::string(k_agent_world_key_var) + R"(}
  concurrency: 1
state:
  path: ./state.db
agent:
  admin_listen: off
  log_format: text
  workers: )" + std::to_string(m_workers) + "\n" + m_sections + R"(sources:
)";
    for (const auto& name : sources) {
      yaml += "  - name: " + name + R"(
    kind: csv
    path: )" + name + R"(.csv
    id_column: Event ID
    approved:
      column: Approved
    channel_id: 42
    status: published
    timezone: America/New_York
    date_order: MDY
    poll_interval: )" + std::to_string(poll.count()) + R"(s
    mapping:
      title: Title
      start_date: Date
      start_time: Start
      classifications:
        column: Category
        map: {Jazz: music}
      city:
        column: City
        places:
          New York: {place_id: place-new-york, country_code: US}
)";
    }
    config_file = dir.write("pinsync.yaml", yaml);
  }
  // Loads the config file as pinsync does.
  agent::Config load() {
    auto loaded = agent::load_config(config_file);
    REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
    return std::move(*loaded);
  }
  // The seams every session of the world gets.
  agent::WorldSeams seams() { return {&clock, pinned.transports()}; }

  TempDir dir;
  std::filesystem::path config_file;
  FakeClock clock;
  FakePinned pinned;
  SharedLog log;
  agent::Config config;

 private:
  int m_workers;
  std::string m_sections;
};

}  // namespace pinsync::testing

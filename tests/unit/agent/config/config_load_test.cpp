// Loading valid configs: the reference example with every field, defaults, optional keys,
// ${VAR} expansion, the process environment and the repo's config.example.yaml.
#include "tests/unit/agent/config/config_test_util.h"

namespace pinsync::agent::test {

TEST_CASE("the reference example config loads with every field as written") {
  const TempDir dir;
  const auto config = load_text(dir, k_example_config);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);

  CHECK(config->file == dir.path() / "config.yaml");
  CHECK(config->pinned.base_url == "http://127.0.0.1:8787");
  CHECK(config->pinned.api_key == k_test_api_key);
  CHECK(config->pinned.timeout == std::chrono::seconds(30));
  CHECK(config->state_path == dir.path() / "pinsync-state.db");
  CHECK(config->state_path.is_absolute());

  REQUIRE(config->sources.size() == 1);
  const SourceConfig& s = config->sources[0];
  CHECK(s.name == "acme");
  CHECK(s.kind() == "csv");
  CHECK(csv_of(s).path == dir.path() / "partner.csv");
  CHECK(csv_of(s).url.empty());
  CHECK(csv_of(s).max_bytes == 256u * 1024 * 1024);
  CHECK(s.write_back() == nullptr);
  CHECK(s.id_column == "Event ID");
  CHECK(s.approved.column == "Approved");
  CHECK(s.approved.values == std::vector<std::string>{"yes", "y", "true", "x", "approved"});
  CHECK(s.channel_id == 42);
  CHECK(s.status == EventStatus::draft);
  CHECK(s.status_column.empty());
  CHECK(s.timezone == "America/New_York");
  CHECK(s.date_order == DateOrder::MDY);
  CHECK(s.poll_interval == std::chrono::seconds(300));
  CHECK(s.line == 8);

  const Mapping& m = s.mapping;
  CHECK(m.title == "Title");
  CHECK(m.start_date == "Date");
  CHECK(m.start_time == "Start");
  CHECK(m.start.empty());
  CHECK(m.end_time == "End");
  CHECK(m.end_date.empty());
  CHECK(m.end.empty());
  CHECK(m.timezone == "Time zone");
  CHECK(m.classifications.column == "Category");
  CHECK(m.classifications.separator == ",");
  CHECK(m.classifications.map ==
        std::map<std::string, std::string>{{"Jazz", "music"}, {"Stand-up", "comedy"}});
  CHECK(m.city.column == "City");
  REQUIRE(m.city.places.size() == 2);
  CHECK(m.city.places.at("New York").place_id == "place-new-york");
  CHECK(m.city.places.at("New York").country_code == "US");
  CHECK(m.city.places.at("Valencia").place_id == "place-valencia");
  CHECK(m.city.places.at("Valencia").country_code == "ES");
  CHECK(m.location_name == "Venue");
  CHECK(m.description == "Description");
  CHECK(m.ticket_url == "Tickets");

  CHECK(config->find_source("acme") == &config->sources[0]);
  CHECK(config->find_source("beta") == nullptr);
}

TEST_CASE("defaults fill every optional key that is left out") {
  const TempDir dir;
  const std::string yaml = R"(pinned:
  api_key: ${PINNED_EVENTS_API_KEY}
state:
  path: /var/lib/pinsync/state.db
sources:
  - name: min
    kind: csv
    url: https://example.test/pub?output=csv
    id_column: ID
    approved: {column: OK}
    channel_id: 7
    timezone: UTC
    mapping:
      title: T
      start: When
      classifications: {column: C}
      city: {column: City, places: {Paris: {place_id: p-paris}}}
)";
  const auto config = load_text(dir, yaml);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(config->pinned.base_url == "https://pinned.events");
  CHECK(config->pinned.timeout == std::chrono::seconds(30));
  CHECK(config->pinned.max_requests_per_second == 0);
  CHECK(config->pinned.concurrency == 4);
  CHECK(config->pinned.idempotency_window == std::chrono::seconds(900));
  CHECK(config->state_path == "/var/lib/pinsync/state.db");
  CHECK(config->agent.admin_port == 8765);
  CHECK(config->agent.log_format == LogFormat::automatic);
  CHECK(config->agent.log_level == LogLevel::info);
  CHECK(config->google.sheets_base_url == "https://sheets.googleapis.com");
  CHECK(config->airtable.base_url == "https://api.airtable.com");
  const SourceConfig& s = config->sources.at(0);
  CHECK(csv_of(s).url == "https://example.test/pub?output=csv");
  CHECK(csv_of(s).path.empty());
  CHECK(s.approved.values == std::vector<std::string>{"yes", "y", "true", "x", "approved", "1"});
  CHECK(s.status == EventStatus::draft);
  CHECK(s.date_order == DateOrder::unspecified);
  CHECK(s.poll_interval == std::chrono::seconds(300));
  CHECK(s.mapping.start == "When");
  CHECK(s.mapping.start_date.empty());
  CHECK(s.mapping.classifications.separator == ",");
  CHECK(s.mapping.classifications.map.empty());
  CHECK(s.mapping.city.places.at("Paris").country_code.empty());
}

TEST_CASE("every optional key is read and normalised") {
  const TempDir dir;
  const std::string yaml = R"(pinned:
  base_url: https://pinned.example//
  api_key: ${PINNED_EVENTS_API_KEY}
  timeout_seconds: 5
  max_requests_per_second: 2.5
  concurrency: 8
  idempotency_window_seconds: 60
state:
  path: data/state.db
agent:
  admin_listen: localhost:9001
  log_format: JSON
  log_level: debug
google:
  sheets_base_url: http://127.0.0.1:9000/
airtable:
  base_url: http://127.0.0.1:9001
sources:
  - name: beta_2
    kind: csv
    path: ../feeds/beta.csv
    id_column: Key
    approved:
      column: Go
      values: [" Yes ", OK, "1"]
    channel_id: 9007199254740993
    status_column: Publish
    date_order: dmy
    poll_interval: 2m
    mapping:
      title: Name
      start: Starts at
      end: Ends at
      timezone: Zone
      classifications: {column: Tags, separator: " / ", map: {Live Music: music}}
      city:
        column: Town
        places:
          Valencia: {place_id: place-valencia, country_code: es}
  - name: gamma
    kind: CSV
    path: /srv/gamma.csv
    id_column: ID
    channel_id: 1
    status: Published
    timezone: Europe/Madrid
    poll_interval: 90
    mapping:
      title: T
      start_date: D
      end_date: D2
      classifications: {column: C}
      city: {column: City, places: {Madrid: {place_id: p-mad}}}
)";
  const auto config = load_text(dir, yaml);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(config->pinned.base_url == "https://pinned.example");
  CHECK(config->pinned.timeout == std::chrono::seconds(5));
  CHECK(config->pinned.max_requests_per_second == 2.5);
  CHECK(config->pinned.concurrency == 8);
  CHECK(config->pinned.idempotency_window == std::chrono::seconds(60));
  CHECK(config->state_path == dir.path() / "data" / "state.db");
  CHECK(config->agent.admin_port == 9001);
  CHECK(config->agent.log_format == LogFormat::json);
  CHECK(config->agent.log_level == LogLevel::debug);
  CHECK(config->google.sheets_base_url == "http://127.0.0.1:9000");
  CHECK(config->airtable.base_url == "http://127.0.0.1:9001");

  REQUIRE(config->sources.size() == 2);
  const SourceConfig& b = config->sources[0];
  CHECK(csv_of(b).path == dir.path().parent_path() / "feeds" / "beta.csv");
  CHECK(b.approved.values == std::vector<std::string>{"yes", "ok", "1"});
  CHECK(b.channel_id == 9007199254740993LL);
  CHECK(b.status_column == "Publish");
  CHECK(b.date_order == DateOrder::DMY);
  CHECK(b.poll_interval == std::chrono::seconds(120));
  CHECK(b.timezone.empty());
  CHECK(b.mapping.start == "Starts at");
  CHECK(b.mapping.end == "Ends at");
  CHECK(b.mapping.timezone == "Zone");
  CHECK(b.mapping.classifications.separator == " / ");
  CHECK(b.mapping.classifications.map.at("Live Music") == "music");
  CHECK(b.mapping.city.places.at("Valencia").country_code == "ES");
  CHECK(b.line == 19);

  const SourceConfig& g = config->sources[1];
  CHECK(g.kind() == "csv");
  CHECK(csv_of(g).path == "/srv/gamma.csv");
  CHECK(g.status == EventStatus::published);
  CHECK(g.poll_interval == std::chrono::seconds(90));
  CHECK(g.mapping.end_date == "D2");
  CHECK(g.line == 40);
}

TEST_CASE("admin_listen: off turns the endpoint off") {
  const TempDir dir;
  const auto config = load_text(dir, k_example_config + "agent:\n  admin_listen: off\n");
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK_FALSE(config->agent.admin_port.has_value());
}

TEST_CASE("${VAR} expands anywhere in a value, several times in one value") {
  const TempDir dir;
  const std::string yaml =
      replaced(replaced(k_example_config, "path: partner.csv", "url: https://${HOST}/${SHEET}/pub?x=$1"),
               "path: ./pinsync-state.db", "path: ${STATE_DIR}/state.db");
  const auto config = load_text(dir, yaml,
                                {{"PINNED_EVENTS_API_KEY", k_test_api_key},
                                 {"HOST", "sheets.example"},
                                 {"SHEET", "abc"},
                                 {"STATE_DIR", "/var/lib/pinsync"}});
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(csv_of(config->sources[0]).url == "https://sheets.example/abc/pub?x=$1");
  CHECK(config->state_path == "/var/lib/pinsync/state.db");
}

TEST_CASE("load_config(file) reads ${VAR} from the process environment") {
  const TempDir dir;
  const auto file = dir.write("config.yaml", k_example_config);
  {
    const EnvGuard key("PINNED_EVENTS_API_KEY", "from-the-environment");
    const auto config = load_config(file);
    REQUIRE_MESSAGE(config.has_value(), config.error().message);
    CHECK(config->pinned.api_key == "from-the-environment");
  }
  {
    const EnvGuard key("PINNED_EVENTS_API_KEY", std::nullopt);
    const auto config = load_config(file);
    CHECK(error_of(config) ==
          at(dir, "3: pinned.api_key: environment variable PINNED_EVENTS_API_KEY is not set — "
                  "export it or put it in the service's environment file"));
  }
}

TEST_CASE("config.example.yaml in the repository loads") {
  const EnvGuard key("PINNED_EVENTS_API_KEY", "example-key");
  const EnvGuard token("AIRTABLE_TOKEN", "example-token");
  const std::filesystem::path file = std::filesystem::path(PINSYNC_SOURCE_DIR) / "config.example.yaml";
  const auto config = load_config(file);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(config->pinned.api_key == "example-key");
  REQUIRE_FALSE(config->sources.empty());
  CHECK(config->state_path.is_absolute());
  REQUIRE(config->sources.size() == 3);
  CHECK(config->sources[0].kind() == "csv");
  CHECK(config->sources[1].kind() == "google_sheets");
  REQUIRE(config->sources[1].write_back() != nullptr);
  CHECK(config->sources[1].write_back()->any());
  CHECK(config->sources[2].kind() == "airtable");
  CHECK(std::get<connectors::AirtableSettings>(config->sources[2].settings).token == "example-token");
  for (const auto& source : config->sources) CHECK(source.line > 0);
}

TEST_CASE("examples/demo.yaml, the demo's config, loads") {
  const std::filesystem::path file = std::filesystem::path(PINSYNC_SOURCE_DIR) / "examples" / "demo.yaml";
  const auto config = load_config(file, env_of({{"PINNED_EVENTS_API_KEY", k_test_api_key},
                                                {"PINSYNC_DEMO_URL", "http://127.0.0.1:8787"},
                                                {"PINSYNC_DEMO_STATE", "/tmp/demo-state.db"},
                                                {"PINSYNC_DEMO_CSV", "/tmp/demo.csv"}}));
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(csv_of(config->sources.at(0)).path == "/tmp/demo.csv");
}

}  // namespace pinsync::agent::test

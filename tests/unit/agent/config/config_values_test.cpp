// Missing required keys and the value rules of sources: names, kinds, path/url, time
// zones, poll intervals, status, places, admin address, agent workers and URLs.
#include "tests/support/checks.h"
#include "tests/unit/agent/config/config_test_util.h"

namespace pinsync::agent::test {

namespace {

// Returns k_example_config without the line that contains `needle` (the line must exist).
std::string without_line(const std::string& needle) {
  std::string text = k_example_config;
  const auto pos = text.find(needle);
  REQUIRE_MESSAGE(pos != std::string::npos, "test fixture lacks: " << needle);
  const auto start = text.rfind('\n', pos) + 1;
  const auto end = text.find('\n', pos);
  text.erase(start, end - start + 1);
  return text;
}

}  // namespace

TEST_CASE("a missing required key is reported at the line of its parent") {
  const TempDir dir;
  const auto error_without = [&](const std::string& needle) {
    return error_of(load_text(dir, without_line(needle)));
  };
  CHECK(error_without("api_key:") ==
        at(dir, "1: pinned.api_key: missing — add api_key: ${PINNED_EVENTS_API_KEY} under pinned"));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "state:\n  path: ./pinsync-state.db",
                                         "state: {}"))) ==
        at(dir, "5: state.path: missing — add path: ./pinsync-state.db under state"));
  CHECK(error_without("path: ./pinsync-state.db") ==
        at(dir, "5: state: has no value — add state: with path: ./pinsync-state.db"));
  CHECK(error_without("channel_id:").starts_with(at(dir, "8: sources[0].channel_id: missing — ")));
  CHECK(error_without("id_column:").starts_with(at(dir, "8: sources[0].id_column: missing — ")));
  CHECK(error_without("kind: csv").starts_with(at(dir, "8: sources[0].kind: missing — add kind: csv")));
  CHECK(error_without("title: Title").starts_with(at(dir, "19: sources[0].mapping.title: missing — ")));
  CHECK(error_without("start_date: Date").starts_with(at(dir, "19: sources[0].mapping.start_date: missing — ")));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "{place_id: place-valencia, country_code: ES}",
                                         "{country_code: ES}")))
            .starts_with(at(dir, "33: sources[0].mapping.city.places.Valencia.place_id: missing — ")));
  CHECK(error_without("column: Approved").starts_with(at(dir, "12: sources[0].approved.column: missing — ")));

  const std::string no_name = replaced(k_example_config, "  - name: acme\n    kind: csv\n", "  - kind: csv\n");
  CHECK(error_of(load_text(dir, no_name)).starts_with(at(dir, "8: sources[0].name: missing — ")));

  const std::string no_sources = k_example_config.substr(0, k_example_config.find("sources:"));
  CHECK(error_of(load_text(dir, no_sources)).starts_with(at(dir, "1: sources: missing — ")));
  CHECK(error_of(load_text(dir, no_sources + "sources: []\n")) ==
        at(dir, "7: sources: the list is empty — add at least one source"));

  const std::string no_classifications = replaced(
      k_example_config,
      "      classifications:\n        column: Category\n        separator: \",\"\n"
      "        map: {Jazz: music, Stand-up: comedy}\n",
      "");
  CHECK(error_of(load_text(dir, no_classifications))
            .starts_with(at(dir, "19: sources[0].mapping.classifications: missing — ")));

  const std::string no_city = replaced(k_example_config, "      city:\n        column: City\n", "      town:\n        column: City\n");
  CHECK(error_of(load_text(dir, no_city)) ==
        at(dir, "29: sources[0].mapping.town: unknown key — the keys allowed here are: title, "
                "start_date, start_time, start, end_date, end_time, end, timezone, "
                "classifications, city, location_name, description, ticket_url"));

  const std::string no_zone = without_line("timezone: America/New_York");
  const std::string no_zone_at_all = replaced(no_zone, "timezone: Time zone", "");
  CHECK(error_of(load_text(dir, no_zone_at_all))
            .starts_with(at(dir, "8: sources[0].timezone: missing — give the zone of the events")));
  // The mapped time-zone column alone is enough.
  CHECK(load_text(dir, no_zone).has_value());
}

TEST_CASE("a time zone must be a real IANA name") {
  const TempDir dir;
  const std::string yaml = replaced(k_example_config, "America/New_York", "America/New_Yrok");
  CHECK(error_of(load_text(dir, yaml))
            .starts_with(at(dir, "17: sources[0].timezone: \"America/New_Yrok\" is not a known "
                                 "IANA time zone — write a name like America/New_York")));
}

TEST_CASE("source names are unique, short and limited to a-z 0-9 - _") {
  const TempDir dir;
  const std::string source = k_example_config.substr(k_example_config.find("  - name: acme"));
  const std::string twice = k_example_config + source;  // the second copy starts on line 37
  CHECK(error_of(load_text(dir, twice)) ==
        at(dir, "37: sources[1].name: \"acme\" is already the name of sources[0] (line 8) — give "
                "every source its own name"));

  CHECK(error_of(load_text(dir, replaced(k_example_config, "name: acme", "name: Acme Corp"))) ==
        at(dir, "8: sources[0].name: \"Acme Corp\" may only contain a-z, 0-9, - and _ (it becomes "
                "part of the idempotency keys) — write e.g. name: acme-corp"));
  const std::string long_name(41, 'a');
  CHECK(error_of(load_text(dir, replaced(k_example_config, "name: acme", "name: " + long_name)))
            .starts_with(at(dir, "8: sources[0].name: \"" + long_name + "\" is longer than 40 characters")));
  CHECK(load_text(dir, replaced(k_example_config, "name: acme", "name: " + std::string(40, 'a'))).has_value());
}

TEST_CASE("a csv source takes exactly one of path and url") {
  const TempDir dir;
  const std::string both = replaced(k_example_config, "    id_column: Event ID\n",
                                    "    url: https://example.test/pub?output=csv\n    id_column: Event ID\n");
  CHECK(error_of(load_text(dir, both)) ==
        at(dir, "11: sources[0].url: path and url are both given — keep exactly one: path for a "
                "file on this machine, url for a published CSV link"));
  const std::string neither = replaced(k_example_config, "    path: partner.csv", "    # no path");
  CHECK(error_of(load_text(dir, neither)).starts_with(at(dir, "8: sources[0].path: missing — ")));
  const std::string ftp = replaced(k_example_config, "path: partner.csv", "url: ftp://example.test/x.csv");
  CHECK(error_of(load_text(dir, ftp)) ==
        at(dir, "10: sources[0].url: \"ftp://example.test/x.csv\" is not a web address — it must "
                "start with http:// or https://"));
}

TEST_CASE("google_sheets sources: sheet, auth, write-back, the sheet's own zone") {
  const TempDir dir;
  dir.write("sa.json", "{}");
  std::string sheets = replaced(k_example_config, "kind: csv\n    path: partner.csv",
                                "kind: google_sheets\n    spreadsheet_id: 1AbCdEf\n    sheet: Partner Events\n"
                                "    auth:\n      service_account_file: sa.json\n"
                                "    write_back:\n      event_id_column: Pinned ID\n      status_column: Sync status");
  sheets = replaced(sheets, "    timezone: America/New_York         # default zone for rows without one\n", "");
  sheets = replaced(sheets, "      timezone: Time zone              # optional column overriding the default zone\n", "");
  const auto config = load_text(dir, sheets);
  REQUIRE(config);
  const auto& s = config->sources.at(0);
  CHECK(s.kind() == "google_sheets");
  const auto& g = std::get<connectors::GoogleSheetsSettings>(s.settings);
  CHECK(g.spreadsheet_id == "1AbCdEf");
  CHECK(g.sheet == "Partner Events");
  CHECK(g.auth.service_account_file == dir.path() / "sa.json");
  CHECK(s.write_back()->event_id_column == "Pinned ID");
  CHECK(s.write_back()->status_column == "Sync status");
  CHECK(s.timezone.empty());

  const std::string literal_key = replaced(sheets, "service_account_file: sa.json", "api_key: AIzaSyLiteral");
  const auto literal = error_of(load_text(dir, literal_key));
  CHECK_NOT_CONTAINS(literal, "AIzaSyLiteral");
  CHECK_CONTAINS(literal, "sources[0].auth.api_key");
  const std::string two = replaced(sheets, "service_account_file: sa.json",
                                   "service_account_file: sa.json\n      api_key: ${GOOGLE_API_KEY}");
  CHECK(error_of(load_text(dir, two, {{"PINNED_EVENTS_API_KEY", k_test_api_key}, {"GOOGLE_API_KEY", "k"}}))
            .find("give exactly one of") != std::string::npos);
  const std::string with_path = replaced(sheets, "spreadsheet_id: 1AbCdEf", "spreadsheet_id: 1AbCdEf\n    path: x.csv");
  CHECK_CONTAINS(error_of(load_text(dir, with_path)), "path is a setting of csv sources");
}

TEST_CASE("airtable sources: base, table, token from the environment, approval formula, no id column") {
  const TempDir dir;
  std::string at_src = replaced(k_example_config, "    id_column: Event ID\n", "");
  at_src = replaced(at_src, "    path: partner.csv ", "    # ");
  at_src = replaced(at_src, "kind: csv", "kind: airtable\n    base_id: appA1b2C3d4E5f6G7\n    table: Submissions\n"
                                "    view: Approved\n    token: ${AIRTABLE_TOKEN}");
  at_src = replaced(at_src, "      column: Approved\n      values: [yes, y, true, x, approved]   # case-insensitive, trimmed",
                    "      formula: \"{Status} = 'Approved'\"");
  const auto config = load_text(dir, at_src, {{"PINNED_EVENTS_API_KEY", k_test_api_key}, {"AIRTABLE_TOKEN", "pat-secret"}});
  REQUIRE(config);
  const auto& s = config->sources.at(0);
  const auto& a = std::get<connectors::AirtableSettings>(s.settings);
  CHECK(a.base_id == "appA1b2C3d4E5f6G7");
  CHECK(a.table == "Submissions");
  CHECK(a.view == "Approved");
  CHECK(a.token == "pat-secret");
  CHECK(s.approved.formula == "{Status} = 'Approved'");
  CHECK(s.id_column.empty());
  CHECK(s.full_scan_interval == std::chrono::hours(1));
  CHECK(a.arrays == connectors::ArrayJoin::join);
  const auto first = load_text(dir, replaced(at_src, "    view: Approved", "    view: Approved\n    arrays: first"),
                               {{"PINNED_EVENTS_API_KEY", k_test_api_key}, {"AIRTABLE_TOKEN", "pat-secret"}});
  REQUIRE(first);
  CHECK(std::get<connectors::AirtableSettings>(first->sources.at(0).settings).arrays == connectors::ArrayJoin::first);
  const auto unset = error_of(load_text(dir, at_src));
  CHECK_CONTAINS(unset, "AIRTABLE_TOKEN is not set");
  CHECK(error_of(load_text(dir, replaced(k_example_config, "kind: csv", "kind: cvs"))) ==
        at(dir, "9: sources[0].kind: kind \"cvs\" is not known — did you mean \"csv\"?"));
}

TEST_CASE("poll_interval reads 60s, 5m, 1h and bare seconds, at least 1s") {
  const TempDir dir;
  const auto interval = [&](const std::string& text) {
    return load_text(dir, replaced(k_example_config, "    date_order: MDY",
                                   "    date_order: MDY\n    poll_interval: " + text));
  };
  const auto seconds_of = [&](const std::string& text) {
    const auto config = interval(text);
    REQUIRE_MESSAGE(config.has_value(), config.error().message);
    return config->sources[0].poll_interval.count();
  };
  CHECK(seconds_of("60s") == 60);
  CHECK(seconds_of("5m") == 300);
  CHECK(seconds_of("1h") == 3600);
  CHECK(seconds_of("90") == 90);
  CHECK(seconds_of("10s") == 10);
  CHECK(seconds_of("1s") == 1);
  CHECK(seconds_of("\"2 m\"") == 120);

  CHECK(error_of(interval("0s")) ==
        at(dir, "19: sources[0].poll_interval: \"0s\" is too short — poll at most every second "
                "(write 1s or more)"));
  CHECK(error_of(interval("5x")) ==
        at(dir, "19: sources[0].poll_interval: \"5x\" is not a duration — write e.g. 60s, 5m or "
                "1h (a bare number means seconds)"));
  CHECK(error_of(interval("-60")).starts_with(at(dir, "19: sources[0].poll_interval: \"-60\" is not a duration")));
  CHECK(error_of(interval("m")).starts_with(at(dir, "19: sources[0].poll_interval: \"m\" is not a duration")));
  CHECK(error_of(interval("[1m]")).starts_with(at(dir, "19: sources[0].poll_interval: expected a single value")));
  CHECK(error_of(interval("99999999999h")).starts_with(at(dir, "19: sources[0].poll_interval: \"99999999999h\" is too long")));
}

TEST_CASE("status is draft or published, and not together with status_column") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, replaced(k_example_config, "status: draft", "status: live")))
            .starts_with(at(dir, "16: sources[0].status: \"live\" is not allowed here — write one "
                                 "of: draft, published")));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "status: draft",
                                         "status: draft\n    status_column: Publish")))
            .starts_with(at(dir, "17: sources[0].status_column: status and status_column are both given")));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "date_order: MDY", "date_order: MYD")))
            .starts_with(at(dir, "18: sources[0].date_order: \"MYD\" is not allowed here")));
}

TEST_CASE("on_removed is keep (the default) or draft") {
  const TempDir dir;
  auto kept = load_text(dir, k_example_config);
  REQUIRE(kept);
  CHECK(kept->sources.at(0).on_removed == OnRemoved::keep);
  auto drafted = load_text(dir, replaced(k_example_config, "status: draft", "status: draft\n    on_removed: draft"));
  REQUIRE(drafted);
  CHECK(drafted->sources.at(0).on_removed == OnRemoved::draft);
  CHECK(error_of(load_text(dir, replaced(k_example_config, "status: draft", "status: draft\n    on_removed: delete")))
            .starts_with(at(dir, "17: sources[0].on_removed: \"delete\" is not allowed here — write one of: keep, "
                                 "draft")));
}

TEST_CASE("mapping start/end alternatives do not mix") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, replaced(k_example_config, "start_time: Start", "start: Starts at")))
            .starts_with(at(dir, "22: sources[0].mapping.start: start and start_date are both given")));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "end_time: End",
                                         "end_time: End\n      end: Ends at")))
            .starts_with(at(dir, "24: sources[0].mapping.end: end and end_date/end_time are both given")));
}

TEST_CASE("places need a place_id and a two-letter country code") {
  const TempDir dir;
  const auto config = load_text(dir, replaced(k_example_config, "country_code: ES", "country_code: es"));
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  CHECK(config->sources[0].mapping.city.places.at("Valencia").country_code == "ES");
  CHECK(error_of(load_text(dir, replaced(k_example_config, "country_code: ES", "country_code: ESP"))) ==
        at(dir, "33: sources[0].mapping.city.places.Valencia.country_code: \"ESP\" is not a "
                "two-letter country code — write the ISO 3166 code, e.g. US or ES"));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "{place_id: place-valencia, country_code: ES}",
                                         "place-valencia")))
            .starts_with(at(dir, "33: sources[0].mapping.city.places.Valencia: expected a mapping")));
}

TEST_CASE("approved.values are trimmed, lower-cased and never empty") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, replaced(k_example_config, "values: [yes, y, true, x, approved]", "values: []"))) ==
        at(dir, "14: sources[0].approved.values: the list is empty — list the cell values that "
                "mean approved, e.g. [yes, x]"));
  CHECK(error_of(load_text(dir, replaced(k_example_config, "values: [yes, y, true, x, approved]",
                                         "values: [yes, \" \"]"))) ==
        at(dir, "14: sources[0].approved.values[1]: is empty — give it a value or remove the key"));
}

TEST_CASE("an empty approved: is refused instead of approving every row") {
  const TempDir dir;
  const std::string yaml = replaced(
      k_example_config, "    approved:\n      column: Approved\n      values: [yes, y, true, x, approved]",
      "    approved:");
  CHECK(error_of(load_text(dir, yaml)).starts_with(at(dir, "12: sources[0].approved: has no value — ")));
}

TEST_CASE("classification labels that differ only in case are refused") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, replaced(k_example_config, "{Jazz: music, Stand-up: comedy}",
                                         "{Jazz: music, jazz: music}")))
            .starts_with(at(dir, "28: sources[0].mapping.classifications.map.jazz: \"jazz\" and "
                                 "\"Jazz\" differ only in case")));
}

TEST_CASE("the admin endpoint listens on loopback only") {
  const TempDir dir;
  const auto listen = [&](const std::string& value) {
    return load_text(dir, k_example_config + "agent:\n  admin_listen: " + value + "\n");
  };
  CHECK(error_of(listen("0.0.0.0:8765")) ==
        at(dir, "38: agent.admin_listen: the admin endpoint may only listen on the loopback "
                "address, not \"0.0.0.0\" — write 127.0.0.1:PORT (e.g. 127.0.0.1:8765) or off"));
  CHECK(error_of(listen("10.1.2.3:80")).starts_with(at(dir, "38: agent.admin_listen: the admin endpoint may only")));
  CHECK(error_of(listen("127.0.0.1:99999")).starts_with(at(dir, "38: agent.admin_listen: \"127.0.0.1:99999\" has no valid port")));
  CHECK(error_of(listen("8765")).starts_with(at(dir, "38: agent.admin_listen: \"8765\" is not an address with a port")));
  CHECK(error_of(listen("yes")).starts_with(at(dir, "38: agent.admin_listen:")));
  CHECK(error_of(load_text(dir, k_example_config + "agent:\n  log_level: verbose\n"))
            .starts_with(at(dir, "38: agent.log_level: \"verbose\" is not allowed here — ")));
}

TEST_CASE("agent.workers: the passes at once of pinsync run, default 4, 1 to 64") {
  const TempDir dir;
  const auto plain = load_text(dir, k_example_config);
  REQUIRE(plain);
  CHECK(plain->agent.workers == 4);
  const auto eight = load_text(dir, k_example_config + "agent:\n  workers: 8\n");
  REQUIRE(eight);
  CHECK(eight->agent.workers == 8);
  CHECK(error_of(load_text(dir, k_example_config + "agent:\n  workers: 0\n")).starts_with(at(dir, "38: agent.workers:")));
  CHECK(error_of(load_text(dir, k_example_config + "agent:\n  workers: 65\n")).starts_with(at(dir, "38: agent.workers:")));
}

TEST_CASE("base URLs must be http or https") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, k_example_config + "google:\n  sheets_base_url: sheets.googleapis.com\n")) ==
        at(dir, "38: google.sheets_base_url: \"sheets.googleapis.com\" is not a web address — it "
                "must start with http:// or https://"));
  CHECK(error_of(load_text(dir, k_example_config + "airtable:\n  base_url: https:///\n"))
            .starts_with(at(dir, "38: airtable.base_url: \"https:///\" has no host name")));
}

TEST_CASE("a path starting with ~ is refused because nothing expands it") {
  const TempDir dir;
  CHECK(error_of(load_text(dir, replaced(k_example_config, "path: ./pinsync-state.db", "path: ~/state.db")))
            .starts_with(at(dir, "6: state.path: \"~/state.db\": ~ is not expanded here")));
}

}  // namespace pinsync::agent::test

// The configuration of pinsync as loaded from YAML: plain structs, already validated.
// load_config() (load.h) is the only producer; everything else reads these.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "connectors/airtable_settings.h"
#include "connectors/csv.h"
#include "connectors/google_sheets_settings.h"
#include "core/datetime.h"
#include "core/error.h"
#include "core/log.h"

namespace pinsync::agent {

struct PinnedConfig {
  std::string base_url = "https://pinned.events";
  std::string api_key;  // from ${VAR} only; never logged
  std::chrono::seconds timeout{30};
  double max_requests_per_second = 0;  // 0 = unlimited
  int concurrency = 4;
  std::chrono::seconds idempotency_window{900};
  // The retry queue: a row whose write keeps failing is retried after a backoff with
  // full jitter, from retry_delay doubling up to max_retry_delay (never before the
  // server's Retry-After), and becomes dead after max_attempts failed sends.
  int max_attempts = 10;
  std::chrono::seconds retry_delay{30};
  std::chrono::seconds max_retry_delay{3600};
};

struct AgentConfig {
  // The admin endpoint listens on 127.0.0.1 at this port (0: the system picks one);
  // nullopt: `admin_listen: off`, no endpoint.
  std::optional<std::uint16_t> admin_port = 8765;
  LogFormat log_format = LogFormat::automatic;  // text on a terminal, JSON lines otherwise
  LogLevel log_level = LogLevel::info;
  // `pinsync run`: how many sources pass at once (the threads of its scheduler); the
  // others wait their turn, resyncs first.
  int workers = 4;
};

// The quotas below are the services' documented defaults; a project that had them raised
// says so here, and `pinsync run` plans its polling against them (agent/daemon/quota_plan.h).
struct GoogleConfig {
  std::string sheets_base_url = "https://sheets.googleapis.com";  // no trailing slash
  std::string drive_base_url = "https://www.googleapis.com";       // the change gate's files.get
  // Google's read quota and its write quota, each (they are the same size by default).
  std::int64_t requests_per_minute_per_user = 60;  // per user (a service account) per project
  std::int64_t requests_per_minute_per_project = 300;
};

struct AirtableConfig {
  std::string base_url = "https://api.airtable.com";  // no trailing slash
  std::int64_t requests_per_second_per_base = 5;
  std::int64_t requests_per_second_per_token = 50;
};

// Where alerts for the ops person go (agent/alerts.h); both optional, both may be set.
struct AlertsConfig {
  std::string webhook_url;  // Slack-compatible webhook: POST {"text": …}; secret-bearing, never logged
  std::string command;      // run with /bin/sh -c; the message on stdin and in PINSYNC_ALERT_TEXT
  std::chrono::seconds timeout{10};  // per webhook request and per command run
  bool any() const { return !webhook_url.empty() || !command.empty(); }
};

using pinsync::DateOrder;
enum class EventStatus { draft, published };
// What becomes of the event of a row that is unapproved or leaves the source.
enum class OnRemoved {
  keep,   // the event stays as it is (the row is reported removed)
  draft,  // a published event goes back to draft; a returning row brings it back
};

struct ApprovalRule {
  std::string column;               // empty: every row counts as approved
  std::vector<std::string> values;  // lower-cased, trimmed; default yes,y,true,x,approved,1
  std::string formula;              // airtable only: filterByFormula selecting approved records
};

struct Place {
  std::string place_id;
  std::string country_code;
};

struct ClassificationMapping {
  std::string column;
  std::string separator = ",";
  std::map<std::string, std::string> map;  // source label -> slug (label matched case-insensitively)
};

struct CityMapping {
  std::string column;
  std::map<std::string, Place> places;  // city name as written in the sheet -> place
};

struct Mapping {
  std::string title;
  std::string start_date;   // date column (with start_time), or
  std::string start_time;
  std::string start;        // one date-time column
  std::string end_date;     // optional
  std::string end_time;     // optional
  std::string end;          // optional one date-time column
  std::string timezone;     // optional column overriding the source's default zone
  ClassificationMapping classifications;
  CityMapping city;
  std::string location_name;
  std::string description;
  std::string ticket_url;
};

// What a kind of source adds to the settings every source has: its connector's settings,
// as config/sources/<kind>.cpp reads them (values that come from elsewhere in the config,
// such as the API's base URL or the fields the mapping reads, are filled in when the
// connector is made). The order is the kind table's (config/sources.cpp).
using SourceSettings =
    std::variant<connectors::CsvSettings, connectors::GoogleSheetsSettings, connectors::AirtableSettings>;

struct SourceConfig {
  std::string name;
  SourceSettings settings;
  // Sources that can read only their changed rows (airtable; google_sheets with
  // change_gate) read everything this often.
  std::chrono::seconds full_scan_interval{3600};
  // identity
  std::string id_column;
  std::vector<std::string> fingerprint;  // columns identifying a row when there is no ID column
  ApprovalRule approved;
  std::int64_t channel_id = 0;
  EventStatus status = EventStatus::draft;
  std::string status_column;  // optional: per-row draft/published
  std::string timezone;       // default IANA zone
  DateOrder date_order = DateOrder::unspecified;
  std::chrono::seconds poll_interval{300};
  // A complete read that would mark more than this share of the known approved rows
  // removed (or reads no approved row at all) is suspect: nothing is marked removed
  // until the operator runs resync --accept-removals. 1 turns the guard off.
  double max_removed_share = 0.2;
  bool recreate_deleted = false;  // a row whose event was deleted gets a new event
  OnRemoved on_removed = OnRemoved::keep;
  Mapping mapping;
  int line = 0;  // line of this source in the config file, for messages

  // The kind's name as written in the config: "csv", "google_sheets", "airtable".
  std::string_view kind() const;
  // The columns results are written back to; nullptr for a kind that cannot write back.
  const connectors::WriteBackColumns* write_back() const;
};

// A ${VAR} reference the environment did not set, in a part of the config the command
// that loaded it does not use (load_config with ConfigNeeds). The values read from it are
// placeholders: a command that needs them loads the config with needs that include them.
struct UnsetVariable {
  std::string name;     // PARTNER_TOKEN
  std::string path;     // the key: "alerts.webhook_url", "sources[1].token"
  std::string message;  // "file:line: path: environment variable NAME is not set — fix"
};

struct Config {
  std::filesystem::path file;  // the config file itself
  PinnedConfig pinned;
  std::filesystem::path state_path;
  AgentConfig agent;
  GoogleConfig google;
  AirtableConfig airtable;
  AlertsConfig alerts;
  std::vector<SourceConfig> sources;

  // ${VAR}s left unset in parts the loading command does not use (empty when loaded
  // with every part needed, the default).
  std::vector<UnsetVariable> unset_variables;

  // Returns the source with this name, or nullptr.
  const SourceConfig* find_source(std::string_view name) const;
};

// The parts of the config a command uses. A ${VAR} left unset in a part it does not use is
// no error for it (a read-only command needs no secret); in a part it uses, loading fails
// as it always does, naming file:line and the variable. `state` and `agent` are always
// needed (every command opens the state file; pause and resync ask the agent).
struct ConfigNeeds {
  bool everything = true;  // sync, run, check, resync: every part (the strict load)
  bool pinned = false;     // pinned: the API key and base_url
  bool sources = false;    // the sources (and the google: / airtable: settings they use)
  std::string source;      // with sources: only this source's own settings ("" = all)

  // Only the state file (status, errors, history, pause, resume, backup, forget).
  static ConfigNeeds state_only() { return {false, false, false, ""}; }
};

// Looks up one environment variable: its value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

}  // namespace pinsync::agent

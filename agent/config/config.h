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
#include <vector>

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
  std::string admin_listen = "127.0.0.1:8765";  // or "off"
  LogFormat log_format = LogFormat::automatic;  // text on a terminal, JSON lines otherwise
  LogLevel log_level = LogLevel::info;
};

struct GoogleConfig {
  std::string sheets_base_url = "https://sheets.googleapis.com";  // no trailing slash
};

struct AirtableConfig {
  std::string base_url = "https://api.airtable.com";  // no trailing slash
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

struct ApprovalRule {
  std::string column;               // empty: every row counts as approved
  std::vector<std::string> values;  // lower-cased, trimmed; default yes,y,true,x,approved,1
  std::string formula;              // airtable only: filterByFormula selecting approved records
};

// Google credentials of a google_sheets source: exactly one of the three ways.
struct GoogleAuth {
  std::filesystem::path service_account_file;
  std::string api_key;  // from ${VAR}
  std::string oauth_client_id;
  std::string oauth_client_secret;  // from ${VAR}
  std::string oauth_refresh_token;  // from ${VAR}
  std::string oauth_token_uri = "https://oauth2.googleapis.com/token";
};

// Columns (or Airtable fields) that receive the sync result of each row.
struct WriteBackConfig {
  std::string event_id_column;
  std::string status_column;
  std::string error_column;
  bool any() const { return !event_id_column.empty() || !status_column.empty() || !error_column.empty(); }
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

struct SourceConfig {
  std::string name;
  std::string kind;  // csv | google_sheets | airtable
  // csv
  std::filesystem::path path;  // absolute (resolved against the config file's folder)
  std::string url;
  // google_sheets
  std::string spreadsheet_id;
  std::string sheet;  // a sheet title, or
  std::string range;  // an A1 range
  GoogleAuth auth;
  // airtable
  std::string base_id;
  std::string table;
  std::string view;
  std::string token;  // from ${VAR}
  std::chrono::seconds full_scan_interval{3600};
  bool arrays_first = false;  // lookup/linked/multiple-select arrays: first value, or all joined
  // sheets and airtable
  WriteBackConfig write_back;
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
  Mapping mapping;
  int line = 0;  // line of this source in the config file, for messages
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

  // Returns the source with this name, or nullptr.
  const SourceConfig* find_source(std::string_view name) const;
};

// Looks up one environment variable: its value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

}  // namespace pinsync::agent

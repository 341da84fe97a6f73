// Alerts for the ops person, in plain words ("acme, row 14: date unreadable"): after each
// pass the Alerter compares the source's health and its rows needing a person with what it
// remembered, and sends a message only for what changed — a source stopped or paused, rows
// newly invalid, held or dead, a suspect pass held — and once on recovery. The memory
// lives in a small file next to the state file, so a restart does not alert again.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/sync/pass.h"
#include "core/http.h"
#include "core/log.h"
#include "state/store.h"

namespace pinsync::agent {

enum class SourceHealth {
  ok,       // the pass ran (rows may still be bad)
  stopped,  // the source could not be synced (unreadable, missing column, …)
  paused,   // the key or its access was refused (401/403): nothing runs until it is fixed
};

// A row that needs a person, as the store holds it after the pass.
struct BadRow {
  std::string source_id;
  std::string row_ref;
  std::string state;   // invalid, needs_review, gone, dead (a new state plugs in by name)
  std::string reason;  // plain words
  std::string field;   // the column of the (first) bad cell, "" when none
  std::string value;   // that cell as written, "" when none
};

// Why rows are invalid, as an alert groups them: what (`unknown city "Valencia"`, `Date:
// "…" is not a date`) and where the fix is.
struct InvalidCause {
  enum class FixIn { cells, config, event };  // event: Pinned Events refused a take-down
  FixIn fix_in = FixIn::cells;
  std::string what;  // the group's label: rows with equal labels are one line
  std::string fix;   // for the config: what to change ("add it under mapping.city.places")
  bool cells_too = false;  // for the config: the row has bad cells as well
};
// Returns the cause of an invalid row: the event when Pinned Events refused its take-down
// (k_take_down_refused: no cell can fix that); the config when the mapper's reason names a config
// fix (a city not under mapping.city.places, a label not under
// mapping.classifications.map), labelled by that city or label (cells_too when another of
// its problems is a cell's); otherwise the cells,
// labelled by the first reason with the row's own cell value left out, so rows with the
// same problem in different values group together.
InvalidCause invalid_cause(const BadRow& row);

// What one pass tells the Alerter about its source.
struct PassHealth {
  std::string source;
  SourceHealth health = SourceHealth::ok;
  std::string reason;           // why stopped/paused ("" when ok)
  bool transient = false;       // the stop may heal by itself (network, 5xx, 429)
  std::vector<BadRow> bad_rows; // every row of the source that needs a person now
  std::string suspect_pass;     // non-empty: a pass was held back as suspect, and why
  // on_removed: draft: the rows whose events this pass took down to draft or brought back
  // (from the report: each is told once, when it happens)
  std::vector<BadRow> taken_down;
  std::vector<BadRow> brought_back;
};

// Returns the PassHealth of `report`: paused for an auth stop, stopped for any other stop;
// bad_rows from `store` (rows invalid, needs_review or gone; none when store is null);
// taken_down and brought_back from the report's unpublished and republished rows.
PassHealth pass_health(const PassReport& report, state::Store* store);

struct Alert {
  std::string source;
  std::string kind;  // source_paused, source_stopped, source_recovered, rows_invalid, rows_held,
                     // rows_dead, pass_held, pass_recovered, events_unpublished, events_republished
  std::string text;  // the message, plain words, several lines at most
};

// How an alert leaves the process; the Alerter calls it outside its lock.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Sends `alert`. Returns an Error (logged by the caller) when it could not be delivered.
  virtual Result<void> deliver(const Alert& alert) = 0;
};

using TransportFactory = std::function<std::unique_ptr<http::Transport>()>;

// POSTs {"text": …} to a Slack-compatible webhook: `timeout` per attempt, one retry after
// a failure or 5xx. The URL is a credential and never appears in a message.
std::unique_ptr<AlertSink> make_webhook_sink(std::string url, std::chrono::seconds timeout, TransportFactory transports);
// Runs `command` with /bin/sh -c in a process group of its own, the text on stdin and in
// PINSYNC_ALERT_TEXT, with PINSYNC_ALERT_SOURCE and PINSYNC_ALERT_KIND; of the agent's
// environment it sees only PATH, HOME, LANG, LC_ALL and TZ. Its whole group is killed
// after `timeout`, when `clock` stops (shutdown), and when the command exits (nothing it
// started in the background outlives it).
std::unique_ptr<AlertSink> make_command_sink(std::string command, std::chrono::seconds timeout, Clock& clock);

// Stopping passes in a row before a transient stop (network, 5xx) is worth an alert.
inline constexpr int k_transient_stops_before_alert = 3;
// Rows named per cause in one message; the rest are counted.
inline constexpr std::size_t k_rows_per_alert = 10;

class Alerter {
 public:
  // `memory_file` keeps what was alerted across restarts ("" = memory only). `log` must
  // outlive the Alerter. Never fails: an unreadable memory file is logged and ignored.
  Alerter(std::vector<std::unique_ptr<AlertSink>> sinks, std::filesystem::path memory_file, Logger& log);

  // Builds the sinks `config` asks for (none when alerts is empty) with memory in
  // "<state file>.alerts.json"; an alert command's waits end when `clock` stops; alerts
  // link the status page when agent.admin_listen gives a port. Returns nullptr when no
  // alert is configured.
  static std::unique_ptr<Alerter> from_config(const Config& config, Logger& log, TransportFactory transports,
                                              Clock& clock);

  // Returns the alerts `health` calls for, given what was remembered, and remembers the
  // new state (writing the memory file). Thread-safe.
  std::vector<Alert> observe(const PassHealth& health);
  // observe(), then delivers each alert to every sink; failures are logged, never thrown.
  // Returns the alerts sent.
  std::vector<Alert> report(const PassHealth& health);

  // The status page's address ("http://127.0.0.1:8765/"), named at the end of every alert
  // but a recovery; "" for none. Thread-safe.
  void set_status_page(std::string url);

 private:
  struct SourceMemory {
    SourceHealth health = SourceHealth::ok;
    bool alerted = false;       // a stop/pause alert went out and waits for its recovery
    int stops_in_row = 0;
    std::set<std::string> bad;  // "state\tsource_id" of rows already alerted
    bool suspect = false;
  };
  void load();
  void save();

  std::vector<std::unique_ptr<AlertSink>> m_sinks;
  std::filesystem::path m_file;
  Logger& m_log;
  std::mutex m_mutex;
  std::map<std::string, SourceMemory> m_sources;
  std::string m_status_page;
};

}  // namespace pinsync::agent

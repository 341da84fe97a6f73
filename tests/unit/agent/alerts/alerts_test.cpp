// The Alerter (agent/alerts.h): one alert per change of a source's health or of its bad
// rows, never one per poll, remembered across restarts; and its webhook and command sinks.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/alerts/alerts.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/temp_dir.h"

using namespace pinsync;
using namespace pinsync::agent;
using pinsync::testing::FakeClock;
using pinsync::testing::FakeTransport;
using pinsync::testing::TempDir;

namespace {

PassHealth healthy(const std::string& source, std::vector<BadRow> bad = {}) {
  PassHealth h;
  h.source = source;
  h.bad_rows = std::move(bad);
  return h;
}

PassHealth paused(const std::string& source) {
  PassHealth h;
  h.source = source;
  h.health = SourceHealth::paused;
  h.reason = source + ": Pinned Events POST /api/public/v1/events: answered 401 invalid_api_key";
  return h;
}

BadRow invalid_row(int n, std::string reason = "date unreadable", std::string field = "", std::string value = "") {
  return {"E-" + std::to_string(n), "row " + std::to_string(n), "invalid", std::move(reason), std::move(field),
          std::move(value)};
}

// What the mapper writes for a city the mapping does not know (agent/mapping/mapper.cpp).
BadRow unknown_city(int n, const std::string& city) {
  return invalid_row(n, "City: unknown city \"" + city + "\": known cities are Madrid, New York (" +
                            std::string(k_fix_add_city) + ")",
                     "City", city);
}

struct Fixture {
  TempDir dir;
  FakeClock clock;
  std::ostringstream log_text;
  Logger log{log_text, LogLevel::info, LogFormat::text, clock};
  std::filesystem::path memory = dir / "state.db.alerts.json";

  std::unique_ptr<Alerter> alerter() { return std::make_unique<Alerter>(std::vector<std::unique_ptr<AlertSink>>{}, memory, log); }
};

std::vector<std::string> kinds(const std::vector<Alert>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts) out.push_back(a.kind);
  return out;
}

}  // namespace

TEST_CASE("alerts: a paused source alerts once, stays quiet while paused, and alerts once on recovery") {
  Fixture f;
  auto a = f.alerter();
  CHECK(a->observe(healthy("acme")).empty());
  const auto first = a->observe(paused("acme"));
  REQUIRE(first.size() == 1);
  CHECK(first[0].kind == "source_paused");
  CHECK(first[0].text.starts_with("acme: paused — Pinned Events answered 401 invalid_api_key. Nothing is sent"));
  for (int poll = 0; poll < 5; ++poll) CHECK(a->observe(paused("acme")).empty());
  const auto back = a->observe(healthy("acme"));
  REQUIRE(back.size() == 1);
  CHECK(back[0].kind == "source_recovered");
  CHECK(back[0].text == "acme: recovered — syncing again");
  CHECK(a->observe(healthy("acme")).empty());
}

TEST_CASE("alerts: a transient stop alerts only after three stopped passes in a row") {
  Fixture f;
  auto a = f.alerter();
  PassHealth down = healthy("acme");
  down.health = SourceHealth::stopped;
  down.transient = true;
  down.reason = "acme: partner.csv could not be fetched (connection refused)";
  CHECK(a->observe(down).empty());
  CHECK(a->observe(healthy("acme")).empty());  // healed by itself: no alert, no recovery
  CHECK(a->observe(down).empty());
  CHECK(a->observe(down).empty());
  const auto third = a->observe(down);
  REQUIRE(third.size() == 1);
  CHECK(third[0].kind == "source_stopped");
  CHECK_CONTAINS(third[0].text, "(3 passes in a row)");
  CHECK(a->observe(down).empty());
  CHECK(kinds(a->observe(healthy("acme"))) == std::vector<std::string>{"source_recovered"});
}

TEST_CASE("alerts: a row newly invalid alerts once with its row and reason; a new bad row alerts again") {
  Fixture f;
  auto a = f.alerter();
  const auto first = a->observe(healthy("acme", {invalid_row(14)}));
  REQUIRE(first.size() == 1);
  CHECK(first[0].kind == "rows_invalid");
  CHECK(first[0].text == "acme, row 14 (E-14): newly invalid — date unreadable — fix the cells; the next sync sends it");
  CHECK(a->observe(healthy("acme", {invalid_row(14)})).empty());
  const auto second = a->observe(healthy("acme", {invalid_row(14), invalid_row(15, "city unknown")}));
  REQUIRE(second.size() == 1);
  CHECK_CONTAINS(second[0].text, "row 15");
  CHECK_NOT_CONTAINS(second[0].text, "row 14");
  // Fixed, then broken again: a new alert.
  CHECK(a->observe(healthy("acme", {invalid_row(15, "city unknown")})).empty());
  CHECK(a->observe(healthy("acme", {invalid_row(14), invalid_row(15, "city unknown")})).size() == 1);
}

TEST_CASE("alerts: many new rows of one cause are one line, named up to ten, the rest counted; held rows get their own message") {
  Fixture f;
  auto a = f.alerter();
  std::vector<BadRow> rows;
  for (int i = 1; i <= 13; ++i) rows.push_back(invalid_row(i));
  rows.push_back({"E-99", "row 99", "needs_review", "create in doubt past the idempotency window", "", ""});
  const auto alerts = a->observe(healthy("acme", rows));
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].kind == "rows_invalid");
  CHECK(alerts[0].text.starts_with("acme: 13 rows newly invalid; the next sync sends each once fixed:\n"
                                    "• 13 rows: date unreadable — fix the cells: row 1 (E-1), row 2 (E-2)"));
  CHECK_CONTAINS(alerts[0].text, "row 10 (E-10)");
  CHECK_NOT_CONTAINS(alerts[0].text, "row 11 (E-11)");
  CHECK(alerts[0].text.ends_with("row 10 (E-10) and 3 more"));
  CHECK(alerts[1].kind == "rows_held");
  CHECK_CONTAINS(alerts[1].text, "row 99");
}

TEST_CASE("alerts: a restart remembers what was alerted (memory file, mode 0600)") {
  Fixture f;
  {
    auto a = f.alerter();
    CHECK(a->observe(paused("acme")).size() == 1);
    CHECK(a->observe(healthy("beta", {invalid_row(3)})).size() == 1);
  }
  struct stat st {};
  REQUIRE(::stat(f.memory.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = f.alerter();
  CHECK(again->observe(paused("acme")).empty());
  CHECK(again->observe(healthy("beta", {invalid_row(3)})).empty());
  CHECK(kinds(again->observe(healthy("acme"))) == std::vector<std::string>{"source_recovered"});
}

TEST_CASE("alerts: an unreadable memory file is logged and alerts start afresh") {
  Fixture f;
  f.dir.write("state.db.alerts.json", "{not json");
  auto a = f.alerter();
  CHECK_CONTAINS(f.log_text.str(), "alert memory unreadable");
  CHECK(a->observe(paused("acme")).size() == 1);
}

TEST_CASE("alerts: a suspect pass held alerts once and once when passes look normal again") {
  Fixture f;
  auto a = f.alerter();
  PassHealth held = healthy("acme");
  held.suspect_pass = "the sheet shrank from 300 to 3 rows";
  CHECK(kinds(a->observe(held)) == std::vector<std::string>{"pass_held"});
  CHECK(a->observe(held).empty());
  CHECK(kinds(a->observe(healthy("acme"))) == std::vector<std::string>{"pass_recovered"});
}

TEST_CASE("alerts: events taken down and brought back (on_removed: draft) are told once each, grouped") {
  Fixture f;
  auto a = f.alerter();
  PassReport r;
  r.source = "acme";
  r.rows = {{"partner.csv:2", "E-1", RowAction::unpublished, 7, "the row is no longer approved; its event 7 is taken down"},
            {"partner.csv:3", "E-2", RowAction::unpublished, 8, "the row is no longer in the source; its event 8 is taken down"},
            {"partner.csv:4", "E-3", RowAction::republished, 9, "back in the source: its event 9 … is published again"},
            {"partner.csv:5", "E-4", RowAction::removed, 10, "the row is no longer approved"}};
  const auto h = pass_health(r, nullptr);
  REQUIRE(h.taken_down.size() == 2);
  REQUIRE(h.brought_back.size() == 1);
  const auto alerts = a->observe(h);
  REQUIRE(kinds(alerts) == std::vector<std::string>{"events_unpublished", "events_republished"});
  CHECK(alerts[0].text ==
        "acme: 2 rows taken down to draft (on_removed: draft):\n"
        "• partner.csv:2 (E-1): the row is no longer approved; its event 7 is taken down\n"
        "• partner.csv:3 (E-2): the row is no longer in the source; its event 8 is taken down");
  CHECK(alerts[1].text == "acme, partner.csv:4 (E-3): brought back — back in the source: its event 9 … is published again");
  // News of one pass: a later pass without such rows says nothing.
  CHECK(a->observe(healthy("acme")).empty());
}

TEST_CASE("pass_health: a paused source is a pause, a network stop is transient") {
  PassReport r;
  r.source = "acme";
  r.stopped = Error{ErrorKind::auth, "acme: the sheet is not shared with the service account"};
  CHECK(pass_health(r, nullptr).health == SourceHealth::stopped);  // a source refusal is no pause
  r.stopped = Error{ErrorKind::auth, "acme: answered 401"};
  r.paused = true;
  CHECK(pass_health(r, nullptr).health == SourceHealth::paused);
  r.paused = false;
  r.stopped = Error{ErrorKind::transient, "acme: connection refused"};
  const auto h = pass_health(r, nullptr);
  CHECK(h.health == SourceHealth::stopped);
  CHECK(h.transient);
  r.stopped.reset();
  CHECK(pass_health(r, nullptr).health == SourceHealth::ok);
}

TEST_CASE("webhook sink: posts {\"text\"} once, retries a 5xx once, and never names the URL") {
  auto script = std::make_shared<FakeTransport>();
  script->reply(503, "busy");
  script->reply(200, "ok");
  const std::string url = "https://hooks.example/services/T000/SECRET";
  auto sink = make_webhook_sink(url, std::chrono::seconds(5), [script] {
    struct Borrowed final : http::Transport {
      explicit Borrowed(std::shared_ptr<FakeTransport> t) : m_t(std::move(t)) {}
      std::expected<http::Response, http::TransportError> send(const http::Request& r) override { return m_t->send(r); }
      std::shared_ptr<FakeTransport> m_t;
    };
    return std::unique_ptr<http::Transport>(new Borrowed(script));
  });
  CHECK(sink->deliver({"acme", "source_paused", "acme: paused — \"key\" refused"}).has_value());
  REQUIRE(script->requests.size() == 2);
  CHECK(script->requests[0].method == "POST");
  CHECK(script->requests[0].url == url);
  CHECK(script->requests[0].body == R"({"text":"acme: paused — \"key\" refused"})");

  script->reply(404, "no_such_hook");
  const auto refused = sink->deliver({"acme", "source_recovered", "x"});
  REQUIRE_FALSE(refused.has_value());
  CHECK(script->requests.size() == 3);  // a 404 is not retried
  CHECK_CONTAINS(refused.error().message, "404");
  CHECK_NOT_CONTAINS(refused.error().message, "SECRET");
}

TEST_CASE("command sink: the text on stdin and in the environment; a failing command is an error") {
  TempDir dir;
  SystemClock clock;
  const auto out = dir / "got.txt";
  auto sink = make_command_sink("cat > '" + out.string() + "'; printf '%s|%s|%s' \"$PINSYNC_ALERT_SOURCE\" "
                                "\"$PINSYNC_ALERT_KIND\" \"$PINSYNC_ALERT_TEXT\" > '" + out.string() + ".env'",
                                std::chrono::seconds(10), clock);
  REQUIRE(sink->deliver({"acme", "rows_invalid", "acme, row 14: date unreadable"}).has_value());
  std::ifstream got(out), env(out.string() + ".env");
  std::stringstream a, b;
  a << got.rdbuf();
  b << env.rdbuf();
  CHECK(a.str() == "acme, row 14: date unreadable");
  CHECK(b.str() == "acme|rows_invalid|acme, row 14: date unreadable");

  auto failing = make_command_sink("exit 7", std::chrono::seconds(10), clock);
  const auto r = failing->deliver({"acme", "rows_invalid", "x"});
  REQUIRE_FALSE(r.has_value());
  CHECK_CONTAINS(r.error().message, "exited with 7");
}

// Regression: the command inherited every secret of the agent's environment.
TEST_CASE("command sink: the agent's keys and tokens are not in the command's environment") {
  TempDir dir;
  SystemClock clock;
  ::setenv("PINNED_EVENTS_API_KEY", "pk_live_not_for_alerts", 1);
  const auto out = dir / "env.txt";
  auto sink = make_command_sink("printf '%s|%s' \"${PINNED_EVENTS_API_KEY-unset}\" \"${PATH:+path}\" > '" +
                                    out.string() + "'",
                                std::chrono::seconds(10), clock);
  REQUIRE(sink->deliver({"acme", "rows_invalid", "x"}).has_value());
  ::unsetenv("PINNED_EVENTS_API_KEY");
  std::ifstream got(out);
  std::stringstream text;
  text << got.rdbuf();
  CHECK(text.str() == "unset|path");
}

namespace {

// True when process `pid` is gone (or a zombie nobody reaped yet).
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("State:")) return line.find('Z') != std::string::npos;
  }
  return true;
}

// A killed process takes a moment to be gone: waits (for the kernel, not for time the
// test could inject) until it is, at most 5 s. Returns whether it is.
bool becomes_gone(pid_t pid) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!gone(pid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

pid_t read_pid(const std::filesystem::path& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

// Regression: `sleep 60 &` in an alert command survived the agent's SIGTERM.
TEST_CASE("command sink: shutdown ends the command and everything it started; so does a timeout") {
  TempDir dir;
  const auto pid_file = dir / "child.pid";
  const std::string command = "sleep 60 & echo $! > '" + pid_file.string() + ".tmp'; mv '" + pid_file.string() +
                              ".tmp' '" + pid_file.string() + "'; wait";
  {
    SystemClock clock;
    auto sink = make_command_sink(command, std::chrono::seconds(3600), clock);
    Result<void> result;
    std::thread delivering([&] { result = sink->deliver({"acme", "source_paused", "x"}); });
    // Waits for the command's own process, not for time the test could inject.
    while (!std::filesystem::exists(pid_file)) std::this_thread::yield();
    const pid_t child = read_pid(pid_file);
    REQUIRE(child > 0);
    CHECK_FALSE(gone(child));
    clock.stop();  // what Daemon::stop does on SIGTERM
    delivering.join();
    REQUIRE_FALSE(result.has_value());
    CHECK_CONTAINS(result.error().message, "the agent is shutting down");
    CHECK(becomes_gone(child));
  }
  std::filesystem::remove(pid_file);
  {
    testing::FakeClock clock;  // its sleeps advance time at once: the timeout comes at once
    auto sink = make_command_sink("sleep 60", std::chrono::seconds(10), clock);
    const auto r = sink->deliver({"acme", "source_paused", "x"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::timeout);
    CHECK_CONTAINS(r.error().message, "did not finish within 10s and was killed");
  }
}

TEST_CASE("alerts: invalid rows are grouped by cause, the config's causes first with their fix, the cells' after") {
  Fixture f;
  auto a = f.alerter();
  std::vector<BadRow> rows;
  for (int i = 1; i <= 12; ++i) rows.push_back(unknown_city(i, "Valencia"));
  rows.push_back(invalid_row(20, "Title: the title is empty: every event needs one", "Title", ""));
  rows.push_back(invalid_row(21, "Title: the title is empty: every event needs one", "Title", ""));
  // Two bad dates with different values are one cause: the value is left out of the label.
  rows.push_back(invalid_row(30, "Date: \"June 32\" is not a date", "Date", "June 32"));
  rows.push_back(invalid_row(31, "Date: \"31/31\" is not a date", "Date", "31/31"));
  rows.push_back(invalid_row(32, "Date: \"Mayo\" is not a date", "Date", "Mayo"));
  rows.push_back(unknown_city(40, "Sevilla"));
  const auto alerts = a->observe(healthy("acme", rows));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].kind == "rows_invalid");
  CHECK(alerts[0].text ==
        "acme: 18 rows newly invalid; the next sync sends each once fixed:\n"
        "• 12 rows: unknown city \"Valencia\" — fix the config (add it under mapping.city.places): row 1 (E-1), "
        "row 2 (E-2), row 3 (E-3), row 4 (E-4), row 5 (E-5), row 6 (E-6), row 7 (E-7), row 8 (E-8), row 9 (E-9), "
        "row 10 (E-10) and 2 more\n"
        "• 1 row: unknown city \"Sevilla\" — fix the config (add it under mapping.city.places): row 40 (E-40)\n"
        "• 3 rows: Date: \"…\" is not a date — fix the cells: row 30 (E-30), row 31 (E-31), row 32 (E-32)\n"
        "• 2 rows: Title: the title is empty: every event needs one — fix the cells: row 20 (E-20), row 21 (E-21)");
}

TEST_CASE("alerts: rows are listed in the sheet's order, row 9 before row 10, whatever order the store gives") {
  Fixture f;
  auto a = f.alerter();
  const auto alerts = a->observe(healthy("acme", {invalid_row(10), invalid_row(11), invalid_row(9), invalid_row(100)}));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].text.ends_with(": row 9 (E-9), row 10 (E-10), row 11 (E-11), row 100 (E-100)"));
}

TEST_CASE("alerts: one row invalid because of the config says fix the config, naming what to add") {
  Fixture f;
  auto a = f.alerter();
  const auto alerts = a->observe(healthy("acme", {unknown_city(4, "Valencia")}));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].text.starts_with("acme, row 4 (E-4): newly invalid — City: unknown city \"Valencia\""));
  CHECK(alerts[0].text.ends_with("— fix the config (add it under mapping.city.places); the next sync sends it"));
  CHECK_NOT_CONTAINS(alerts[0].text, "fix the cells");
}

TEST_CASE("invalid_cause: an unmapped classification label is the config's; a bad cell is the cells'") {
  const auto label = invalid_cause(invalid_row(
      1, "Category: \"Salsa\" becomes the classification \"salsa\", which Pinned Events does not know: " +
             std::string(k_fix_map_classification),
      "Category", "Salsa"));
  CHECK(label.fix_in == InvalidCause::FixIn::config);
  CHECK(label.what == "classification \"Salsa\" is not mapped to a slug Pinned Events knows");
  CHECK(label.fix == "map it under mapping.classifications.map");
  const auto city = invalid_cause(unknown_city(2, "Valencia"));
  CHECK(city.fix_in == InvalidCause::FixIn::config);
  CHECK(city.what == "unknown city \"Valencia\"");
  // An empty city cell is the cell's to fix, though its reason lists the known cities.
  const auto empty = invalid_cause(
      invalid_row(3, "City: no city: the cell is empty; known cities are Madrid, New York", "City", ""));
  CHECK(empty.fix_in == InvalidCause::FixIn::cells);
  CHECK(empty.what == "City: no city: the cell is empty");
  CHECK_FALSE(city.cells_too);
  // A row with an unknown city and an empty title needs both fixed, and says so.
  const auto both = invalid_cause(invalid_row(
      4, "Title: the title is empty: every event needs one; City: unknown city \"Valencia\": known cities are New "
         "York (add it under mapping.city.places)",
      "Title", ""));
  CHECK(both.fix_in == InvalidCause::FixIn::config);
  CHECK(both.what == "unknown city \"Valencia\"");
  CHECK(both.cells_too);
  Fixture f;
  auto a = f.alerter();
  BadRow row = invalid_row(4, "Title: the title is empty: every event needs one; City: unknown city \"Valencia\": "
                              "known cities are New York (add it under mapping.city.places)",
                           "Title", "");
  const auto alerts = a->observe(healthy("acme", {row}));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].text.ends_with(
      " — fix the config (add it under mapping.city.places) and the cells; the next sync sends it"));
}

TEST_CASE("alerts: a dead row's alert says it gave up and what resends it, never that it will be resent") {
  Fixture f;
  auto a = f.alerter();
  BadRow dead{"E-3", "row 3", "dead",
              "Pinned Events answered 503 — will be resent with the same key — gave up after 3 attempts, nothing "
              "more is sent by itself: once the cause is fixed, edit the row or run pinsync resync --source acme "
              "--row E-3",
              "", ""};
  const auto alerts = a->observe(healthy("acme", {dead}));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].kind == "rows_dead");
  CHECK(alerts[0].text ==
        "acme, row 3 (E-3): dead: every retry failed and nothing more is sent by itself — once the cause is fixed, "
        "pinsync resync --source acme --dead sends them again — Pinned Events answered 503");
  CHECK_NOT_CONTAINS(alerts[0].text, "will be resent");
}

TEST_CASE("alerts: the paused alert names the answer without its API route and the one fix") {
  Fixture f;
  auto a = f.alerter();
  PassHealth refused = paused("acme");
  refused.reason = "acme: Pinned Events POST /api/public/v1/events: answered 403 forbidden (channel 42 is not "
                   "accessible) — the key lacks a scope or channel access: add it in Pinned Events (developer settings)";
  const auto alerts = a->observe(refused);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].text ==
        "acme: paused — Pinned Events answered 403 forbidden (channel 42 is not accessible). Nothing is sent until it "
        "is fixed: pinsync channels lists the channels the key can use: set the source's channel_id to one of them (a "
        "changed channel resumes it by itself), or give the key access to this one and pinsync resync --source acme.");
  CHECK_NOT_CONTAINS(alerts[0].text, "/api/public/v1");

  Fixture g;
  auto b = g.alerter();
  const auto revoked = b->observe(paused("beta"));
  REQUIRE(revoked.size() == 1);
  CHECK(revoked[0].text ==
        "beta: paused — Pinned Events answered 401 invalid_api_key. Nothing is sent until it is fixed: put a valid "
        "key in the variable pinned.api_key names (the service's environment file) and restart pinsync; a new key "
        "resumes the source by itself.");
}

TEST_CASE("alerts: every alert but a recovery links the status page when there is one") {
  Fixture f;
  auto a = f.alerter();
  a->set_status_page("http://127.0.0.1:8765/");
  const auto bad = a->observe(healthy("acme", {invalid_row(14)}));
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].text.ends_with("the next sync sends it\nStatus page: http://127.0.0.1:8765/"));
  const auto down = a->observe(paused("acme"));
  REQUIRE(down.size() == 1);
  CHECK(down[0].text.ends_with("\nStatus page: http://127.0.0.1:8765/"));
  const auto back = a->observe(healthy("acme", {invalid_row(14)}));
  REQUIRE(back.size() == 1);
  CHECK(back[0].text == "acme: recovered — syncing again");
}

TEST_CASE("alerts: a take-down Pinned Events refused says to look at the event, never to fix the cells") {
  Fixture f;
  auto a = f.alerter();
  const std::string reason = std::string(k_take_down_refused) +
                             "7 down to draft: status: not allowed for this channel — no cell of the row can fix this: "
                             "look at the event in Pinned Events, then run pinsync resync --source acme --row E-4 "
                             "(nothing is sent for it until then)";
  const auto alerts = a->observe(healthy("acme", {invalid_row(4, reason, "status", "")}));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].text.starts_with("acme, row 4 (E-4): Pinned Events refused to take event 7 down to draft"));
  CHECK_NOT_CONTAINS(alerts[0].text, "fix the cells");
  CHECK_NOT_CONTAINS(alerts[0].text, "the next sync sends it");
  CHECK(invalid_cause(invalid_row(4, reason)).fix_in == InvalidCause::FixIn::event);
}

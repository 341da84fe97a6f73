// `pinsync run` end to end: the real binary as a background agent against pinsync-sandbox
// on loopback, driven through signals, its admin endpoint and `pinsync resync`.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using pinsync::test::BackgroundProcess;
using pinsync::test::eventually;
using pinsync::test::http;
using pinsync::test::ProcessResult;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string k_header = "Event ID,Approved,Title,Date,Start,Category,City\n";

std::string rows(const std::string& prefix, int n, const std::string& title_of_first = "") {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    const std::string title = i == 1 && !title_of_first.empty() ? title_of_first : prefix + " show " + std::to_string(i);
    out += prefix + "-" + std::to_string(i) + ",yes," + title + ",6/" + std::to_string(i) + "/2026,8:00 PM,Jazz,New York\n";
  }
  return out;
}

std::string source_yaml(const std::string& name, const std::string& where, int channel, const std::string& interval) {
  return "  - name: " + name + "\n    kind: csv\n    " + where + "\n    id_column: Event ID\n"
         "    approved: {column: Approved}\n    channel_id: " + std::to_string(channel) +
         "\n    status: published\n    timezone: America/New_York\n    date_order: MDY\n"
         "    poll_interval: " + interval + "\n"
         "    mapping:\n      title: Title\n      start_date: Date\n      start_time: Start\n"
         "      classifications: {column: Category, map: {Jazz: music}}\n"
         "      city:\n        column: City\n        places:\n          New York: {place_id: place-new-york, country_code: US}\n";
}

// A loopback server that answers every request 500 and counts them: a failing source.
class FailingSource {
 public:
  FailingSource() : m_socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64),
                    m_server(new Factory(m_hits), m_socket, new Poco::Net::HTTPServerParams) {
    m_server.start();
  }
  ~FailingSource() { m_server.stopAll(true); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_socket.address().port()) + "/sheet.csv"; }
  int hits() const { return m_hits.load(); }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(std::atomic<int>& hits) : m_count(hits) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
      ++m_count;
      response.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
      response.setContentLength(5);
      response.send() << "oops\n";
    }
    std::atomic<int>& m_count;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(std::atomic<int>& hits) : m_count(hits) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(m_count);
    }
    std::atomic<int>& m_count;
  };
  std::atomic<int> m_hits{0};
  Poco::Net::ServerSocket m_socket;
  Poco::Net::HTTPServer m_server;
};

struct World {
  // Sources: acme and beta, CSV files, polled at the given intervals; `extra` is appended
  // to the sources list.
  World(const std::string& acme_interval, const std::string& beta_interval, const std::string& extra = "",
        const std::vector<std::string>& sandbox_args = {}, const std::string& api_key = "sandbox-key")
      : sandbox(sandbox_args), key(api_key) {
    dir.write("acme.csv", k_header + rows("A", 3));
    dir.write("beta.csv", k_header + rows("B", 2));
    sources = source_yaml("acme", "path: acme.csv", 42, acme_interval) +
              source_yaml("beta", "path: beta.csv", 43, beta_interval) + extra;
    config = dir.write("pinsync.yaml", config_text("127.0.0.1:0"));
  }
  ~World() {
    if (agent) {
      CHECK_NOT_CONTAINS(agent->err(), key);  // the key never shows
      CHECK_NOT_CONTAINS(agent->out(), key);
      CHECK_NOT_CONTAINS(agent->err(), "runtime error:");  // UBSan
      CHECK_NOT_CONTAINS(agent->err(), "Sanitizer");
      const int code = agent->stop(SIGKILL, 5s);
      (void)code;
    }
  }

  std::string config_text(const std::string& listen) const {
    return "pinned:\n  base_url: " + sandbox.base_url() +
           "\n  api_key: ${PINNED_EVENTS_API_KEY}\n  timeout_seconds: 10\n"
           "state:\n  path: ./state.db\nagent:\n  admin_listen: \"" + listen + "\"\nsources:\n" + sources;
  }

  std::vector<std::string> argv(const std::vector<std::string>& args, const std::filesystem::path& cfg) const {
    std::vector<std::string> out = {std::string(PINSYNC_BIN_DIR) + "/pinsync"};
    out.insert(out.end(), args.begin(), args.end());
    out.push_back("--config");
    out.push_back(cfg.string());
    return out;
  }

  // Starts `pinsync run` and waits for its admin endpoint line.
  void start() {
    agent = std::make_unique<BackgroundProcess>(argv({"run"}, config), env());
    const auto listening = pinsync::test::admin_url(*agent);
    REQUIRE_MESSAGE(listening, agent->err());
    admin = *listening;
    admin_port = admin.substr(admin.rfind(':') + 1);
  }

  std::vector<std::pair<std::string, std::string>> env() const { return {{"PINNED_EVENTS_API_KEY", key}}; }

  // `pinsync resync …` against the running agent (the config names its actual port).
  ProcessResult resync(const std::vector<std::string>& args) { return command("resync", args); }
  // `pinsync COMMAND …` against the running agent.
  ProcessResult command(const std::string& name, const std::vector<std::string>& args) {
    const auto cfg = dir.write("resync.yaml", config_text("127.0.0.1:" + admin_port));
    std::vector<std::string> all = {name};
    all.insert(all.end(), args.begin(), args.end());
    auto r = run_process(argv(all, cfg), env(), 60s);
    INFO("resync stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK_NOT_CONTAINS(r.out, key);
    CHECK_NOT_CONTAINS(r.err, key);
    return r;
  }

  Poco::JSON::Array::Ptr events() {
    const auto reply = http(sandbox.base_url(), "GET", "/_sandbox/events");
    REQUIRE(reply.status == 200);
    return Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("events");
  }
  int event_count() { return static_cast<int>(events()->size()); }
  Poco::JSON::Object::Ptr event_titled(const std::string& title) {
    auto list = events();
    for (unsigned i = 0; i < list->size(); ++i) {
      if (list->getObject(i)->getValue<std::string>("title") == title) return list->getObject(i);
    }
    return nullptr;
  }
  int requests(const std::string& method, const std::string& route) {
    const auto reply = http(sandbox.base_url(), "GET", "/_sandbox/stats");
    REQUIRE(reply.status == 200);
    auto list = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("requests");
    int n = 0;
    for (unsigned i = 0; i < list->size(); ++i) {
      auto e = list->getObject(i);
      if (e->getValue<std::string>("method") == method && e->getValue<std::string>("route") == route) {
        n += e->getValue<int>("count");
      }
    }
    return n;
  }
  int patches() { return requests("PATCH", "/api/public/v1/events/{id}"); }

  // The /status entry of one source.
  Poco::JSON::Object::Ptr status_of(const std::string& name) {
    const auto reply = http(admin, "GET", "/status");
    REQUIRE(reply.status == 200);
    auto list = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("sources");
    for (unsigned i = 0; i < list->size(); ++i) {
      if (list->getObject(i)->getValue<std::string>("name") == name) return list->getObject(i);
    }
    FAIL("no source " << name << " in /status: " << reply.body);
    return nullptr;
  }
  int passes(const std::string& name, const std::string& result = "ok") {
    auto p = status_of(name)->getObject("passes");
    return p->has(result) ? p->getValue<int>(result) : 0;
  }

  SandboxProcess sandbox;
  std::string key;
  TempDir dir;
  std::string sources;
  std::filesystem::path config;
  std::unique_ptr<BackgroundProcess> agent;
  std::string admin;       // http://127.0.0.1:N
  std::string admin_port;  // N
};

}  // namespace

TEST_CASE("run: an edited row becomes a PATCH within two polls while the other source keeps its schedule") {
  World w("1s", "1s");
  w.start();
  REQUIRE_MESSAGE(eventually([&] { return w.event_count() == 5; }, 10s), w.agent->err());
  const int beta_before = w.passes("beta");
  w.dir.write("acme.csv", k_header + rows("A", 3, "Renamed show"));
  const auto edited = std::chrono::steady_clock::now();
  CHECK_MESSAGE(eventually([&] { return w.patches() == 1; }, 4500ms), w.agent->err());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - edited).count();
  MESSAGE("edit to PATCH: " << seconds << " s");
  CHECK(w.event_titled("Renamed show") != nullptr);
  // beta polled on at about one pass a second meanwhile, and wrote nothing.
  CHECK(eventually([&] { return w.passes("beta") >= beta_before + 2; }, 4s));
  CHECK(w.patches() == 1);
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("run: a source that never answers does not delay the other; SIGTERM still exits 0 within 10 s") {
  // A listening socket that is never accepted from: connections complete, no answer comes.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0), 64);
  const std::string url = "url: http://127.0.0.1:" + std::to_string(silent.address().port()) + "/sheet.csv";
  World w("1s", "1s", source_yaml("stuck", url, 42, "1s"));
  w.start();
  REQUIRE_MESSAGE(eventually([&] { return w.event_count() == 5; }, 10s), w.agent->err());
  CHECK(w.status_of("stuck")->getValue<bool>("running"));
  w.dir.write("acme.csv", k_header + rows("A", 3, "Still on time"));
  CHECK_MESSAGE(eventually([&] { return w.patches() == 1; }, 4500ms), w.agent->err());
  CHECK(w.status_of("stuck")->getValue<bool>("running"));  // still waiting for its source
  CHECK(w.passes("stuck", "ok") == 0);

  const auto t0 = std::chrono::steady_clock::now();
  const int code = w.agent->stop(SIGTERM, 10s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("SIGTERM to exit with a source mid-request: " << seconds << " s");
  CHECK_MESSAGE(code == 0, w.agent->err());
  CHECK(seconds < 10.0);
}

TEST_CASE("run: a source answering 500s does not delay the other") {
  FailingSource failing;
  World w("1s", "1h", source_yaml("broken", "url: " + failing.url(), 43, "1s"));
  w.start();
  REQUIRE_MESSAGE(eventually([&] { return w.event_count() == 5; }, 10s), w.agent->err());
  CHECK(eventually([&] { return failing.hits() > 0; }, 5s));
  w.dir.write("acme.csv", k_header + rows("A", 3, "Despite the failing one"));
  CHECK_MESSAGE(eventually([&] { return w.patches() == 1; }, 4500ms), w.agent->err());
  CHECK(eventually([&] { return w.passes("broken", "stopped") >= 1; }, 20s));
  auto broken = w.status_of("broken");
  CHECK_CONTAINS(broken->getValue<std::string>("last_error"), "500");
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("resync --source reaches the running agent and passes at once; --row writes only that row") {
  World w("1h", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  REQUIRE(eventually([&] { return w.passes("acme") == 1 && w.passes("beta") == 1; }, 5s));
  w.dir.write("acme.csv", k_header + rows("A", 3, "Resynced show"));
  auto r = w.resync({"--source", "acme"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "(by the running agent)\nacme: ok — ");
  CHECK_CONTAINS(r.out, "1 updated");
  CHECK(w.patches() == 1);  // long before the next scheduled poll (1 h)
  CHECK(w.event_titled("Resynced show") != nullptr);
  CHECK(w.passes("beta") == 1);  // only acme was asked for
  CHECK_CONTAINS(w.agent->err(), "resync requested");

  // Two rows edited, one asked for: only that one is written.
  std::string two = k_header + rows("A", 3, "Resynced show");
  two.replace(two.find("A show 2"), 8, "Second edit");
  two.replace(two.find("A show 3"), 8, "Third edit!");
  w.dir.write("acme.csv", two);
  const auto before = w.status_of("acme");
  r = w.resync({"--source", "acme", "--row", "A-3"});
  CHECK(r.exit_code == 0);
  CHECK(w.patches() == 2);
  CHECK(w.event_titled("Third edit!") != nullptr);
  CHECK(w.event_titled("Second edit") == nullptr);
  // A resync of named rows is not a pass of the source: its counters and last pass stay.
  const auto after = w.status_of("acme");
  CHECK(after->getObject("passes")->getValue<int>("ok") == before->getObject("passes")->getValue<int>("ok"));
  CHECK(after->getObject("last_pass")->getValue<std::string>("started_at") ==
        before->getObject("last_pass")->getValue<std::string>("started_at"));
  CHECK(after->getValue<std::string>("last_success_at") == before->getValue<std::string>("last_success_at"));

  // An ID no row has is refused with the closest IDs, and nothing is sent.
  const auto typo = w.resync({"--source", "acme", "--row", "A-33"});
  CHECK(typo.exit_code == 2);
  CHECK_CONTAINS(typo.out + typo.err, "no row with ID \"A-33\" in acme (closest: A-3)");
  CHECK(w.patches() == 2);
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("resync --row --forget and --recreate reach the running agent: a deleted event let go, another made again") {
  World w("1h", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  REQUIRE(eventually([&] { return w.passes("acme") == 1; }, 5s));
  // Someone deletes two events in Pinned Events (as in its app); the partner then edits both rows.
  std::map<std::string, std::string> ids;
  for (const std::string title : {"A show 1", "A show 2"}) {
    ids[title] = w.event_titled(title)->get("id").convert<std::string>();
    REQUIRE(http(w.sandbox.base_url(), "DELETE", "/_sandbox/events/" + ids[title]).status == 200);
  }
  std::string edited = k_header + rows("A", 3, "Moved show");
  edited.replace(edited.find("A show 2"), 8, "Late show");
  w.dir.write("acme.csv", edited);
  auto r = w.resync({"--source", "acme"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "event " + ids["A show 1"] + " (\"A show 1\", 2026-06-01 20:00) was deleted in Pinned Events");
  CHECK_CONTAINS(r.out, "2 held for review");

  // One decision at a time: both at once is refused by the agent too.
  const auto both = http(w.admin, "POST", "/resync", R"({"source":"acme","rows":["A-1"],"recreate":true,"forget":true})");
  CHECK(both.status == 400);
  CHECK_CONTAINS(both.body, "choose one");

  r = w.resync({"--source", "acme", "--row", "A-1", "--forget"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "(by the running agent)");
  CHECK_CONTAINS(r.out, "forgotten");
  r = w.resync({"--source", "acme", "--row", "A-2", "--recreate"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "1 created");
  CHECK(w.requests("POST", "/api/public/v1/events") == 6);  // 5 first, one recreated
  CHECK(w.event_titled("Late show") != nullptr);
  CHECK(w.event_titled("Moved show") == nullptr);
  auto by_state = w.status_of("acme")->getObject("rows");
  CHECK(by_state->getValue<int>("forgotten") == 1);
  CHECK_FALSE(by_state->has("gone"));

  // A whole pass now: nothing held, nothing created for the forgotten row.
  r = w.resync({"--source", "acme"});
  CHECK(r.exit_code == 0);
  CHECK_NOT_CONTAINS(r.out, "held");
  CHECK(w.requests("POST", "/api/public/v1/events") == 6);
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("resync --force after an event was edited in Pinned Events patches exactly that event") {
  World w("1h", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  REQUIRE(eventually([&] { return w.passes("acme") == 1; }, 5s));
  auto target = w.event_titled("A show 2");
  REQUIRE(target != nullptr);
  const auto id = target->get("id").convert<std::string>();
  const auto edit = http(w.sandbox.base_url(), "PATCH", "/api/public/v1/events/" + id, R"({"title":"Edited by hand"})",
                         {{"Authorization", "Bearer sandbox-key"}, {"Idempotency-Key", "hand-edit-1"}});
  REQUIRE_MESSAGE(edit.status == 200, edit.body);
  REQUIRE(w.patches() == 1);

  // An ordinary resync trusts the store: nothing to do.
  auto r = w.resync({"--source", "acme"});
  CHECK(r.exit_code == 0);
  CHECK(w.patches() == 1);
  CHECK(w.event_titled("Edited by hand") != nullptr);

  r = w.resync({"--source", "acme", "--force"});
  CHECK(r.exit_code == 0);
  CHECK(w.patches() == 2);  // exactly the drifted event
  CHECK(w.event_titled("Edited by hand") == nullptr);
  CHECK(w.event_titled("A show 2") != nullptr);
  CHECK_CONTAINS(r.out, "re-sent by resync --force");
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("resync --force with a key that may not read events re-sends every approved row") {
  World w("1h", "1h", "", {"--key", "blind-key=channels:read,events:create,events:update@42,43"}, "blind-key");
  w.start();
  // A new state file, and a key that cannot look for events the rows may already have: the
  // sources create nothing until a person confirms, through the agent.
  REQUIRE(eventually([&] { return w.passes("acme", "stopped") == 1 && w.passes("beta", "stopped") == 1; }, 10s));
  CHECK(w.event_count() == 0);
  for (const char* source : {"acme", "beta"}) {
    const auto confirmed = w.command("recover", {"--source", source, "--accept-new-state"});
    CHECK(confirmed.exit_code == 0);
    CHECK_CONTAINS(confirmed.out, "(by the running agent)");
  }
  REQUIRE_MESSAGE(eventually([&] { return w.event_count() == 5; }, 10s), w.agent->err());
  REQUIRE(eventually([&] { return w.passes("acme") == 1; }, 5s));  // the recover pass
  auto r = w.resync({"--source", "acme", "--force"});
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "3 updated");
  CHECK(w.patches() == 3);
  CHECK_CONTAINS(w.agent->err(), "events:read");  // it says why
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("resync refuses loudly when the configured agent does not answer; --local runs the pass itself") {
  World w("1h", "1h");
  const auto cfg = w.dir.write("alone.yaml", w.config_text("127.0.0.1:1"));
  const auto refused = run_process(w.argv({"resync", "--source", "beta"}, cfg), w.env(), 60s);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK_CONTAINS(refused.err, "NO AGENT ANSWERS on 127.0.0.1:1");
  CHECK_CONTAINS(refused.err, "add --local");
  CHECK(w.event_count() == 0);

  auto r = run_process(w.argv({"resync", "--source", "beta", "--local"}, cfg), w.env(), 60s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_CONTAINS(r.out, "beta: ok — 2 created");
  CHECK_NOT_CONTAINS(r.out, "by the running agent");
  CHECK(w.event_count() == 2);

  // Row IDs belong to one source.
  const auto no_source = run_process(w.argv({"resync", "--row", "B-1", "--local"}, cfg), w.env(), 60s);
  CHECK(no_source.exit_code == 2);
  CHECK_CONTAINS(no_source.err, "--row needs --source NAME");
}

TEST_CASE("run: SIGHUP with a broken config keeps the old one; a good one is taken; SIGUSR1 resyncs all") {
  World w("1s", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  const std::string good = w.config_text("127.0.0.1:0");
  w.dir.write("pinsync.yaml", good + "  - name: broken\n    kind: nonsense\n");
  w.agent->signal(SIGHUP);
  CHECK_MESSAGE(w.agent->wait_for_output("config reload failed", 5s), w.agent->err());
  CHECK(!w.agent->exit_code());
  // Not only in the log: /status, /metrics and the page say the agent runs on its old config.
  auto reload = Poco::JSON::Parser().parse(http(w.admin, "GET", "/status").body).extract<Poco::JSON::Object::Ptr>()->getObject("reload");
  REQUIRE(reload);
  CHECK_FALSE(reload->getValue<bool>("ok"));
  CHECK_CONTAINS(reload->getValue<std::string>("error"), "nonsense");
  CHECK_CONTAINS(http(w.admin, "GET", "/metrics").body, "pinsync_config_reload_success 0\n");
  CHECK_CONTAINS(http(w.admin, "GET", "/").body, "FAILED; the agent runs on its old config");
  w.dir.write("acme.csv", k_header + rows("A", 3, "After a bad reload"));
  CHECK_MESSAGE(eventually([&] { return w.patches() == 1; }, 4500ms), w.agent->err());

  // A valid config (beta renamed to gamma) replaces the old one.
  std::string renamed = good;
  renamed.replace(renamed.find("name: beta"), 10, "name: gamma");
  renamed.replace(renamed.find("agent:\n"), 7, "agent:\n  log_level: debug\n");  // applies at once
  w.dir.write("pinsync.yaml", renamed);
  w.agent->signal(SIGHUP);
  CHECK_MESSAGE(w.agent->wait_for_output("config reloaded", 10s), w.agent->err());
  CHECK_CONTAINS(w.agent->err(), "agent.log_level changed; it applies from now on");
  CHECK_CONTAINS(http(w.admin, "GET", "/metrics").body, "pinsync_config_reload_success 1\n");
  CHECK(eventually([&] {
    return http(w.admin, "GET", "/status").body.find("\"gamma\"") != std::string::npos;
  }, 5s));

  w.agent->signal(SIGUSR1);
  CHECK_MESSAGE(w.agent->wait_for_output("SIGUSR1", 5s), w.agent->err());
  CHECK(eventually([&] { return w.passes("gamma") >= 2; }, 5s));  // gamma polls hourly: this one was asked for
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("admin endpoint: /healthz, /metrics as Prometheus text, /status matches the store, / is escaped HTML") {
  World w("1h", "1h");
  w.dir.write("acme.csv", k_header + rows("A", 3) + "A-9,yes,<b>bad & date</b>,31/31/2026,8:00 PM,Jazz,New York\n");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  // A-9 is invalid: counted and listed, but the pass that synced every valid row is a success.
  REQUIRE(eventually([&] { return w.passes("acme", "ok") == 1 && w.passes("beta") == 1; }, 5s));

  const auto health = http(w.admin, "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");

  auto acme = w.status_of("acme");
  CHECK(acme->getObject("rows")->getValue<int>("synced") == 3);
  CHECK(acme->getObject("rows")->getValue<int>("invalid") == 1);
  auto last_report = acme->getObject("last_pass")->getObject("report");
  CHECK(last_report->getValue<int>("created") == 3);
  CHECK(last_report->getValue<std::string>("result") == "ok");
  CHECK(last_report->getValue<int>("invalid") == 1);
  CHECK_FALSE(acme->getValue<std::string>("last_success_at").empty());
  CHECK(acme->getObject("last_pass_at")->getValue<std::string>("ok") == acme->getValue<std::string>("last_success_at"));
  CHECK(acme->getValue<int>("poll_interval_seconds") == 3600);
  CHECK_FALSE(last_report->has("rows"));
  CHECK_CONTAINS(acme->getValue<std::string>("last_error"), "A-9");
  CHECK(!acme->getValue<bool>("running"));
  CHECK(!acme->getValue<std::string>("next_pass_at").empty());
  auto beta = w.status_of("beta");
  CHECK(beta->getObject("rows")->getValue<int>("synced") == 2);
  CHECK(beta->getValue<std::string>("last_error").empty());

  const auto metrics = http(w.admin, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.headers.at("content-type").find("text/plain") == 0);
  // Every line is a comment or `name{labels} value`.
  const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eE]+(Inf)?$)");
  std::istringstream lines(metrics.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    CHECK_MESSAGE(std::regex_match(line, sample), line);
    ++samples;
  }
  CHECK(samples > 20);
  const auto& body = metrics.body;
  CHECK_CONTAINS(body, "pinsync_rows{source=\"acme\",state=\"synced\"} 3\n");
  CHECK_CONTAINS(body, "pinsync_rows{source=\"acme\",state=\"invalid\"} 1\n");
  CHECK_CONTAINS(body, "pinsync_passes_total{source=\"beta\",result=\"ok\"} 1\n");
  CHECK_CONTAINS(body, "pinsync_passes_total{source=\"acme\",result=\"ok\"} 1\n");
  CHECK_CONTAINS(body, "pinsync_passes_total{source=\"acme\",result=\"rows_not_synced\"} 0\n");
  CHECK_CONTAINS(body, "# TYPE pinsync_pass_duration_seconds histogram");
  CHECK_CONTAINS(body, "pinsync_pass_duration_seconds_bucket{source=\"acme\",le=\"+Inf\"} 1\n");
  CHECK_CONTAINS(body, "pinsync_pass_duration_seconds_count{source=\"beta\"} 1\n");
  CHECK_NOT_CONTAINS(body, "pinsync_last_success_timestamp_seconds{source=\"beta\"} 0\n");
  CHECK_NOT_CONTAINS(body, "pinsync_last_success_timestamp_seconds{source=\"acme\"} 0\n");
  CHECK(std::regex_search(body, std::regex("\npinsync_last_pass_timestamp_seconds\\{source=\"acme\",result=\"ok\"\\} "
                                           "[1-9][0-9]{9}\n")));
  CHECK_CONTAINS(body, "pinsync_last_pass_timestamp_seconds{source=\"acme\",result=\"stopped\"} 0\n");
  CHECK_CONTAINS(body, "pinsync_poll_interval_seconds{source=\"acme\"} 3600\n");
  CHECK(std::regex_search(body, std::regex("pinsync_api_requests_total\\{source=\"acme\",api=\"pinned\","
                                           "route=\"POST /events\",status=\"201\"\\} [1-9]")));
  CHECK_CONTAINS(body, "pinsync_source_paused{source=\"acme\"} 0\n");
  // The build and the process, as Prometheus client libraries export them.
  CHECK(std::regex_search(body, std::regex("\npinsync_build_info\\{version=\"[0-9]+\\.[0-9]+\\.[0-9]+\","
                                           "revision=\"[^\"]+\"\\} 1\n")));
  for (const std::string name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                                 "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                                 "process_start_time_seconds"}) {
    CHECK_MESSAGE(std::regex_search(body, std::regex("\n" + name + " [0-9.e+]+\n")), name);
  }
  // promtool (Debian's prometheus package, installed by scripts/test.sh) is the reference
  // linter of the exposition format.
  if (run_process({"sh", "-c", "command -v promtool"}).exit_code == 0) {
    const auto lint = run_process({"promtool", "check", "metrics"}, {}, 30s, body);
    CHECK_MESSAGE(lint.exit_code == 0, (lint.out + lint.err));
    CHECK_MESSAGE((lint.out + lint.err).empty(), (lint.out + lint.err));
  } else {
    MESSAGE("promtool is not installed: the exposition format is checked by the pattern above only");
  }

  const auto page = http(w.admin, "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.headers.at("content-type").find("text/html") == 0);
  CHECK_CONTAINS(page.body, "data-source=\"acme\"");
  CHECK_CONTAINS(page.body, "data-source=\"beta\"");
  // One invalid row is the partner's to fix: acme is fine, with the count beside its name.
  CHECK_CONTAINS(page.body, "All 2 sources are fine");
  CHECK_CONTAINS(page.body, "1 INVALID");
  CHECK_CONTAINS(body, "pinsync_source_needs_action{source=\"acme\"} 0\n");
  CHECK_CONTAINS(page.body, "A-9");  // the failing row, with its reason
  CHECK_NOT_CONTAINS(page.body, "<b>bad");
  CHECK_NOT_CONTAINS(page.body, "http://");  // no external assets

  CHECK(http(w.admin, "GET", "/nope").status == 404);
  CHECK(http(w.admin, "POST", "/resync", "{not json").status == 400);
  const auto unknown = http(w.admin, "POST", "/resync", R"({"source":"zeta"})");
  CHECK(unknown.status == 404);
  const auto all = http(w.admin, "POST", "/resync", "{}");
  CHECK(all.status == 200);
  CHECK_CONTAINS(all.body, "\"source\":\"acme\"");
  CHECK_CONTAINS(all.body, "\"source\":\"beta\"");
  // Once (of many CI runs, on a busy machine) this took more than 10 s: say where it was.
  const auto asked = std::chrono::steady_clock::now();
  const int stopped = w.agent->stop(SIGTERM, 10s);
  MESSAGE("SIGTERM to exit after a resync: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count()
                                             << " s");
  CHECK_MESSAGE(stopped == 0, w.agent->err());
}

TEST_CASE("run: a second pinsync run on the same state refuses to start, naming the pid") {
  World w("1h", "1h");
  w.start();
  auto second = run_process(w.argv({"run"}, w.config), w.env(), 20s);
  CHECK(second.exit_code == 1);
  CHECK_CONTAINS(second.err, std::to_string(w.agent->pid()));
  CHECK(!w.agent->exit_code());
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

// Regression: POST /resync took text/plain and form bodies from any Origin and ignored Host,
// so any web page open on the ops machine could trigger passes or read /status; a 1.2 GB
// body was read whole; a 405 said "OK"; a wrong type answered with C++ type names.
TEST_CASE("admin: cross-site, rebinding and oversized requests are refused; answers say what was wrong") {
  World w("1h", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.passes("acme") == 1 && w.passes("beta") == 1; }, 10s));
  const auto form = http(w.admin, "POST", "/resync", "source=acme", {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(form.status == 415);
  const auto plain = http(w.admin, "POST", "/resync", R"({"source":"acme"})", {{"Content-Type", "text/plain"}});
  CHECK(plain.status == 415);
  CHECK_CONTAINS(plain.body, "Content-Type: application/json");
  const auto foreign = http(w.admin, "POST", "/resync", R"({"source":"acme"})", {{"Origin", "https://evil.example"}});
  CHECK(foreign.status == 403);
  const auto rebound = http(w.admin, "GET", "/status", "", {{"Host", "attacker.example:8765"}});
  CHECK(rebound.status == 421);
  CHECK_NOT_CONTAINS(rebound.body, "\"sources\"");
  const auto huge = http(w.admin, "POST", "/resync", std::string(256 * 1024, ' '));
  CHECK(huge.status == 413);
  CHECK(w.passes("acme") == 1);  // none of them ran a pass

  // The page's own requests still work: same origin, JSON.
  const auto own = http(w.admin, "POST", "/resync", R"({"source":"acme"})",
                        {{"Origin", w.admin}, {"Content-Type", "application/json; charset=utf-8"}});
  CHECK(own.status == 200);

  const auto typed = http(w.admin, "POST", "/resync", R"({"force":"yes"})");
  CHECK(typed.status == 400);
  CHECK_CONTAINS(typed.body, "\\\"force\\\" must be true or false");
  CHECK_NOT_CONTAINS(typed.body, "Poco");
  CHECK_NOT_CONTAINS(typed.body, "basic_string");
  CHECK_CONTAINS(http(w.admin, "POST", "/resync", R"({"sorce":"acme"})").body, "unknown key");

  const auto head = run_process({"curl", "-s", "-i", "-X", "DELETE", w.admin + "/status"});
  CHECK(head.out.starts_with("HTTP/1.1 405 Method Not Allowed"));
  CHECK_CONTAINS(head.out, "Allow: GET, HEAD");
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

// Regression: a state file deleted while the agent ran went unnoticed; every write after
// it went into the unlinked file and was lost at exit (a restart then duplicated events).
TEST_CASE("run: a state file deleted under the running agent stops its passes with a clear error") {
  World w("1s", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.passes("acme") >= 1; }, 10s));
  std::filesystem::remove(w.dir / "state.db");
  REQUIRE(eventually([&] { return w.passes("acme", "stopped") >= 1; }, 10s));
  const auto error = w.status_of("acme")->getValue<std::string>("last_error");
  CHECK_CONTAINS(error, "was deleted or moved away while pinsync was running");
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("pause and resume through the running agent: shown everywhere, kept across a restart, no request while paused") {
  World w("1s", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  const auto cfg = w.dir.write("cli.yaml", w.config_text("127.0.0.1:" + w.admin_port));
  const auto paused = run_process(w.argv({"pause", "--source", "acme", "--reason", "partner on holiday"}, cfg), w.env(), 60s);
  INFO(paused.out << paused.err);
  CHECK(paused.exit_code == 0);
  CHECK_CONTAINS(paused.out, "acme: paused (by the running agent)");
  CHECK(eventually([&] { return w.agent->err().find("source paused by an operator") != std::string::npos; }, 5s));

  auto acme = w.status_of("acme");
  REQUIRE_FALSE(acme->isNull("paused"));
  CHECK(acme->getObject("paused")->getValue<std::string>("by") == "operator");
  CHECK(acme->getObject("paused")->getValue<std::string>("reason") == "partner on holiday");
  const auto metrics = http(w.admin, "GET", "/metrics").body;
  CHECK_CONTAINS(metrics, "pinsync_source_paused{source=\"acme\"} 1\n");
  CHECK_CONTAINS(metrics, "pinsync_source_paused_by_operator{source=\"acme\"} 1\n");
  CHECK_CONTAINS(metrics, "pinsync_source_paused_by_operator{source=\"beta\"} 0\n");
  const auto paused_page = http(w.admin, "GET", "/").body;
  CHECK_CONTAINS(paused_page, "1 of 2 sources needs you");
  CHECK_CONTAINS(paused_page, "paused by an operator since ");
  CHECK_CONTAINS(paused_page, "data-path=\"/resume\" data-body=\"{&quot;source&quot;:&quot;acme&quot;}\"");

  // acme polls every second; paused, its passes send nothing, even after an edit.
  w.dir.write("acme.csv", k_header + rows("A", 4));
  const int posts = w.requests("POST", "/api/public/v1/events");
  REQUIRE(eventually([&] { return w.agent->err().find("pass skipped: the source is paused by an operator") !=
                                  std::string::npos; }, 10s));
  CHECK(w.requests("POST", "/api/public/v1/events") == posts);

  // The pause is in the state file: a restarted agent keeps it.
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
  w.start();
  CHECK(w.status_of("acme")->getObject("paused")->getValue<std::string>("by") == "operator");
  const auto cfg2 = w.dir.write("cli.yaml", w.config_text("127.0.0.1:" + w.admin_port));
  const auto resumed = run_process(w.argv({"resume", "--source", "acme"}, cfg2), w.env(), 60s);
  CHECK(resumed.exit_code == 0);
  CHECK_CONTAINS(resumed.out, "acme: resumed (by the running agent)");
  CHECK(eventually([&] { return w.event_count() == 6; }, 10s));  // the new row, at once
  CHECK(w.status_of("acme")->isNull("paused"));

  // Unknown sources and bad bodies are refused with the reason.
  CHECK(http(w.admin, "POST", "/pause", R"({"source":"zeta"})", {{"Content-Type", "application/json"}}).status == 404);
  CHECK(http(w.admin, "POST", "/pause", R"({"reason":"x"})", {{"Content-Type", "application/json"}}).status == 400);
  CHECK(http(w.admin, "GET", "/pause").status == 405);
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("backup while the agent runs: a consistent private copy that another pinsync reads as the state") {
  World w("1s", "1h");
  w.start();
  REQUIRE(eventually([&] { return w.event_count() == 5; }, 10s));
  const auto copy = w.dir / "backup.db";
  const auto backup = run_process(w.argv({"backup", "--to", copy.string()}, w.config), w.env(), 60s);
  INFO(backup.out << backup.err);
  CHECK(backup.exit_code == 0);
  CHECK_CONTAINS(backup.out, "backed up 5 rows to " + copy.string() + " (mode 0600, checked)");
  struct stat info {};
  REQUIRE(::stat(copy.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto again = run_process(w.argv({"backup", "--to", copy.string()}, w.config), w.env(), 60s);
  CHECK(again.exit_code == 2);
  CHECK_CONTAINS(again.err, "already exists");
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);

  // The copy, put in place of the state file, is the state: nothing to create again.
  std::filesystem::remove(w.dir / "state.db-wal");  // gone already after a clean stop
  std::filesystem::remove(w.dir / "state.db-shm");
  std::filesystem::rename(copy, w.dir / "state.db");
  const auto status = run_process(w.argv({"status", "--json"}, w.config), w.env(), 60s);
  CHECK_CONTAINS(status.out, R"("synced":3)");
  CHECK_CONTAINS(status.out, R"("synced":2)");
}

namespace {

// Threads of a running process now, from /proc.
int threads_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

}  // namespace

// Guards against a thread (timer) per source, every source its own connections and its own
// GET /classifications: forty sources share one scheduler, one connection pool and one list
// of classifications.
TEST_CASE("run: forty sources share one classifications read, a few connections and a bounded pool of threads") {
  constexpr int k_sources = 40;
  std::string extra;
  World w("2s", "2s");
  for (int i = 3; i <= k_sources; ++i) {
    const std::string name = "s" + std::to_string(i);
    w.dir.write(name + ".csv", k_header + rows("S" + std::to_string(i), 2));
    extra += source_yaml(name, "path: " + name + ".csv", 42, "2s");
  }
  w.sources += extra;
  w.dir.write("pinsync.yaml", w.config_text("127.0.0.1:0"));
  w.start();
  int own_requests = 0;  // this test's own connections to the sandbox, one per request
  const int expected = 3 + 2 + (k_sources - 2) * 2;
  REQUIRE_MESSAGE(eventually([&] { ++own_requests; return w.event_count() == expected; }, 30s), w.agent->err());
  // Every source has passed at least once by now (its first pass within the 2 s spread).
  REQUIRE(eventually([&] { return w.passes("s" + std::to_string(k_sources)) >= 1; }, 10s));  // admin, not sandbox

  ++own_requests;
  CHECK(w.requests("GET", "/api/public/v1/classifications") == 1);
  const auto stats = http(w.sandbox.base_url(), "GET", "/_sandbox/stats");
  ++own_requests;
  const int connections =
      Poco::JSON::Parser().parse(stats.body).extract<Poco::JSON::Object::Ptr>()->getValue<int>("connections");
  MESSAGE("connections pinsync opened for " << k_sources << " sources: " << connections - own_requests);
  CHECK(connections - own_requests <= 8);  // pinned.concurrency (4) and a little: not one set per source
  const int threads = threads_of(w.agent->pid());
  MESSAGE("threads of the agent with " << k_sources << " sources: " << threads);
  CHECK(threads > 0);
  CHECK(threads <= 24);  // the pool (agent.workers 4), its timer, the admin server: not one per source
  CHECK(w.agent->stop(SIGTERM, 10s) == 0);
}

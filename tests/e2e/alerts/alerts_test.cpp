// Alerts end to end: the real pinsync (run and sync) against pinsync-sandbox, with a
// loopback webhook receiver and a key-revoking proxy in front of the sandbox, and a
// command alert. One message per change, never one per poll.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

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
#include <Poco/StreamCopier.h>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"
#include "tests/support/temp_dir.h"

using pinsync::test::BackgroundProcess;
using pinsync::test::eventually;
using pinsync::test::http;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;
using namespace std::chrono_literals;

namespace {

using Handle = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&, const std::string&)>;

// A loopback HTTP server that hands every request (with its body read) to one function.
class LoopbackServer {
 public:
  explicit LoopbackServer(Handle handle)
      : m_handle(std::move(handle)),
        m_socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64),
        m_server(new Factory(m_handle), m_socket, new Poco::Net::HTTPServerParams) {
    m_server.start();
  }
  ~LoopbackServer() { m_server.stopAll(true); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_socket.address().port()); }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(Handle& h) : m_fn(h) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      m_fn(req, resp, body);
    }
    Handle& m_fn;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(Handle& h) : m_fn(h) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(m_fn);
    }
    Handle& m_fn;
  };
  Handle m_handle;
  Poco::Net::ServerSocket m_socket;
  Poco::Net::HTTPServer m_server;
};

void answer(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body) {
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

// A Slack-style webhook: keeps the "text" of every message it receives.
class WebhookReceiver {
 public:
  WebhookReceiver()
      : m_server([this](auto&, auto& resp, const std::string& body) {
          {
            std::lock_guard lock(m_mutex);
            m_texts.push_back(
                Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("text"));
          }
          answer(resp, 200, "ok");
        }) {}
  std::string url() const { return m_server.url() + "/services/T0/B0/hook-secret"; }
  std::vector<std::string> texts() const {
    std::lock_guard lock(m_mutex);
    return m_texts;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<std::string> m_texts;
  LoopbackServer m_server;  // last: it calls into the members above
};

// Stands in front of the sandbox; while revoked it answers every API request the way the
// real API answers a revoked key (401 invalid_api_key), as the sandbox's keys are fixed
// at its start.
class KeyProxy {
 public:
  explicit KeyProxy(std::string upstream)
      : m_upstream(std::move(upstream)),
        m_server([this](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, const std::string& body) {
          if (m_revoked.load()) {
            ++m_refused;
            return answer(resp, 401, R"({"error":{"code":"invalid_api_key","message":"API key is malformed, unknown, )"
                                     R"(revoked or expired","requestId":"proxy-refused"}})");
          }
          std::vector<std::pair<std::string, std::string>> headers;
          for (const char* name : {"Authorization", "Idempotency-Key", "Content-Type"}) {
            if (req.has(name)) headers.emplace_back(name, req.get(name));
          }
          const auto reply = http(m_upstream, req.getMethod(), req.getURI(), body, headers);
          for (const auto& [name, value] : reply.headers) {
            if (name == "x-request-id" || name == "retry-after") resp.set(name, value);
          }
          answer(resp, reply.status, reply.body);
        }) {}
  std::string url() const { return m_server.url(); }
  void revoke(bool revoked) { m_revoked = revoked; }
  int refused() const { return m_refused.load(); }

 private:
  std::string m_upstream;
  std::atomic<bool> m_revoked{false};
  std::atomic<int> m_refused{0};
  LoopbackServer m_server;
};

const std::string k_header = "Event ID,Approved,Title,Date,Start,Category,City\n";

std::string csv_rows(const std::string& second_date = "6/2/2026") {
  return k_header + "E-1,yes,Show one,6/1/2026,8:00 PM,Jazz,New York\n" + "E-2,yes,Show two," + second_date +
         ",8:00 PM,Jazz,New York\n";
}

std::string config_text(const std::string& base_url, const std::string& alerts) {
  return "pinned:\n  base_url: " + base_url +
         "\n  api_key: ${PINNED_EVENTS_API_KEY}\n  timeout_seconds: 10\n"
         "state:\n  path: ./state.db\nagent:\n  admin_listen: \"127.0.0.1:0\"\n" + alerts +
         "sources:\n  - name: acme\n    kind: csv\n    path: acme.csv\n    id_column: Event ID\n"
         "    approved: {column: Approved}\n    channel_id: 42\n    status: published\n"
         "    timezone: America/New_York\n    date_order: MDY\n    poll_interval: 1s\n"
         "    mapping:\n      title: Title\n      start_date: Date\n      start_time: Start\n"
         "      classifications: {column: Category, map: {Jazz: music}}\n"
         "      city:\n        column: City\n        places:\n"
         "          New York: {place_id: place-new-york, country_code: US}\n";
}

std::string pinsync_bin() { return std::string(PINSYNC_BIN_DIR) + "/pinsync"; }

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("alerts: a revoked key sends one webhook message, none while it stays revoked, one on recovery") {
  SandboxProcess sandbox;
  KeyProxy proxy(sandbox.base_url());
  WebhookReceiver hook;
  TempDir dir;
  dir.write("acme.csv", csv_rows());
  // The webhook URL comes from the environment, as a secret-bearing URL should.
  const auto config = dir.write("pinsync.yaml", config_text(proxy.url(), "alerts:\n  webhook_url: ${HOOK_URL}\n"));
  BackgroundProcess agent({pinsync_bin(), "run", "--config", config.string()},
                          {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"HOOK_URL", hook.url()}});
  const auto listening = pinsync::test::admin_url(agent);
  REQUIRE_MESSAGE(listening, agent.err());
  const std::string admin = *listening;
  auto passes = [&] { return count_of(agent.err(), "pass finished"); };

  REQUIRE_MESSAGE(eventually([&] { return pinsync::test::sandbox_events(sandbox.base_url())->size() == 2; }, 20s),
                  agent.err());
  CHECK(hook.texts().empty());  // a healthy start says nothing

  proxy.revoke(true);
  dir.write("acme.csv", csv_rows() + "E-3,yes,Show three,6/3/2026,8:00 PM,Jazz,New York\n");  // a write to refuse
  REQUIRE_MESSAGE(eventually([&] { return hook.texts().size() == 1; }, 20s), agent.err());
  const std::string paused = hook.texts()[0];
  CHECK(paused.starts_with("acme: paused — Pinned Events answered 401 invalid_api_key"));
  CHECK_NOT_CONTAINS(paused, "/api/public/v1");  // no API route: the fix instead
  CHECK_CONTAINS(paused, "Nothing is sent until it is fixed: put a valid key in the variable pinned.api_key names");
  // The agent's admin endpoint (port 0 in the config: the one it got) is linked.
  CHECK(paused.ends_with("\nStatus page: " + admin + "/"));

  // While paused: /status says why, and further polls send nothing new.
  const auto status = http(admin, "GET", "/status");
  CHECK_CONTAINS(status.body, "\"paused_reason\":\"acme: ");
  const auto metrics = http(admin, "GET", "/metrics").body;
  CHECK_CONTAINS(metrics, "pinsync_source_paused{source=\"acme\"} 1\n");
  CHECK(std::regex_search(metrics, std::regex("pinsync_api_requests_total\\{source=\"acme\",api=\"pinned\","
                                              "route=\"POST /events\",status=\"401\"\\} [1-9]")));
  // Paused: later polls send Pinned Events nothing at all, and alert nothing new; the log
  // says the first skipped pass (at info), not every poll.
  const int refused = proxy.refused();
  const auto skipped = [&] {
    const auto body = http(admin, "GET", "/status").body;
    std::smatch found;
    return std::regex_search(body, found, std::regex("\"paused\":([0-9]+)")) ? std::stoi(found[1]) : 0;
  };
  REQUIRE_MESSAGE(eventually([&] { return skipped() >= 3; }, 20s), agent.err());
  CHECK(proxy.refused() == refused);
  CHECK(hook.texts().size() == 1);
  CHECK(count_of(agent.err(), "pass skipped: the source is paused") == 1);

  // The key works again; the operator's resync ends the pause.
  proxy.revoke(false);
  CHECK(http(admin, "POST", "/resync", R"({"source":"acme"})").status == 200);
  REQUIRE_MESSAGE(eventually([&] { return hook.texts().size() == 2; }, 20s), agent.err());
  CHECK(hook.texts()[1] == "acme: recovered — syncing again");
  CHECK(pinsync::test::sandbox_events(sandbox.base_url())->size() == 3);
  const int after = passes();
  REQUIRE(eventually([&] { return passes() >= after + 3; }, 20s));
  CHECK(hook.texts().size() == 2);

  const std::string log = agent.err();
  CHECK_NOT_CONTAINS(log, "hook-secret");  // the webhook URL is a credential
  CHECK_NOT_CONTAINS(log, "sandbox-key");
  CHECK_CONTAINS(log, "\"action\":\"source_paused\"");  // JSON lines off a terminal
  CHECK(agent.stop(SIGTERM, 15s) == 0);
}

TEST_CASE("alerts: a row becoming invalid alerts once (pinsync sync, command alert), with its row and reason") {
  SandboxProcess sandbox;
  TempDir dir;
  dir.write("acme.csv", csv_rows());
  const auto log = dir / "alerts.log";
  const std::string command = "printf '%s|%s|%s\\n' \"$PINSYNC_ALERT_KIND\" \"$PINSYNC_ALERT_SOURCE\" \"$(cat)\" >> '" +
                              log.string() + "'";
  // Single-quoted YAML: the command's own quotes and $ stay as written.
  std::string quoted;
  for (char c : command) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  const auto config = dir.write("pinsync.yaml", config_text(sandbox.base_url(), "alerts:\n  command: '" + quoted + "'\n"));
  auto sync = [&] {
    return run_process({pinsync_bin(), "sync", "--config", config.string()}, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}}, 60s);
  };
  const auto clean = sync();
  INFO(clean.out << clean.err);
  CHECK(clean.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(log));

  dir.write("acme.csv", csv_rows("June 32"));
  const auto broken = sync();
  CHECK(broken.exit_code == 5);
  const std::string once = read_file(log);
  CHECK(count_of(once, "\n") == 1);
  CHECK(once.starts_with("rows_invalid|acme|acme, "));
  CHECK_CONTAINS(once, "(E-2): newly invalid");
  CHECK_CONTAINS(once, "June 32");  // the reason names the cell

  // A cron job running sync again: nothing new, nothing sent.
  CHECK(sync().exit_code == 5);
  CHECK(sync().exit_code == 5);
  CHECK(read_file(log) == once);
  CHECK(std::filesystem::exists(dir / "state.db.alerts.json"));
}

TEST_CASE("config: errors and status work with the alert webhook's variable unset; sync fails naming it") {
  SandboxProcess sandbox;
  TempDir dir;
  dir.write("acme.csv", csv_rows("June 32"));
  const auto config = dir.write("pinsync.yaml", config_text(sandbox.base_url(), "alerts:\n  webhook_url: ${HOOK_URL}\n"));
  // Neither the key nor the webhook is set: the read-only commands need neither.
  const auto errors = run_process({pinsync_bin(), "errors", "--config", config.string()}, {}, 30s);
  INFO(errors.out << errors.err);
  CHECK(errors.exit_code == 0);
  CHECK(errors.out == "no rows with errors\n");
  const auto status = run_process({pinsync_bin(), "status", "--config", config.string(), "--json"}, {}, 30s);
  CHECK(status.exit_code == 0);
  CHECK(status.out == "{\"sources\":[{\"name\":\"acme\",\"kind\":\"csv\",\"channel_id\":42,\"rows\":{},\"paused\":null,\"needs_you\":[]}]}\n");

  // sync sends alerts: the unset variable stops it at once, naming file:line and the variable.
  const auto sync = run_process({pinsync_bin(), "sync", "--config", config.string()},
                                {{"PINNED_EVENTS_API_KEY", "sandbox-key"}}, 30s);
  CHECK(sync.exit_code == 3);
  CHECK(sync.err == "pinsync: config error: " + config.string() +
                        ":10: alerts.webhook_url: environment variable HOOK_URL is not set — export it or put it in "
                        "the service's environment file\n");
  CHECK(pinsync::test::sandbox_events(sandbox.base_url())->size() == 0);

  // With the webhook set the sync runs (the bad row invalid); errors then lists it, still without any variable.
  WebhookReceiver hook;
  const auto synced = run_process({pinsync_bin(), "sync", "--config", config.string()},
                                  {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"HOOK_URL", hook.url()}}, 60s);
  CHECK(synced.exit_code == 5);
  const auto listed = run_process({pinsync_bin(), "errors", "--config", config.string()}, {}, 30s);
  CHECK(listed.exit_code == 0);
  CHECK_CONTAINS(listed.out, "acme, acme.csv:3 (E-2): invalid — ");
  CHECK_NOT_CONTAINS(listed.out + listed.err, "hook-secret");
  CHECK_NOT_CONTAINS(synced.err, "hook-secret");
}

TEST_CASE("alerts: rows invalid for an unknown city and an empty title are grouped by cause with their fix (pinsync sync)") {
  SandboxProcess sandbox;
  TempDir dir;
  std::string rows = k_header;
  for (int i = 1; i <= 12; ++i) rows += "V-" + std::to_string(i) + ",yes,Show " + std::to_string(i) + ",6/1/2026,8:00 PM,Jazz,Valencia\n";
  for (int i = 1; i <= 3; ++i) rows += "T-" + std::to_string(i) + ",yes,,6/1/2026,8:00 PM,Jazz,New York\n";
  rows += "E-1,yes,Show one,6/1/2026,8:00 PM,Jazz,New York\n";
  dir.write("acme.csv", rows);
  WebhookReceiver hook;
  const auto config = dir.write("pinsync.yaml", config_text(sandbox.base_url(), "alerts:\n  webhook_url: ${HOOK_URL}\n"));
  const auto sync = run_process({pinsync_bin(), "sync", "--config", config.string()},
                                {{"PINNED_EVENTS_API_KEY", "sandbox-key"}, {"HOOK_URL", hook.url()}}, 60s);
  INFO(sync.out << sync.err);
  CHECK(sync.exit_code == 5);
  REQUIRE(hook.texts().size() == 1);
  const std::string text = hook.texts()[0];
  CHECK(text.starts_with("acme: 15 rows newly invalid; the next sync sends each once fixed:\n"
                         "• 12 rows: unknown city \"Valencia\" — fix the config (add it under mapping.city.places): "
                         "acme.csv:2 (V-1), acme.csv:3 (V-2), "));
  CHECK_CONTAINS(text, "acme.csv:11 (V-10) and 2 more\n• 3 rows: Title: ");
  CHECK_CONTAINS(text, " — fix the cells: acme.csv:14 (T-1), acme.csv:15 (T-2), acme.csv:16 (T-3)");
  CHECK_NOT_CONTAINS(text, "… and");
}

// The status page in a real browser: headless chromium at 390 px against `pinsync run` and
// pinsync-sandbox, driven over the DevTools protocol. Skipped (with a message) when no
// `chromium` is installed; the HTML-reading unit tests (page_test.cpp) always run.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/WebSocket.h>

#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "core/json_writer.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using pinsync::test::BackgroundProcess;
using pinsync::test::eventually;
using pinsync::test::http;
using pinsync::test::run_process;
using pinsync::test::SandboxProcess;
using pinsync::testing::TempDir;
using namespace std::chrono_literals;

namespace {

// One page of a headless chromium, evaluated over the DevTools protocol.
class Browser {
 public:
  // Starts chromium with its profile in `dir`; fails the test when it does not come up.
  explicit Browser(const std::filesystem::path& dir)
      : m_process(std::make_unique<BackgroundProcess>(std::vector<std::string>{
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "--user-data-dir=" + (dir / "chromium").string(), "--window-size=390,800", "about:blank"})) {
    REQUIRE_MESSAGE(m_process->wait_for_output("DevTools listening on ws://", 30s), m_process->err());
    std::smatch m;
    const std::string err = m_process->err();
    REQUIRE(std::regex_search(err, m, std::regex("DevTools listening on ws://127\\.0\\.0\\.1:([0-9]+)/")));
    const std::string base = "http://127.0.0.1:" + std::string(m[1]);
    const auto list = http(base, "GET", "/json/list");
    REQUIRE(list.status == 200);
    auto targets = Poco::JSON::Parser().parse(list.body).extract<Poco::JSON::Array::Ptr>();
    std::string ws_url;
    for (unsigned i = 0; i < targets->size(); ++i) {
      if (targets->getObject(i)->getValue<std::string>("type") == "page") {
        ws_url = targets->getObject(i)->getValue<std::string>("webSocketDebuggerUrl");
      }
    }
    REQUIRE(!ws_url.empty());
    const auto path = ws_url.substr(ws_url.find('/', std::string("ws://").size()));
    m_session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(std::stoi(m[1])));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    m_socket = std::make_unique<Poco::Net::WebSocket>(*m_session, request, response);
    m_socket->setReceiveTimeout(Poco::Timespan(20, 0));
  }
  ~Browser() { m_process->stop(SIGKILL, 5s); }

  // Sends one command and returns its "result" object.
  Poco::JSON::Object::Ptr command(const std::string& method, const std::string& params_json) {
    const int id = ++m_id;
    const std::string text =
        "{\"id\":" + std::to_string(id) + ",\"method\":\"" + method + "\",\"params\":" + params_json + "}";
    m_socket->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
    for (;;) {
      Poco::Buffer<char> buffer(0);
      int flags = 0;
      const int n = m_socket->receiveFrame(buffer, flags);
      REQUIRE(n > 0);
      auto message = Poco::JSON::Parser()
                         .parse(std::string(buffer.begin(), static_cast<std::size_t>(n)))
                         .extract<Poco::JSON::Object::Ptr>();
      if (message->has("id") && message->getValue<int>("id") == id) {
        REQUIRE_MESSAGE(!message->has("error"), text << " -> " << std::string(buffer.begin(), static_cast<std::size_t>(n)));
        return message->getObject("result");
      }
    }
  }
  // Evaluates `expression` in the page (promises awaited) and returns its value as text.
  std::string eval(const std::string& expression) {
    pinsync::json::Writer w;
    w.begin_object().key("expression").value("String(" + expression + ")").key("awaitPromise").value(true);
    w.key("returnByValue").value(true).end_object();
    auto result = command("Runtime.evaluate", w.take());
    REQUIRE_MESSAGE(!result->has("exceptionDetails"), expression);
    return result->getObject("result")->getValue<std::string>("value");
  }

 private:
  std::unique_ptr<BackgroundProcess> m_process;
  std::unique_ptr<Poco::Net::HTTPClientSession> m_session;
  std::unique_ptr<Poco::Net::WebSocket> m_socket;
  int m_id = 0;
};

const std::string k_source =
    "  - name: acme\n    kind: csv\n    path: acme.csv\n    id_column: Event ID\n"
    "    approved: {column: Approved}\n    channel_id: 42\n    status: published\n"
    "    timezone: America/New_York\n    date_order: MDY\n    poll_interval: 1h\n"
    "    mapping:\n      title: Title\n      start_date: Date\n      start_time: Start\n"
    "      classifications: {column: Category, map: {Jazz: music}}\n"
    "      city:\n        column: City\n        places:\n          New York: {place_id: place-new-york, country_code: US}\n";

}  // namespace

TEST_CASE("status page in headless chromium at 390 px: fits the width; Pause and Resume work and show their answer") {
  if (run_process({"chromium", "--version"}, {}, 60s).exit_code != 0) {
    MESSAGE("chromium is not installed: the browser check of the status page is skipped (apt install chromium)");
    return;
  }
  SandboxProcess sandbox;
  TempDir dir;
  dir.write("acme.csv", "Event ID,Approved,Title,Date,Start,Category,City\nA-1,yes,Show one,6/1/2026,8:00 PM,Jazz,New York\n");
  const auto config = dir.write("pinsync.yaml", "pinned:\n  base_url: " + sandbox.base_url() +
                                                    "\n  api_key: ${PINNED_EVENTS_API_KEY}\nstate:\n  path: ./state.db\n"
                                                    "agent:\n  admin_listen: \"127.0.0.1:0\"\nsources:\n" + k_source);
  BackgroundProcess agent({std::string(PINSYNC_BIN_DIR) + "/pinsync", "run", "--config", config.string()},
                          {{"PINNED_EVENTS_API_KEY", "sandbox-key"}});
  const auto listening = pinsync::test::admin_url(agent);
  REQUIRE_MESSAGE(listening, agent.err());
  const std::string admin = *listening;
  REQUIRE(eventually([&] { return http(admin, "GET", "/").body.find("The 1 source is fine") != std::string::npos; }, 10s));

  Browser browser(dir.path());
  browser.command("Emulation.setDeviceMetricsOverride", R"({"width":390,"height":800,"deviceScaleFactor":1,"mobile":true})");
  browser.command("Page.enable", "{}");
  browser.command("Page.navigate", R"({"url":")" + admin + R"(/"})");
  REQUIRE(eventually([&] { return browser.eval("document.readyState") == "complete" &&
                                  browser.eval("!!document.getElementById('verdict')") == "true"; }, 10s));
  CHECK(browser.eval("document.getElementById('verdict').textContent") == "The 1 source is fine");
  // Nothing wider than the phone: the page never scrolls sideways.
  CHECK(browser.eval("document.documentElement.scrollWidth <= 390") == "true");

  // Pause asks for a reason, posts it as JSON from the page, and shows the answer.
  browser.eval("(window.prompt = () => 'pressed in a browser', 1)");
  browser.eval("document.querySelector('section[data-source=\"acme\"] button[data-path=\"/pause\"]').click()");
  REQUIRE(eventually([&] { return browser.eval("document.getElementById('answer').textContent").find("acme: paused") !=
                                  std::string::npos; }, 10s));
  CHECK_CONTAINS(http(admin, "GET", "/status").body, "\"reason\":\"pressed in a browser\"");
  // The page reloads its content after the answer: acme now needs you, with a Resume button.
  REQUIRE(eventually([&] { return browser.eval("document.getElementById('verdict').textContent") ==
                                  "1 of 1 source needs you"; }, 10s));
  browser.eval("document.querySelector('li[data-need=\"paused\"] button[data-path=\"/resume\"]').click()");
  REQUIRE(eventually([&] { return browser.eval("document.getElementById('answer').textContent").find("acme: resumed") !=
                                  std::string::npos; }, 10s));
  CHECK(eventually([&] { return browser.eval("document.getElementById('verdict').textContent") == "The 1 source is fine"; },
                   10s));
  agent.stop(SIGTERM, 10s);
}

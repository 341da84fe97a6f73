// What the admin endpoint answers, route by route, from a Daemon on fakes (daemon_world.h):
// admin_answer() called directly, without a socket — /status and /metrics as the agent
// knows them, POST /resync with the passes' reports, /pause and /resume, and the errors of
// each (wrong method, bad body, unknown source or page).
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "agent/daemon/admin.h"
#include "agent/sync/report.h"
#include "core/build_info.h"
#include "tests/unit/agent/daemon/daemon_world.h"
#include "tests/unit/agent/daemon/html_scan.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;
using pinsync::agent::test::DaemonWorld;
using pinsync::testing::sheet_row;

namespace {

Poco::JSON::Object::Ptr object_of(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

// The first source of a /status answer.
Poco::JSON::Object::Ptr first_source(const AdminAnswer& status) {
  auto sources = object_of(status.body)->getArray("sources");
  REQUIRE(sources);
  REQUIRE(sources->size() >= 1);
  return sources->getObject(0);
}

}  // namespace

TEST_CASE("admin answers: /status is JSON of what the agent knows; /healthz, /metrics and / answer GET") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());

  const auto status = admin_answer(*daemon, "GET", "/status", "");
  CHECK(status.status == 200);
  CHECK(status.content_type == "application/json");
  const auto acme = first_source(status);
  CHECK(acme->getValue<std::string>("name") == "acme");
  CHECK(acme->getValue<std::string>("kind") == "csv");
  CHECK(acme->getValue<int>("poll_interval_seconds") == 60);
  CHECK(acme->getValue<std::string>("last_success_at") == "2023-11-14T22:13:20Z");
  CHECK(acme->getObject("rows")->getValue<int>("synced") == 2);
  CHECK(acme->getObject("passes")->getValue<int>("ok") == 1);
  CHECK(acme->getObject("last_pass")->getValue<std::string>("trigger") == "schedule");
  CHECK(acme->getObject("last_pass")->getObject("report")->getValue<int>("created") == 2);
  CHECK(acme->isNull("paused"));
  CHECK(object_of(status.body)->isNull("reload"));

  const auto health = admin_answer(*daemon, "GET", "/healthz", "");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  const auto metrics = admin_answer(*daemon, "GET", "/metrics", "");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.starts_with("text/plain; version=0.0.4"));
  CHECK_CONTAINS(metrics.body, "pinsync_rows{source=\"acme\",state=\"synced\"} 2");
  CHECK_CONTAINS(metrics.body, "pinsync_passes_total{source=\"acme\",result=\"ok\"} 1");
  const auto page = admin_answer(*daemon, "HEAD", "/", "");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK_CONTAINS(page.body, "acme");
}

TEST_CASE("admin answers: POST /resync runs the passes and answers their reports; errors say what was wrong") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));

  const auto ok = admin_answer(*daemon, "POST", "/resync", R"({"source":"acme"})");
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "application/json");
  auto reports = reports_from_json(ok.body);
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().source == "acme");
  CHECK(reports->front().created == 1);
  CHECK(reports->front().unchanged == 1);
  CHECK(w.pinned.count("POST", "/events") == 2);
  // An empty body resyncs every source.
  auto all = reports_from_json(admin_answer(*daemon, "POST", "/resync", "").body);
  REQUIRE(all);
  CHECK(all->size() == 1);

  const auto unknown = admin_answer(*daemon, "POST", "/resync", R"({"source":"nope"})");
  CHECK(unknown.status == 404);
  CHECK(object_of(unknown.body)->getValue<std::string>("error") == "resync: no source named 'nope'; sources: acme");
  const auto bad_key = admin_answer(*daemon, "POST", "/resync", R"({"sauce":"acme"})");
  CHECK(bad_key.status == 400);
  CHECK_CONTAINS(bad_key.body, R"(unknown key \"sauce\")");
  const auto not_json = admin_answer(*daemon, "POST", "/resync", "source=acme");
  CHECK(not_json.status == 400);
  CHECK_CONTAINS(not_json.body, "not valid JSON");
  const auto bad_type = admin_answer(*daemon, "POST", "/resync", R"({"force":"yes"})");
  CHECK(bad_type.status == 400);
  CHECK_CONTAINS(bad_type.body, "must be true or false");

  const auto get = admin_answer(*daemon, "GET", "/resync", "");
  CHECK(get.status == 405);
  CHECK(get.allow == "POST");
  const auto post_status = admin_answer(*daemon, "POST", "/status", "{}");
  CHECK(post_status.status == 405);
  CHECK(post_status.allow == "GET, HEAD");
  const auto nowhere = admin_answer(*daemon, "GET", "/nowhere", "");
  CHECK(nowhere.status == 404);
  CHECK_CONTAINS(nowhere.body, "no such page /nowhere");

  // A stopped agent runs no more passes: 503.
  REQUIRE(daemon->stop(30s));
  const auto stopped = admin_answer(*daemon, "POST", "/resync", "{}");
  CHECK(stopped.status == 503);
  CHECK_CONTAINS(stopped.body, "stopping");
}

TEST_CASE("admin answers: POST /pause and /resume change the source, show in /status, and name unknown sources") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  const int requests = w.pinned.total();

  const auto paused = admin_answer(*daemon, "POST", "/pause", R"({"source":"acme","reason":"partner asked"})");
  CHECK(paused.status == 200);
  CHECK(paused.body == R"({"source":"acme","paused":true})");
  const auto acme = first_source(admin_answer(*daemon, "GET", "/status", ""));
  CHECK(acme->getValue<std::string>("paused_reason") == "partner asked");
  CHECK(acme->getObject("paused")->getValue<std::string>("by") == "operator");
  // While paused a resync sends nothing and says why.
  auto reports = reports_from_json(admin_answer(*daemon, "POST", "/resync", R"({"source":"acme"})").body);
  REQUIRE(reports);
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().paused);
  CHECK(w.pinned.total() == requests);

  const auto no_reason = admin_answer(*daemon, "POST", "/pause", R"({"source":"acme"})");
  CHECK(no_reason.status == 200);
  CHECK(first_source(admin_answer(*daemon, "GET", "/status", ""))->getValue<std::string>("paused_reason") ==
        "paused through the admin endpoint");

  const auto resumed = admin_answer(*daemon, "POST", "/resume", R"({"source":"acme"})");
  CHECK(resumed.status == 200);
  CHECK(resumed.body == R"({"source":"acme","paused":false})");
  CHECK(first_source(admin_answer(*daemon, "GET", "/status", ""))->isNull("paused"));

  const auto unknown = admin_answer(*daemon, "POST", "/pause", R"({"source":"nope"})");
  CHECK(unknown.status == 404);
  CHECK_CONTAINS(unknown.body, "no source named 'nope'; sources: acme");
  const auto missing = admin_answer(*daemon, "POST", "/resume", "{}");
  CHECK(missing.status == 400);
  CHECK_CONTAINS(missing.body, R"(\"source\" is required)");
  const auto reason_on_resume = admin_answer(*daemon, "POST", "/resume", R"({"source":"acme","reason":"x"})");
  CHECK(reason_on_resume.status == 400);
  CHECK_CONTAINS(reason_on_resume.body, R"(unknown key \"reason\")");
}

TEST_CASE("admin answers: a failed reload shows in /status until a good one") {
  DaemonWorld w;
  auto daemon = w.start();
  const auto broken = w.dir.write("broken.yaml", "sources: [\n");
  REQUIRE_FALSE(daemon->reload(broken));
  const auto reload = object_of(admin_answer(*daemon, "GET", "/status", "").body)->getObject("reload");
  REQUIRE(reload);
  CHECK_FALSE(reload->getValue<bool>("ok"));
  CHECK_CONTAINS(reload->getValue<std::string>("error"), "broken.yaml");
  CHECK_CONTAINS(admin_answer(*daemon, "GET", "/metrics", "").body, "pinsync_config_reload_success 0");
  REQUIRE(daemon->reload(w.config_file));
  CHECK(object_of(admin_answer(*daemon, "GET", "/status", "").body)->getObject("reload")->getValue<bool>("ok"));
}

namespace {

// The buttons of the page's section for `source`: label, path and body.
struct PageButton {
  std::string label, path, body;
};
std::vector<PageButton> page_buttons(Daemon& daemon, const std::string& source) {
  const auto page = admin_answer(daemon, "GET", "/", "");
  REQUIRE(page.status == 200);
  const auto doc = pinsync::agent::test::parse_html(page.body);
  REQUIRE(doc.errors.empty());
  std::vector<PageButton> out;
  for (int section : doc.find([&](const auto& e) { return e.tag == "section" && e.attr("data-source") == source; })) {
    for (int b : doc.find([](const auto& e) { return e.tag == "button"; }, section)) {
      out.push_back({doc.at(b).text, doc.at(b).attr("data-path"), doc.at(b).attr("data-body")});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("admin answers: every button of the page, posted as the page posts it, is taken by its route") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  const auto version = admin_answer(*daemon, "GET", "/", "").body;
  CHECK_CONTAINS(version, "version " + std::string(pinsync::build_info::version()));
  CHECK_CONTAINS(version, "The 1 source is fine");

  std::vector<std::string> pressed;
  for (int round = 0; round < 2; ++round) {  // Pause first, then the page offers Resume
    for (const auto& b : page_buttons(*daemon, "acme")) {
      // What admin_refusal() checks of the page's fetch(): same origin, a JSON body.
      AdminRequest request{"POST", b.path, "127.0.0.1:8765", "http://127.0.0.1:8765", "application/json",
                           static_cast<std::int64_t>(b.body.size())};
      CHECK_FALSE(admin_refusal(request));
      const auto answer = admin_answer(*daemon, "POST", b.path, b.body);
      CHECK_MESSAGE(answer.status == 200, b.label << " " << b.path << " " << b.body << " -> " << answer.body);
      pressed.push_back(b.label);
    }
  }
  CHECK(pressed == std::vector<std::string>{"Resync source", "Pause", "Resume", "Resync source"});
  // The dead-rows button's body is one the route takes.
  CHECK(admin_answer(*daemon, "POST", "/resync", R"({"source":"acme","dead":true})").status == 200);
}

TEST_CASE("admin answers: a held suspect read shows on the page, in /status and in /metrics until a normal read") {
  DaemonWorld w;
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  auto daemon = w.start();
  REQUIRE(w.alarms.wait_pending());
  w.sheet("acme", "");  // a half-written export: no row at all
  REQUIRE(admin_answer(*daemon, "POST", "/resync", R"({"source":"acme"})").status == 200);

  const auto acme = first_source(admin_answer(*daemon, "GET", "/status", ""));
  REQUIRE_FALSE(acme->isNull("suspect_read"));
  CHECK_FALSE(acme->getObject("suspect_read")->getValue<std::string>("reason").empty());
  auto needs = acme->getArray("needs_you");
  REQUIRE(needs);
  REQUIRE(needs->size() == 1);
  CHECK(needs->getObject(0)->getValue<std::string>("kind") == "suspect");
  CHECK_CONTAINS(needs->getObject(0)->getValue<std::string>("fix"), "--accept-removals");
  const auto metrics = admin_answer(*daemon, "GET", "/metrics", "").body;
  CHECK_CONTAINS(metrics, "pinsync_suspect_read_held{source=\"acme\"} 1\n");
  CHECK_CONTAINS(metrics, "pinsync_source_needs_action{source=\"acme\"} 1\n");
  const auto page = admin_answer(*daemon, "GET", "/", "").body;
  CHECK_CONTAINS(page, "1 of 1 source needs you");
  CHECK_CONTAINS(page, "SUSPECT READ HELD");
  CHECK_CONTAINS(page, "pinsync resync --source acme --accept-removals");

  // The rows come back: the next read is normal and nothing is held any more.
  w.sheet("acme", sheet_row("E-1", "Show one") + sheet_row("E-2", "Show two"));
  REQUIRE(admin_answer(*daemon, "POST", "/resync", R"({"source":"acme"})").status == 200);
  const auto after = first_source(admin_answer(*daemon, "GET", "/status", ""));
  CHECK(after->isNull("suspect_read"));
  CHECK(after->getArray("needs_you")->size() == 0);
  CHECK_CONTAINS(admin_answer(*daemon, "GET", "/metrics", "").body, "pinsync_suspect_read_held{source=\"acme\"} 0\n");
  CHECK_CONTAINS(admin_answer(*daemon, "GET", "/", "").body, "The 1 source is fine");
}

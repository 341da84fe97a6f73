// The status page (page.h) read as a browser would, with html_scan.h: the verdict, a badge
// per state, the order (needs-you first; dead and failed rows before invalid ones), the
// buttons' JSON bodies, the version and uptime, and that no partner text escapes.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>
#include <vector>

#include "agent/daemon/attention.h"
#include "agent/daemon/page.h"
#include "tests/unit/agent/daemon/html_scan.h"

using namespace pinsync;
using namespace pinsync::agent;
using pinsync::agent::test::HtmlDoc;
using pinsync::agent::test::HtmlElement;
using pinsync::agent::test::parse_html;
using state::RowState;

namespace {

PassRecord pass(PassResult result) {
  PassRecord p;
  p.trigger = "schedule";
  p.started_at = 1'780'000'000;
  p.finished_at = 1'780'000'002;
  p.seconds = 2;
  p.result = result;
  return p;
}

SourceStatus healthy(const std::string& name) {
  SourceStatus s;
  s.name = name;
  s.kind = "csv";
  s.poll_interval = std::chrono::seconds{60};
  s.recent.push_back(pass(PassResult::ok));
  s.last_success_at = 1'780'000'002;
  s.rows_by_state["synced"] = 3;
  return s;
}

state::RowRecord row(const std::string& id, RowState st, const std::string& reason) {
  state::RowRecord r;
  r.source_id = id;
  r.row_ref = "row " + id;
  r.state = st;
  r.error_reason = reason;
  return r;
}

void add_rows(SourceStatus& s, RowState st, std::vector<std::string> ids) {
  for (const auto& id : ids) {
    s.problem_rows.push_back(row(id, st, "because of " + id));
    ++s.rows_by_state[std::string(state::to_string(st))];
  }
}

// One source in each state the page tells apart, in config order.
std::vector<SourceStatus> every_state() {
  std::vector<SourceStatus> out;
  out.push_back(healthy("fine"));
  auto paused = healthy("paused");
  paused.paused_reason = "partner on holiday";
  paused.paused_by = "operator";
  paused.paused_since = 1'780'000'000;
  out.push_back(paused);
  auto refused = healthy("refused");
  refused.paused_reason = "Pinned Events answered 401 invalid_api_key";
  refused.paused_by = "pinsync";
  refused.recent.push_front(pass(PassResult::paused));
  out.push_back(refused);
  auto held = healthy("held");
  add_rows(held, RowState::gone, {"G-1"});
  add_rows(held, RowState::needs_review, {"N-1"});
  out.push_back(held);
  auto suspect = healthy("suspect");
  suspect.recent.push_front(pass(PassResult::suspect));
  suspect.recent.front().report.suspect = "no approved row now";
  out.push_back(suspect);
  auto dead = healthy("dead");
  add_rows(dead, RowState::invalid, {"A-1", "A-2"});
  add_rows(dead, RowState::dead, {"Z-9"});
  add_rows(dead, RowState::failed, {"M-5"});
  dead.recent.push_front(pass(PassResult::rows_not_synced));
  out.push_back(dead);
  auto failing = healthy("failing");
  add_rows(failing, RowState::failed, {"F-1", "F-2"});
  failing.recent.push_front(pass(PassResult::rows_not_synced));
  out.push_back(failing);
  auto stopped = healthy("stopped");
  stopped.recent.push_front(pass(PassResult::stopped));
  stopped.last_error = "stopped.csv: cannot open (No such file or directory)";
  out.push_back(stopped);
  auto invalid_only = healthy("invalid_only");
  add_rows(invalid_only, RowState::invalid, {"I-1"});
  out.push_back(invalid_only);
  return out;
}

HtmlDoc parsed(const std::string& html) {
  HtmlDoc doc = parse_html(html);
  for (const auto& e : doc.errors) FAIL_CHECK("not well formed: " << e);
  return doc;
}

int section_of(const HtmlDoc& doc, const std::string& source) {
  const auto found = doc.find([&](const HtmlElement& e) { return e.tag == "section" && e.attr("data-source") == source; });
  REQUIRE_MESSAGE(found.size() == 1, "sections named " << source << ": " << found.size());
  return found.front();
}

// The data-badge values of the badges in a source's heading.
std::vector<std::string> badges(const HtmlDoc& doc, const std::string& source) {
  std::vector<std::string> out;
  for (int i : doc.find([](const HtmlElement& e) { return e.has_class("badge") && e.attrs.contains("data-badge"); },
                        section_of(doc, source))) {
    out.push_back(doc.at(i).attr("data-badge"));
  }
  return out;
}

struct Button {
  std::string label, path;
  Poco::JSON::Object::Ptr body;
};

std::vector<Button> buttons(const HtmlDoc& doc, int within) {
  std::vector<Button> out;
  for (int i : doc.find([](const HtmlElement& e) { return e.tag == "button"; }, within)) {
    const auto& b = doc.at(i);
    out.push_back({b.text, b.attr("data-path"),
                   Poco::JSON::Parser().parse(b.attr("data-body")).extract<Poco::JSON::Object::Ptr>()});
  }
  return out;
}

std::string verdict(const HtmlDoc& doc) {
  const auto v = doc.find([](const HtmlElement& e) { return e.attr("id") == "verdict"; });
  REQUIRE(v.size() == 1);
  return doc.at(v.front()).text;
}

}  // namespace

TEST_CASE("page: the verdict counts the sources that need a person") {
  CHECK(verdict(parsed(status_html({healthy("a"), healthy("b")}))) == "All 2 sources are fine");
  CHECK(verdict(parsed(status_html({healthy("a")}))) == "The 1 source is fine");
  CHECK(verdict(parsed(status_html({}))) == "No sources configured");
  CHECK(verdict(parsed(status_html(every_state()))) == "7 of 9 sources need you");
  auto one = std::vector{healthy("a"), healthy("b")};
  one[1].rows_by_state["dead"] = 1;
  CHECK(verdict(parsed(status_html(one))) == "1 of 2 sources needs you");
  // The verdict comes first: before any source.
  const auto doc = parsed(status_html(every_state()));
  const auto v = doc.find([](const HtmlElement& e) { return e.attr("id") == "verdict"; });
  const auto sections = doc.find([](const HtmlElement& e) { return e.tag == "section"; });
  REQUIRE(!sections.empty());
  CHECK(v.front() < sections.front());
}

TEST_CASE("page: each state has its badge; sources that need a person come first, the healthy ones after") {
  const auto doc = parsed(status_html(every_state()));
  CHECK(badges(doc, "fine") == std::vector<std::string>{"fine"});
  CHECK(badges(doc, "paused") == std::vector<std::string>{"paused"});
  CHECK(badges(doc, "refused") == std::vector<std::string>{"paused"});
  CHECK(badges(doc, "held") == std::vector<std::string>{"held_rows"});
  CHECK(badges(doc, "suspect") == std::vector<std::string>{"suspect"});
  CHECK(badges(doc, "dead") == std::vector<std::string>{"dead_rows", "failing", "invalid_rows"});
  CHECK(badges(doc, "failing") == std::vector<std::string>{"failing"});
  CHECK(badges(doc, "stopped") == std::vector<std::string>{"stopped"});
  // Invalid rows alone are the partner's to fix: counted, but the source is fine.
  CHECK(badges(doc, "invalid_only") == std::vector<std::string>{"fine", "invalid_rows"});
  CHECK_CONTAINS(doc.at(section_of(doc, "suspect")).text, "SUSPECT READ HELD");
  CHECK_CONTAINS(doc.at(section_of(doc, "suspect")).text, "no approved row now");
  CHECK_CONTAINS(doc.at(section_of(doc, "suspect")).text, "pinsync resync --source suspect --accept-removals");
  CHECK_CONTAINS(doc.at(section_of(doc, "paused")).text, "pinsync resume --source paused");
  CHECK_CONTAINS(doc.at(section_of(doc, "dead")).text, "pinsync resync --source dead --dead");
  CHECK_CONTAINS(doc.at(section_of(doc, "stopped")).text, "stopped.csv: cannot open");
  CHECK_CONTAINS(doc.at(section_of(doc, "held")).text, "--recreate");

  std::vector<std::string> order, groups;
  for (int i : doc.find([](const HtmlElement& e) { return e.tag == "section"; })) {
    order.push_back(doc.at(i).attr("data-source"));
    groups.push_back(doc.at(i).attr("data-group"));
  }
  CHECK(order == std::vector<std::string>{"paused", "refused", "held", "suspect", "dead", "failing", "stopped", "fine",
                                          "invalid_only"});
  CHECK(groups == std::vector<std::string>{"needs", "needs", "needs", "needs", "needs", "needs", "needs", "fine",
                                           "fine"});
  // A source that has not passed yet is not called fine or failing.
  SourceStatus fresh = healthy("fresh");
  fresh.recent.clear();
  CHECK(badges(parsed(status_html({fresh})), "fresh") == std::vector<std::string>{"no_pass"});
}

TEST_CASE("page: dead and failed rows are listed before invalid ones, whatever their IDs") {
  const auto doc = parsed(status_html(every_state()));
  std::vector<std::string> states, ids;
  for (int i : doc.find([](const HtmlElement& e) { return e.tag == "tr" && e.attrs.contains("data-state"); },
                        section_of(doc, "dead"))) {
    states.push_back(doc.at(i).attr("data-state"));
    const auto id = doc.find([](const HtmlElement& e) { return e.tag == "td" && e.has_class("id"); }, i);
    REQUIRE(!id.empty());
    ids.push_back(doc.at(id.front()).text);
  }
  CHECK(states == std::vector<std::string>{"dead", "failed", "invalid", "invalid"});
  CHECK(ids == std::vector<std::string>{"Z-9", "M-5", "A-1", "A-2"});
  CHECK(row_rank(RowState::gone) < row_rank(RowState::invalid));
  CHECK(row_rank(RowState::needs_review) < row_rank(RowState::invalid));
}

TEST_CASE("page: each need has its button, and the buttons POST the JSON bodies the admin routes take") {
  const auto doc = parsed(status_html(every_state()));
  const auto find = [](const std::vector<Button>& all, const std::string& label) {
    for (const auto& b : all) {
      if (b.label == label) return b;
    }
    FAIL("no button " << label);
    return Button{};
  };
  const auto dead = buttons(doc, section_of(doc, "dead"));
  const auto resync_dead = find(dead, "Resync dead rows");
  CHECK(resync_dead.path == "/resync");
  CHECK(resync_dead.body->getValue<std::string>("source") == "dead");
  CHECK(resync_dead.body->getValue<bool>("dead"));
  CHECK(resync_dead.body->size() == 2);
  const auto resync = find(dead, "Resync source");
  CHECK(resync.path == "/resync");
  CHECK(resync.body->getValue<std::string>("source") == "dead");
  CHECK(resync.body->size() == 1);
  const auto pause = find(dead, "Pause");
  CHECK(pause.path == "/pause");
  CHECK(pause.body->getValue<std::string>("source") == "dead");

  const auto paused = buttons(doc, section_of(doc, "paused"));
  const auto resume = find(paused, "Resume");
  CHECK(resume.path == "/resume");
  CHECK(resume.body->getValue<std::string>("source") == "paused");
  CHECK(resume.body->size() == 1);
  for (const auto& b : paused) CHECK(b.label != "Pause");
  // Every button of the page is a same-origin POST with a JSON body, sent by the page's own
  // script (fetch with Content-Type: application/json): no form, nothing a foreign page can
  // submit.
  CHECK(doc.find([](const HtmlElement& e) { return e.tag == "form"; }).empty());
  const std::string html = status_html(every_state());
  CHECK_CONTAINS(html, "headers:{'Content-Type':'application/json'}");
  CHECK_CONTAINS(html, "method:'POST'");
  // The answer is shown on the page, outside the part that refreshes.
  const auto answer = doc.find([](const HtmlElement& e) { return e.attr("id") == "answer"; });
  REQUIRE(answer.size() == 1);
  const auto main = doc.find([](const HtmlElement& e) { return e.attr("id") == "main"; });
  REQUIRE(main.size() == 1);
  CHECK_FALSE(doc.inside(answer.front(), main.front()));
}

TEST_CASE("page: no partner text escapes — names, IDs, reasons and errors are text, never markup") {
  const std::string evil = "<img src=x onerror=alert(1)>\"'&amp;";
  auto sources = every_state();
  sources[5].name = evil;  // "dead": buttons carry it in their JSON bodies too
  sources[5].problem_rows.push_back(row(evil, RowState::dead, evil));
  sources[5].last_error = "<script>alert(2)</script>";
  sources[7].last_error = evil;
  sources[1].paused_reason = evil;
  sources[4].recent.front().report.suspect = evil;
  const ReloadStatus reload{1'780'000'000, false, evil};
  const std::string html = status_html(sources, reload, PageFacts{"1.0<b>", 1'780'000'000, 1'780'003'700});
  const auto doc = parsed(html);
  CHECK(doc.find([](const HtmlElement& e) { return e.tag == "img" || e.tag == "b"; }).empty());
  CHECK(doc.find([](const HtmlElement& e) { return e.tag == "script"; }).size() == 1);
  CHECK(doc.find([](const HtmlElement& e) { return e.attrs.contains("onerror"); }).empty());
  CHECK(doc.find([](const HtmlElement& e) { return e.attrs.contains("src"); }).empty());
  CHECK_NOT_CONTAINS(html, "<script>alert");
  // The text reads back exactly as the partner wrote it.
  const int dead = section_of(doc, evil);
  CHECK_CONTAINS(doc.at(dead).text, evil);
  const auto bodies = buttons(doc, dead);
  REQUIRE(!bodies.empty());
  for (const auto& b : bodies) CHECK(b.body->getValue<std::string>("source") == evil);
}

TEST_CASE("page: version, uptime and the time of the page; no external assets; tables scroll in their own box") {
  auto sources = every_state();
  const std::string html = status_html(sources, {}, PageFacts{"0.1.0", 1'780'000'000, 1'780'000'000 + 3 * 3600 + 300});
  const auto doc = parsed(html);
  const auto meta = doc.find([](const HtmlElement& e) { return e.attr("id") == "meta"; });
  REQUIRE(meta.size() == 1);
  CHECK_CONTAINS(doc.at(meta.front()).text, "version 0.1.0");
  CHECK_CONTAINS(doc.at(meta.front()).text, "up 3h 5m");
  CHECK_CONTAINS(doc.at(meta.front()).text, "as of 2026-05-28T23:31:40Z");
  // Inline CSS and script only.
  CHECK(doc.find([](const HtmlElement& e) { return e.tag == "link" || e.attrs.contains("src") || e.attrs.contains("href"); })
            .empty());
  CHECK_NOT_CONTAINS(html, "http://");
  CHECK_NOT_CONTAINS(html, "https://");
  CHECK_CONTAINS(html, "name=\"viewport\" content=\"width=device-width, initial-scale=1\"");
  // At 390 px a table scrolls inside its own box instead of widening the page; IDs do not
  // wrap mid-ID.
  const auto tables = doc.find([](const HtmlElement& e) { return e.tag == "table"; });
  REQUIRE(!tables.empty());
  for (int t : tables) {
    const int parent = doc.at(t).parent;
    REQUIRE(parent >= 0);
    CHECK(doc.at(parent).has_class("scroll"));
  }
  CHECK_CONTAINS(html, ".scroll{overflow-x:auto");
  CHECK_CONTAINS(html, ".id,td.when{white-space:nowrap}");
  // It refreshes itself every 15 s, keeping the scroll position.
  CHECK_CONTAINS(html, "setInterval(refresh,15000)");
  CHECK_CONTAINS(html, "window.scrollTo(0,y)");
  CHECK(k_page_refresh_seconds == 15);
}

TEST_CASE("attention: needs in order of urgency, each with its fix") {
  auto s = healthy("acme");
  CHECK(needs_of(s).empty());
  s.paused_reason = "holiday";
  s.paused_by = "operator";
  s.rows_by_state["dead"] = 2;
  s.rows_by_state["failed"] = 1;
  s.rows_by_state["gone"] = 1;
  s.recent.push_front(pass(PassResult::suspect));
  s.recent.front().report.suspect = "40 of 200 approved rows (20%) would be marked removed";
  const auto needs = needs_of(s);
  REQUIRE(needs.size() == 5);
  CHECK(needs[0].kind == NeedKind::paused);
  CHECK(needs[1].kind == NeedKind::suspect);
  CHECK(needs[2].kind == NeedKind::dead_rows);
  CHECK(needs[2].badge == "2 DEAD ROWS");
  CHECK(needs[2].command == "pinsync resync --source acme --dead");
  REQUIRE(needs[2].action);
  CHECK(needs[2].action->body == R"({"source":"acme","dead":true})");
  CHECK(needs[3].kind == NeedKind::held_rows);
  CHECK(needs[3].badge == "1 HELD ROW");
  CHECK(needs[4].kind == NeedKind::failing);
  CHECK(needs[0].action->path == "/resume");
  CHECK(needs[0].action->body == R"({"source":"acme"})");
  // pinsync's own pause (a refused key) ends with a resync once the key is fixed.
  s.paused_by = "pinsync";
  CHECK(needs_of(s)[0].action->path == "/resync");
}

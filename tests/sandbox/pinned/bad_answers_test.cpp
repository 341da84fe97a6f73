// The sandbox's bad-answer faults (docs/sandbox.md, "Bad answers"): each kind on each route,
// the work done behind a spoiled answer, the request-body filter and the limit.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

#include "tests/sandbox/pinned/helpers.h"
#include "tests/support/process.h"
#include "tests/support/sandbox_state.h"

using pinsync::test::http;
using pinsync::test::HttpReply;
using pinsync::test::SandboxProcess;
using sandbox_test::parse;
using sandbox_test::set_faults;

namespace {

const std::vector<std::pair<std::string, std::string>> k_auth = {{"Authorization", "Bearer sandbox-key"}};

std::string event_body(const std::string& title) {
  return R"({"channelId":42,"title":")" + title +
         R"(","startAt":"2026-06-12T20:00:00-04:00","timezone":"America/New_York","classifications":["music"],)"
         R"("approxLocation":{"city":{"placeId":"place-new-york"}}})";
}

HttpReply create(const std::string& base, const std::string& title, const std::string& key) {
  auto headers = k_auth;
  headers.emplace_back("Idempotency-Key", key);
  return http(base, "POST", "/api/public/v1/events", event_body(title), headers);
}

}  // namespace

TEST_CASE("bad answers: each kind spoils a create after it is stored; the same key then replays the real answer") {
  SandboxProcess sandbox;
  const std::string base = sandbox.base_url();
  struct Case {
    const char* setting;
    int status;
    const char* check;  // what the spoiled body must (or must not) look like
  };
  const Case cases[] = {
      {"truncated_json_rate", 201, "truncated"},  {"html_502_rate", 502, "html"},
      {"wrong_types_rate", 201, R"("id":"abc")"}, {"empty_201_rate", 201, ""},
      {"missing_id_rate", 201, "no id"},
  };
  int stored = 0;
  for (const auto& c : cases) {
    CAPTURE(c.setting);
    set_faults(base, std::string(R"({"truncated_json_rate":0,"html_502_rate":0,"wrong_types_rate":0,)") +
                         R"("empty_201_rate":0,"missing_id_rate":0,")" + c.setting + R"(":1.0})");
    const std::string key = std::string("key-") + c.setting;
    const auto spoiled = create(base, c.setting, key);
    CHECK(spoiled.status == c.status);
    const std::string check = c.check;
    if (check == "truncated") {
      CHECK_THROWS(parse(spoiled.body));
      CHECK(!spoiled.body.empty());
    } else if (check == "html") {
      CHECK(spoiled.headers.at("content-type").starts_with("text/html"));
      CHECK_CONTAINS(spoiled.body, "502 Bad Gateway");
    } else if (check.empty()) {
      CHECK(spoiled.body.empty());
    } else if (check == "no id") {
      auto doc = parse(spoiled.body)->getObject("doc");
      CHECK(!doc->has("id"));
      CHECK(doc->getValue<std::string>("title") == c.setting);
    } else {
      CHECK_CONTAINS(spoiled.body, check);
    }
    // The API did the work behind the bad answer …
    ++stored;
    CHECK(pinsync::test::sandbox_events(base)->size() == static_cast<std::size_t>(stored));
    // … and its Idempotency-Key record holds the real answer.
    set_faults(base, std::string(R"({")") + c.setting + R"(":0})");
    const auto replay = create(base, c.setting, key);
    CHECK(replay.status == 201);
    CHECK(replay.headers.count("idempotent-replayed") == 1);
    CHECK(parse(replay.body)->getObject("doc")->getValue<int>("id") == stored);
    CHECK(pinsync::test::sandbox_events(base)->size() == static_cast<std::size_t>(stored));
  }
  // A spoiled 502 counts as a 502 in the stats.
  CHECK(pinsync::test::sandbox_requests(base, "POST", "/api/public/v1/events", 502) == 1);
}

TEST_CASE("bad answers: only requests whose body matches, at most bad_answer_limit of them; listings too") {
  SandboxProcess sandbox;
  const std::string base = sandbox.base_url();
  set_faults(base, R"({"empty_201_rate":1.0,"bad_answer_match":"Broken","bad_answer_limit":2})");
  const auto settings = parse(http(base, "GET", "/_sandbox/faults").body);
  CHECK(settings->getValue<std::string>("bad_answer_match") == "Broken");
  CHECK(settings->getValue<int>("bad_answer_limit") == 2);
  CHECK(!create(base, "Fine", "k1").body.empty());
  CHECK(create(base, "Broken 1", "k2").body.empty());
  CHECK(create(base, "Broken 2", "k3").body.empty());
  CHECK(!create(base, "Broken 3", "k4").body.empty());  // the limit is used up

  // Listings have no body to match: an empty match spoils them (and everything else).
  set_faults(base, R"({"empty_201_rate":0,"bad_answer_match":"","bad_answer_limit":0,"wrong_types_rate":1.0})");
  const auto channels = http(base, "GET", "/api/public/v1/channels", "", k_auth);
  CHECK(channels.status == 200);
  CHECK_CONTAINS(channels.body, R"("id":"abc")");
  const auto slugs = http(base, "GET", "/api/public/v1/classifications", "", k_auth);
  CHECK_CONTAINS(slugs.body, R"("slug":42)");
  // Errors are never spoiled: they are already not a success.
  const auto refused = http(base, "GET", "/api/public/v1/channels", "", {{"Authorization", "Bearer nope"}});
  CHECK(refused.status == 401);
  CHECK(parse(refused.body)->getObject("error")->getValue<std::string>("code") == "invalid_api_key");

  set_faults(base, R"({"wrong_types_rate":0,"missing_id_rate":1.0})");
  const auto no_slug = http(base, "GET", "/api/public/v1/classifications", "", k_auth);
  CHECK_NOT_CONTAINS(no_slug.body, "slug");

  CHECK(http(base, "POST", "/_sandbox/faults", R"({"bad_answer_match":3})").status == 400);
  CHECK(http(base, "POST", "/_sandbox/faults", R"({"bad_answer_limit":-1})").status == 400);
  CHECK(http(base, "POST", "/_sandbox/faults", R"({"html_502_rate":2})").status == 400);
  REQUIRE(http(base, "POST", "/_sandbox/reset").status == 200);
  CHECK(parse(http(base, "GET", "/_sandbox/faults").body)->getValue<double>("missing_id_rate") == 0.0);
}

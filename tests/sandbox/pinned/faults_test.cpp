// Conformance of fault injection and the control routes: rate limits, injected 500/429,
// latency, drop-after-commit, fault settings, stats and reset.
#include <chrono>
#include <future>

#include "tests/sandbox/pinned/helpers.h"

using namespace sandbox_test;

namespace {

int stat_count(const std::string& base, const std::string& method, const std::string& route, int status) {
  auto requests = parse(http(base, "GET", "/_sandbox/stats").body)->getArray("requests");
  for (unsigned i = 0; i < requests->size(); ++i) {
    auto r = requests->getObject(i);
    if (r->getValue<std::string>("method") == method && r->getValue<std::string>("route") == route &&
        r->getValue<int>("status") == status) {
      return r->getValue<int>("count");
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("rate limit: 429 rate_limited with Retry-After and X-RateLimit-* on every response") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"rate_limit_per_second":3})");
  const std::string path = "/api/public/v1/channels";
  for (int i = 0; i < 3; ++i) {
    HttpReply ok = http(base, "GET", path, "", bearer());
    REQUIRE(ok.status == 200);
    CHECK(ok.headers["x-ratelimit-limit"] == "3");
    CHECK(ok.headers["x-ratelimit-remaining"] == std::to_string(2 - i));
    CHECK(std::stoi(ok.headers["x-ratelimit-reset"]) >= 1);
  }
  HttpReply limited = http(base, "GET", path, "", bearer());
  check_envelope(limited, 429, "rate_limited");
  CHECK(std::stoi(limited.headers["retry-after"]) >= 1);
  CHECK(limited.headers["x-ratelimit-remaining"] == "0");
  // Limits are per key: another key still has its own window.
  CHECK(http(base, "GET", path, "", bearer("ro-key")).status == 200);
  // Control routes are never limited.
  CHECK(http(base, "GET", "/_sandbox/stats").status == 200);
}

TEST_CASE("rate limit and faults can be set on the command line") {
  pinsync::test::SandboxProcess sandbox({"--rate-limit", "2", "--latency-ms=5", "--idempotency-ttl-seconds", "0.5"});
  std::string base = sandbox.base_url();
  Obj faults = parse(http(base, "GET", "/_sandbox/faults").body);
  CHECK(faults->getValue<int>("rate_limit_per_second") == 2);
  CHECK(faults->getValue<double>("latency_ms") == doctest::Approx(5));
  CHECK(faults->getValue<double>("idempotency_ttl_seconds") == doctest::Approx(0.5));
  CHECK(http(base, "GET", "/api/public/v1/channels", "", bearer()).status == 200);
  CHECK(http(base, "GET", "/api/public/v1/channels", "", bearer()).status == 200);
  CHECK(http(base, "GET", "/api/public/v1/channels", "", bearer()).status == 429);
  // Reset returns to the command-line settings, not to zero.
  REQUIRE(http(base, "POST", "/_sandbox/reset").status == 200);
  CHECK(parse(http(base, "GET", "/_sandbox/faults").body)->getValue<int>("rate_limit_per_second") == 2);
}

TEST_CASE("error_rate 1.0 answers every API request 500 internal_error, stores nothing") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"error_rate":1.0})");
  check_envelope(post_event(base, minimal_event_text()), 500, "internal_error");
  check_envelope(http(base, "GET", "/api/public/v1/events", "", bearer()), 500, "internal_error");
  CHECK(stored_events(base)->size() == 0);  // /_sandbox is never faulted
}

TEST_CASE("rate_limited_rate 1.0 answers 429 with Retry-After: 1") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"rate_limited_rate":1})");
  HttpReply r = post_event(base, minimal_event_text());
  check_envelope(r, 429, "rate_limited");
  CHECK(r.headers["retry-after"] == "1");
  CHECK(stored_events(base)->size() == 0);
}

TEST_CASE("latency_ms delays API responses") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"latency_ms":150})");
  auto started = std::chrono::steady_clock::now();
  REQUIRE(http(base, "GET", "/api/public/v1/channels", "", bearer()).status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
}

TEST_CASE("stats count a request in flight until it ends; lowering latency_ms ends the sleeps under way") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"latency_ms":60000})");
  auto in_flight = [&] { return parse(http(base, "GET", "/_sandbox/stats").body)->getValue<int>("in_flight"); };
  CHECK(in_flight() == 0);
  auto patch = std::async(std::launch::async, [&] {
    return http(base, "PATCH", "/api/public/v1/events/1", R"({"title":"x"})", bearer());
  });
  while (in_flight() == 0) {
    REQUIRE(patch.wait_for(std::chrono::milliseconds(2)) == std::future_status::timeout);
  }
  CHECK(stat_count(base, "PATCH", "/api/public/v1/events/{id}", 404) == 0);  // counted when it ends
  set_faults(base, R"({"latency_ms":0})");  // without this the request would sleep a minute
  CHECK(patch.get().status == 404);
  CHECK(in_flight() == 0);
  CHECK(stat_count(base, "PATCH", "/api/public/v1/events/{id}", 404) == 1);
}

TEST_CASE("drop-after-commit: the event is stored, the client gets no response, a keyed retry replays") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"drop_after_commit_rate":1.0})");
  const std::string key = "cms-post-123-create";
  HttpReply dropped = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", key));
  CHECK(dropped.no_response);
  CHECK(dropped.status == 0);
  auto events = stored_events(base);
  REQUIRE(events->size() == 1);
  CHECK(events->getObject(0)->getValue<std::string>("idempotencyKey") == key);

  HttpReply patch = http(base, "PATCH", "/api/public/v1/events/1", R"({"title":"Renamed"})", bearer());
  CHECK(patch.no_response);
  CHECK(stored_events(base)->getObject(0)->getValue<std::string>("title") == "Renamed");

  set_faults(base, R"({"drop_after_commit_rate":0})");
  HttpReply retry = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", key));
  REQUIRE(retry.status == 201);
  CHECK(retry.headers["idempotent-replayed"] == "true");
  CHECK(parse(retry.body)->getObject("doc")->getValue<int>("id") == 1);
  CHECK(stored_events(base)->size() == 1);
  CHECK(stat_count(base, "POST", "/api/public/v1/events", 0) == 1);
  CHECK(stat_count(base, "PATCH", "/api/public/v1/events/{id}", 0) == 1);
}

TEST_CASE("faults: partial updates return all settings; unknown keys and wrong types are 400") {
  std::string base = fresh_sandbox();
  HttpReply r = http(base, "POST", "/_sandbox/faults", R"({"latency_ms":0,"error_rate":0.25})");
  REQUIRE(r.status == 200);
  Obj settings = parse(r.body);
  CHECK(settings->getValue<double>("error_rate") == doctest::Approx(0.25));
  for (const char* k : {"rate_limited_rate", "latency_ms", "drop_after_commit_rate", "rate_limit_per_second",
                        "idempotency_ttl_seconds", "in_progress_ttl_seconds"}) {
    CHECK_MESSAGE(settings->has(k), k);
  }
  CHECK(settings->getValue<double>("idempotency_ttl_seconds") == doctest::Approx(900));
  CHECK(settings->getValue<double>("in_progress_ttl_seconds") == doctest::Approx(45));
  check_envelope(http(base, "POST", "/_sandbox/faults", R"({"eror_rate":0.1})"), 400, "invalid_request");
  check_envelope(http(base, "POST", "/_sandbox/faults", R"({"error_rate":"high"})"), 400, "invalid_request");
  check_envelope(http(base, "POST", "/_sandbox/faults", R"({"error_rate":1.5})"), 400, "invalid_request");
  check_envelope(http(base, "POST", "/_sandbox/faults", R"({"rate_limit_per_second":2.5})"), 400, "invalid_request");
  // A rejected patch changes nothing.
  CHECK(parse(http(base, "GET", "/_sandbox/faults").body)->getValue<double>("error_rate") == doctest::Approx(0.25));
}

TEST_CASE("stats count API requests by method, route template and status") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  REQUIRE(post_event(base, "{}").status == 400);
  REQUIRE(http(base, "GET", "/api/public/v1/events/1", "", bearer()).status == 200);
  REQUIRE(http(base, "GET", "/api/public/v1/events/2", "", bearer()).status == 200);
  REQUIRE(http(base, "GET", "/api/public/v1/events/77", "", bearer()).status == 404);
  CHECK(stat_count(base, "POST", "/api/public/v1/events", 201) == 2);
  CHECK(stat_count(base, "POST", "/api/public/v1/events", 400) == 1);
  CHECK(stat_count(base, "GET", "/api/public/v1/events/{id}", 200) == 2);
  CHECK(stat_count(base, "GET", "/api/public/v1/events/{id}", 404) == 1);
  // Control requests are not counted.
  auto requests = parse(http(base, "GET", "/_sandbox/stats").body)->getArray("requests");
  for (unsigned i = 0; i < requests->size(); ++i) {
    CHECK(requests->getObject(i)->getValue<std::string>("route").rfind("/_sandbox", 0) != 0);
  }
}

TEST_CASE("reset clears events, idempotency entries, stats and faults; ids restart at 1") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", "k-1")).status == 201);
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  set_faults(base, R"({"error_rate":0.5})");
  REQUIRE(http(base, "POST", "/_sandbox/reset").status == 200);
  CHECK(stored_events(base)->size() == 0);
  CHECK(parse(http(base, "GET", "/_sandbox/stats").body)->getArray("requests")->size() == 0);
  CHECK(parse(http(base, "GET", "/_sandbox/faults").body)->getValue<double>("error_rate") == doctest::Approx(0));
  HttpReply again = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", "k-1"));
  REQUIRE(again.status == 201);
  CHECK(again.headers.count("idempotent-replayed") == 0);
  CHECK(parse(again.body)->getObject("doc")->getValue<int>("id") == 1);
}

// Conformance of Idempotency-Key on POST /events: replay, structural payload comparison,
// conflicts, per-owner scope, failures not cached, TTL expiry and in-progress requests.
#include <future>

#include "tests/sandbox/pinned/helpers.h"

using namespace sandbox_test;

namespace {

const std::string k_key = "nightly-import-2026-06-12-row-42";

}  // namespace

TEST_CASE("idempotency: the minimal request sent twice with one key is one event with one id") {
  std::string base = fresh_sandbox();
  HttpReply first = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  HttpReply second = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  REQUIRE(first.status == 201);
  REQUIRE(second.status == 201);
  CHECK(second.body == first.body);
  CHECK(second.headers["idempotent-replayed"] == "true");
  CHECK(first.headers.count("idempotent-replayed") == 0);
  auto events = stored_events(base);
  REQUIRE(events->size() == 1);
  CHECK(events->getObject(0)->getValue<std::string>("idempotencyKey") == k_key);
}

TEST_CASE("idempotency: reordered keys and different whitespace are the same payload") {
  std::string base = fresh_sandbox();
  HttpReply first = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  std::string reordered = R"({
    "approxLocation" : { "city" : { "countryCode":"US", "name":"New York", "placeId":"ChIJOwg_06VPwokRYv534QaPC8g" } },
    "classifications" : [ "music" ],
    "timezone":"America/New_York",   "startAt":"2026-06-12T20:00:00-04:00",
    "title" : "Jazz at the Docks", "channelId" : 42.0
  })";
  HttpReply second = post_event(base, reordered, with(bearer(), "Idempotency-Key", k_key));
  REQUIRE(second.status == 201);
  CHECK(parse(second.body)->getObject("doc")->getValue<int>("id") == parse(first.body)->getObject("doc")->getValue<int>("id"));
  CHECK(stored_events(base)->size() == 1);
}

TEST_CASE("idempotency: the same key with a changed payload is 409 conflict") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key)).status == 201);
  Obj changed = minimal_event();
  changed->set("title", "Jazz at the Docks (moved)");
  HttpReply r = post_event(base, stringify(changed), with(bearer(), "Idempotency-Key", k_key));
  check_envelope(r, 409, "conflict");
  CHECK(stored_events(base)->size() == 1);
}

TEST_CASE("idempotency: without a key every request creates") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  CHECK(stored_events(base)->size() == 2);
  CHECK(stored_events(base)->getObject(0)->isNull("idempotencyKey"));
}

TEST_CASE("idempotency: a failed request is not cached, the corrected resend creates") {
  std::string base = fresh_sandbox();
  Obj broken = minimal_event();
  broken->set("timezone", "America/Nowhere");
  check_envelope(post_event(base, stringify(broken), with(bearer(), "Idempotency-Key", k_key)), 400, "invalid_request");
  HttpReply fixed = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  CHECK(fixed.status == 201);
  CHECK(fixed.headers.count("idempotent-replayed") == 0);
  CHECK(stored_events(base)->size() == 1);
}

TEST_CASE("idempotency: entries belong to the API key that made them") {
  std::string base = fresh_sandbox();
  HttpReply a = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  HttpReply b = post_event(base, minimal_event_text(), with(bearer("c42-key"), "Idempotency-Key", k_key));
  REQUIRE(a.status == 201);
  REQUIRE(b.status == 201);
  CHECK(b.headers.count("idempotent-replayed") == 0);
  CHECK(stored_events(base)->size() == 2);
}

TEST_CASE("idempotency: after the TTL a resend is a new create, as on the real service") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key)).status == 201);
  // A TTL of 0 ends every window at once: what 15 minutes do on the real service.
  set_faults(base, R"({"idempotency_ttl_seconds":0})");
  HttpReply again = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  REQUIRE(again.status == 201);
  CHECK(parse(again.body)->getObject("doc")->getValue<int>("id") == 2);
  CHECK(stored_events(base)->size() == 2);
}

TEST_CASE("idempotency: a duplicate arriving while the first is in progress is 409") {
  std::string base = fresh_sandbox();
  // The first create claims its key, then sleeps until the latency is lowered below.
  set_faults(base, R"({"latency_ms":60000})");
  auto first = std::async(std::launch::async, [&] {
    return post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  });
  wait_keyed_creates_in_progress(base, 1);
  HttpReply second = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  check_envelope(second, 409, "conflict");
  set_faults(base, R"({"latency_ms":0})");
  CHECK(first.get().status == 201);
  CHECK(stored_events(base)->size() == 1);
}

TEST_CASE("idempotency: an in-progress entry older than its TTL no longer blocks") {
  std::string base = fresh_sandbox();
  set_faults(base, R"({"latency_ms":60000})");
  auto first = std::async(std::launch::async, [&] {
    return post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  });
  wait_keyed_creates_in_progress(base, 1);
  // A TTL of 0 ends the first claim's window at once, as a stuck request outliving it does.
  set_faults(base, R"({"in_progress_ttl_seconds":0})");
  auto second = std::async(std::launch::async, [&] {
    return post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", k_key));
  });
  wait_keyed_creates_in_progress(base, 2);  // the duplicate took the key over
  set_faults(base, R"({"latency_ms":0})");
  CHECK(second.get().status == 201);
  CHECK(first.get().status == 201);
  CHECK(stored_events(base)->size() == 2);  // the duplicate a stuck request can cause
}

TEST_CASE("idempotency: a malformed Idempotency-Key is rejected") {
  std::string base = fresh_sandbox();
  HttpReply r = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", std::string(300, 'k')));
  check_envelope(r, 400, "invalid_request");
  CHECK(error_field(r) == "Idempotency-Key");
}

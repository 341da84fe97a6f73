#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "agent/pinned/client.h"
#include "core/counting_transport.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/unit/agent/pinned/client_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using pinsync::testing::FakeClock;
using pinsync::testing::FakeTransport;

namespace {

using Fixture = pinsync::agent::test::ClientFixture;

const char* k_body = R"({"channelId":42,"title":"Rooftop Jazz"})";

}  // namespace

TEST_CASE("client: a create sends the key, the body and the bearer token, and reads the id") {
  Fixture f;
  f.transport.reply(201, R"({"doc":{"id":17,"title":"Rooftop Jazz"}})", {{"x-request-id", "req-1"}});
  auto c = f.client();
  const auto w = c.create_event(k_body, "pinsync-acme-E-1-create");
  CHECK(w.status == WriteStatus::ok);
  CHECK(w.event_id == 17);
  CHECK(w.request_id == "req-1");
  REQUIRE(f.transport.requests.size() == 1);
  const auto& r = f.transport.requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == "http://127.0.0.1:9/api/public/v1/events");
  CHECK(r.body == k_body);
  bool has_key = false, has_auth = false;
  for (const auto& [n, v] : r.headers) {
    has_key = has_key || (n == "Idempotency-Key" && v == "pinsync-acme-E-1-create");
    has_auth = has_auth || (n == "Authorization" && v == "Bearer secret-key-123");
  }
  CHECK(has_key);
  CHECK(has_auth);
  CHECK_NOT_CONTAINS(f.log_text.str(), "secret-key-123");
}

TEST_CASE("client: 429 and 500 are retried with the same key and body, honouring Retry-After") {
  Fixture f;
  f.transport.reply(429, R"({"error":{"code":"rate_limited","message":"slow down"}})", {{"retry-after", "7"}});
  f.transport.reply(500, R"({"error":{"code":"internal_error","message":"oops"}})");
  f.transport.reply(201, R"({"doc":{"id":3}})");
  auto c = f.client();
  const auto w = c.create_event(k_body, "k-1");
  CHECK(w.status == WriteStatus::ok);
  CHECK(w.attempts == 3);
  REQUIRE(f.transport.requests.size() == 3);
  for (const auto& r : f.transport.requests) CHECK(r.body == k_body);
  CHECK(f.clock.slept() >= std::chrono::seconds(7));
  CHECK(c.requests_sent() == 3);
}

TEST_CASE("client: a Retry-After given as an HTTP date is waited for too") {
  Fixture f;
  // The fake clock starts at 2023-11-14 22:13:20 UTC.
  f.transport.reply(429, R"({"error":{"code":"rate_limited","message":"slow down"}})",
                    {{"retry-after", "Tue, 14 Nov 2023 22:13:32 GMT"}});
  f.transport.reply(201, R"({"doc":{"id":3}})");
  auto c = f.client();
  CHECK(c.create_event(k_body, "k-1").status == WriteStatus::ok);
  CHECK(f.clock.slept() >= std::chrono::seconds(12));
}

TEST_CASE("client: a timeout after sending leaves a create in doubt when attempts run out") {
  Fixture f;
  for (int i = 0; i < 2; ++i) f.transport.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  auto c = f.client(RetryPolicy{2, std::chrono::milliseconds(10), std::chrono::milliseconds(20)});
  const auto w = c.create_event(k_body, "k-1");
  CHECK(w.status == WriteStatus::in_doubt);
  CHECK(w.http_status == 0);
}

TEST_CASE("client: connection refused before sending is retryable, not in doubt") {
  Fixture f;
  f.transport.fail(ErrorKind::transient, http::SendStage::not_sent);
  auto c = f.client(RetryPolicy{1, std::chrono::milliseconds(10), std::chrono::milliseconds(20)});
  CHECK(c.create_event(k_body, "k").status == WriteStatus::retryable);
}

TEST_CASE("client: 400 is invalid with the API's field; 401/403 are auth; 404 not_found; 409 conflict") {
  Fixture f;
  f.transport.reply(400, R"({"error":{"code":"invalid_request","message":"timezone is not a valid IANA zone","requestId":"r9","details":{"field":"timezone","issue":"unknown zone"}}})");
  f.transport.reply(401, R"({"error":{"code":"invalid_api_key","message":"revoked"}})");
  f.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"needs events:update"}})");
  f.transport.reply(404, R"({"error":{"code":"not_found","message":"no such event"}})");
  f.transport.reply(409, R"({"error":{"code":"conflict","message":"key reused"}})");
  auto c = f.client();
  const auto bad = c.create_event(k_body, "k");
  CHECK(bad.status == WriteStatus::invalid);
  CHECK(bad.field == "timezone");
  CHECK(bad.request_id == "r9");
  CHECK_CONTAINS(bad.message, "timezone is not a valid IANA zone");
  const auto unauth = c.create_event(k_body, "k");
  CHECK(unauth.status == WriteStatus::auth);
  CHECK_CONTAINS(unauth.message, "PINNED_EVENTS_API_KEY");
  const auto scope = c.update_event(5, k_body, "k");
  CHECK(scope.status == WriteStatus::auth);
  CHECK_CONTAINS(scope.message, "events:update");
  CHECK(f.transport.requests.back().method == "PATCH");
  CHECK(f.transport.requests.back().url.ends_with("/api/public/v1/events/5"));
  CHECK(c.update_event(5, k_body, "k").status == WriteStatus::not_found);
  CHECK(c.create_event(k_body, "k").status == WriteStatus::conflict);
  CHECK(f.transport.requests.size() == 5);  // none of these is retried
}

TEST_CASE("client: garbage answers are reported without crashing or echoing the body") {
  Fixture f;
  f.transport.reply(201, "");                                   // 201 with an empty body
  f.transport.reply(201, R"({"doc":{"id":"seven"}})");          // wrong type
  f.transport.reply(201, R"({"doc":{"title":"no id"}})");       // missing id
  f.transport.reply(201, R"({"doc":{"id":)");                   // truncated
  auto c = f.client(RetryPolicy{1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)});
  // Each says what was wrong with the answer, and that the event it made is unknown.
  for (const char* what : {"answered 201 with an empty body", "answered 201 with a doc.id that is not a number",
                           "answered 201 without doc.id", "answered 201 with truncated or malformed JSON"}) {
    const auto w = c.create_event(k_body, "k");
    CHECK(w.status == WriteStatus::in_doubt);
    CHECK_MESSAGE(w.message == std::string("Pinned Events ") + what + ", so the event it made is unknown", w.message);
  }
  f.transport.reply(200, "");
  const auto patched = c.update_event(5, k_body, "k");
  CHECK(patched.status == WriteStatus::in_doubt);
  CHECK(patched.message == "Pinned Events answered 200 with an empty body, so the event it changed is unknown");
  f.transport.reply(502, "<html><body>Bad Gateway</body></html>", {{"content-type", "text/html"}});
  const auto html = c.create_event(k_body, "k");
  CHECK(html.status == WriteStatus::in_doubt);
  CHECK(html.message == "Pinned Events answered 502 with an HTML page (1 attempt)");
  CHECK_NOT_CONTAINS(html.message, "Bad Gateway");
}

TEST_CASE("client: listings with bad answers fail with what was wrong, never a partial list") {
  Fixture f;
  f.transport.reply(200, R"({"docs":[{"id":42,"name":"A"},{"id":"abc","name":"B"}],"hasNextPage":false})");
  f.transport.reply(200, R"({"docs":[{"name":"B"}],"hasNextPage":false})");
  f.transport.reply(200, R"({"docs":[{"id":4)");
  f.transport.reply(200, R"({"docs":[{"slug":"music"},{"slug":42}]})");
  f.transport.reply(200, "", {{"content-type", "application/json"}});
  f.transport.reply(502, "<!DOCTYPE html><html>502</html>", {{"content-type", "text/html"}});
  auto c = f.client(RetryPolicy{1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)});
  const auto wrong_type = c.channels();
  REQUIRE(!wrong_type);
  CHECK(wrong_type.error().message == "Pinned Events GET /api/public/v1/channels: docs[1].id is not a number");
  const auto missing = c.channels();
  REQUIRE(!missing);
  CHECK(missing.error().message == "Pinned Events GET /api/public/v1/channels: docs[0] has no id");
  const auto truncated = c.channels();
  REQUIRE(!truncated);
  CHECK(truncated.error().kind == ErrorKind::invalid);
  CHECK(truncated.error().message.starts_with("Pinned Events GET /api/public/v1/channels?limit=100&page=1: answered "
                                              "200 with truncated or malformed JSON"));
  const auto slug = c.classifications();
  REQUIRE(!slug);
  CHECK(slug.error().message == "Pinned Events GET /api/public/v1/classifications: entry 1 has no slug string");
  const auto empty = c.classifications();
  REQUIRE(!empty);
  CHECK_CONTAINS(empty.error().message, "answered 200 with an empty body");
  const auto html = c.classifications();
  REQUIRE(!html);
  CHECK(html.error().kind == ErrorKind::transient);
  CHECK(html.error().message == "Pinned Events GET /api/public/v1/classifications: answered 502 with an HTML page");
  CHECK_NOT_CONTAINS(f.log_text.str(), "secret-key-123");
}

// Regression (found by fuzz_pinned_api): an error message that echoes the API key went
// into the row's reason, printed by sync and stored in the state file.
TEST_CASE("client: an answer that echoes the API key never carries it into a message") {
  Fixture f;
  f.transport.reply(409, R"({"error":{"code":"conflict","message":"key secret-key-123 is busy"}})",
                    {{"x-request-id", "req-secret-key-123"}});
  f.transport.reply(400, R"({"error":{"code":"invalid_request","message":"bad","details":{"field":"title",)"
                         R"("issue":"sent with Bearer secret-key-123"}}})");
  f.transport.reply(403, R"({"error":{"code":"forbidden","message":"secret-key-123 may not"}})");
  auto c = f.client();
  const auto conflict = c.create_event(k_body, "k");
  CHECK_NOT_CONTAINS(conflict.message, "secret-key-123");
  CHECK_CONTAINS(conflict.message, "is busy");
  CHECK_NOT_CONTAINS(conflict.request_id, "secret-key-123");
  const auto invalid = c.create_event(k_body, "k");
  CHECK(invalid.status == WriteStatus::invalid);
  CHECK_NOT_CONTAINS(invalid.message, "secret-key-123");
  const auto listing = c.channels();
  REQUIRE(!listing);
  CHECK_NOT_CONTAINS(listing.error().message, "secret-key-123");
}

TEST_CASE("client: classifications accept the docs envelope and plain lists") {
  Fixture f;
  f.transport.reply(200, R"({"docs":[{"slug":"music","name":"Music"},{"slug":"comedy"}],"totalDocs":2})");
  f.transport.reply(200, R"(["film","arts"])");
  f.transport.reply(403, R"({"error":{"code":"forbidden","message":"no"}})");
  auto c = f.client();
  auto a = c.classifications();
  REQUIRE(a);
  CHECK(*a == std::set<std::string>{"comedy", "music"});
  auto b = c.classifications();
  REQUIRE(b);
  CHECK(b->contains("film"));
  auto denied = c.classifications();
  REQUIRE(!denied);
  CHECK(denied.error().kind == ErrorKind::auth);
}

TEST_CASE("client: channels follow hasNextPage across pages") {
  Fixture f;
  f.transport.reply(200, R"({"docs":[{"id":42,"name":"Valencia Live Music"}],"page":1,"limit":100,"totalDocs":2,"totalPages":2,"hasNextPage":true,"hasPrevPage":false})");
  f.transport.reply(200, R"({"docs":[{"id":43,"name":"Other"}],"page":2,"limit":100,"totalDocs":2,"totalPages":2,"hasNextPage":false,"hasPrevPage":true})");
  auto c = f.client();
  auto ch = c.channels();
  REQUIRE(ch);
  REQUIRE(ch->size() == 2);
  CHECK((*ch)[0].id == 42);
  CHECK((*ch)[0].name == "Valencia Live Music");
  CHECK_CONTAINS(f.transport.requests[1].url, "page=2");
}

TEST_CASE("backoff: full jitter stays under the cap and never before Retry-After") {
  Backoff b(RetryPolicy{5, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)}, 42);
  for (int retry = 1; retry <= 10; ++retry) {
    const auto d = b.delay(retry, std::nullopt);
    CHECK(d >= std::chrono::milliseconds(0));
    CHECK(d <= std::chrono::milliseconds(std::min(1000, 100 << std::min(retry - 1, 20))));
  }
  CHECK(b.delay(1, std::chrono::seconds(3)) >= std::chrono::seconds(3));
}

TEST_CASE("client: an exhausted X-RateLimit quota holds the next request until about its reset") {
  Fixture f;
  auto limiter = std::make_shared<RateLimiter>(f.clock, 0, 1);
  PinnedClient c(f.config, f.transport, f.log, f.clock, RetryPolicy{}, limiter);
  f.transport.reply(201, R"({"doc":{"id":1}})", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "4"}});
  f.transport.reply(201, R"({"doc":{"id":2}})", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1"}});
  f.transport.reply(201, R"({"doc":{"id":3}})", {{"x-ratelimit-remaining", "7"}, {"x-ratelimit-reset", "1"}});
  f.transport.reply(201, R"({"doc":{"id":4}})");
  REQUIRE(c.create_event(k_body, "k-1").status == WriteStatus::ok);
  auto before = f.clock.monotonic();
  REQUIRE(c.create_event(k_body, "k-2").status == WriteStatus::ok);
  CHECK(f.clock.monotonic() - before >= std::chrono::seconds(3));  // 4 s rounded up: at least 3 are sure
  // A reset within the second (rounded up to 1) and a quota not used up hold nothing.
  before = f.clock.monotonic();
  REQUIRE(c.create_event(k_body, "k-3").status == WriteStatus::ok);
  REQUIRE(c.create_event(k_body, "k-4").status == WriteStatus::ok);
  CHECK(f.clock.monotonic() - before < std::chrono::milliseconds(10));
}

TEST_CASE("client: a scope probe is one request the scope guards, answered with its status and error code") {
  Fixture f;
  f.transport.reply(403, R"({"error":{"code":"insufficient_scope","message":"needs events:create"}})");
  f.transport.reply(503, "");
  auto c = f.client();
  const auto missing = c.probe_scope("events:create");
  CHECK(missing.status == 403);
  CHECK(missing.code == "insufficient_scope");
  REQUIRE(f.transport.requests.size() == 1);
  const auto& create = f.transport.requests[0];
  CHECK(create.method == "POST");
  CHECK(create.url == "http://127.0.0.1:9/api/public/v1/events");
  CHECK(create.body == "{}");
  for (const auto& [name, value] : create.headers) CHECK(name != "Idempotency-Key");
  // A probe says what the API answers now: no retry of a 503.
  const auto down = c.probe_scope("channels:read");
  CHECK(down.status == 503);
  CHECK(down.code.empty());
  REQUIRE(f.transport.requests.size() == 2);
  CHECK(f.transport.requests[1].url.ends_with("/api/public/v1/channels?limit=1"));
  CHECK(c.probe_scope("events:delete").status == 0);  // no request for a scope it does not know
  CHECK(f.transport.requests.size() == 2);
  CHECK(c.requests_sent() == 2);
}

// Regression: a client stopped before its first attempt read an absent transport failure.
TEST_CASE("client: stopped before anything was sent, a read fails transient and a write stays retryable") {
  Fixture f;
  auto limiter = std::make_shared<RateLimiter>(f.clock, 1, 1);
  REQUIRE(limiter->acquire());  // the only token: the next request waits, and the clock is stopped
  f.clock.stop();
  PinnedClient c(f.config, f.transport, f.log, f.clock, RetryPolicy{}, limiter);
  const auto read = c.classifications();
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().kind == ErrorKind::transient);
  CHECK(read.error().message == "Pinned Events GET /api/public/v1/classifications: stopped before it was sent");
  const auto write = c.create_event(k_body, "k-1");
  CHECK(write.status == WriteStatus::retryable);
  CHECK(write.attempts == 0);
  CHECK(f.transport.requests.empty());
}

// The labels pinsync_api_requests_total documents (README): the client names its routes,
// core/counting_transport.h no longer reads them from URLs.
TEST_CASE("client: every request carries its api and route template for the request counts") {
  Fixture f;
  f.transport.reply(201, R"({"doc":{"id":1}})");
  f.transport.reply(200, R"({"doc":{"id":5}})");
  f.transport.reply(200, R"({"docs":[],"hasNextPage":false})");
  f.transport.reply(200, R"(["music"])");
  f.transport.reply(200, R"({"id":5})");
  f.transport.reply(200, R"({"docs":[],"limit":100})");
  f.transport.reply(403, "");
  auto c = f.client();
  (void)c.create_event(k_body, "k-1");
  (void)c.update_event(5, k_body, "k-2");
  (void)c.channels();
  (void)c.classifications();
  (void)c.get_event(5);
  (void)c.find_created_events(std::vector<std::string>{k_body});
  (void)c.probe_scope("events:update");
  std::vector<std::string> labels;
  for (const auto& r : f.transport.requests) {
    const auto l = http::route_label(r);
    labels.push_back(l.api + " " + l.route);
  }
  CHECK(labels == std::vector<std::string>{"pinned POST /events", "pinned PATCH /events/{id}", "pinned GET /channels",
                                           "pinned GET /classifications", "pinned GET /events/{id}",
                                           "pinned GET /events", "pinned PATCH /events/{id}"});
}

TEST_CASE("client: a 5xx answer is a warn line naming the source, with numbers as JSON numbers, not strings") {
  FakeTransport transport;
  FakeClock clock;
  clock.set_unix_seconds(1796192752);  // 2026-12-02T06:25:52Z
  std::ostringstream log_text;
  Logger log(log_text, LogLevel::info, LogFormat::json, clock);
  PinnedConfig config;
  config.base_url = "http://127.0.0.1:9";
  config.api_key = "secret-key-123";
  PinnedClient c(config, transport, log, clock);
  c.set_log_source("acme");
  transport.reply(503, R"({"error":{"code":"unavailable","message":"down"}})", {{"x-request-id", "req-9"}});
  transport.reply(201, R"({"doc":{"id":3}})");
  const auto w = c.create_event(k_body, "k-1");
  CHECK(w.status == WriteStatus::ok);
  const std::string text = log_text.str();
  // At the default level (info) the 503 is seen; the 201 (a debug line) is not.
  const auto first = text.substr(0, text.find('\n'));
  CHECK(first == R"({"time":"2026-12-02T06:25:52.000Z","level":"warn","msg":"Pinned Events answered 503",)"
                 R"("source":"acme","method":"POST","route":"/api/public/v1/events","status":503,"duration_ms":0,)"
                 R"("request_id":"req-9"})");
  CHECK_CONTAINS(text, R"("level":"info","msg":"retrying","source":"acme","route":"/api/public/v1/events","attempt":2,)");
  CHECK_NOT_CONTAINS(text, "\"status\":201");
  CHECK_NOT_CONTAINS(text, "secret-key-123");
}

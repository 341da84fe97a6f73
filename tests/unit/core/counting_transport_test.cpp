// CountingTransport (core/counting_transport.h): requests counted by the api and route
// template their sender labelled them with, and status; URLs (ids, ranges, query strings
// that may hold secrets) are never read.
#include <doctest/doctest.h>

#include "core/counting_transport.h"
#include "tests/support/fake_transport.h"

using namespace pinsync;
using pinsync::testing::FakeTransport;

namespace {

http::Request req(std::string method, std::string url, std::string api = "", std::string route = "") {
  http::Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.api = std::move(api);
  r.route = std::move(route);
  return r;
}

std::string label_of(const http::Request& r) {
  const auto l = http::route_label(r);
  return l.api + " " + l.route;
}

}  // namespace

TEST_CASE("route labels: what the sender put on the request, never read from the URL") {
  CHECK(label_of(req("POST", "https://pinned.events/api/public/v1/events", "pinned", "/events")) ==
        "pinned POST /events");
  CHECK(label_of(req("PATCH", "http://127.0.0.1:9/api/public/v1/events/123", "pinned", "/events/{id}")) ==
        "pinned PATCH /events/{id}");
  // A URL that looks like an API but was not labelled is counted as other: core does not
  // know any API's layout (a new connector labels its own requests).
  CHECK(label_of(req("GET", "https://pinned.events/api/public/v1/events/7?key=SECRET")) == "other GET (other)");
  CHECK(label_of(req("GET", "https://example.com/whatever")) == "other GET (other)");
  CHECK(label_of(req("GET", "https://example.com/x", "csv", "")) == "csv GET (other)");
}

TEST_CASE("counting transport: counts every request by status, failures as error, and passes answers through") {
  auto fake = std::make_unique<FakeTransport>();
  FakeTransport& script = *fake;
  script.reply(201, R"({"doc":{"id":1}})");
  script.reply(201, R"({"doc":{"id":2}})");
  script.reply(429, "");
  script.fail(ErrorKind::timeout, http::SendStage::maybe_sent);
  http::RequestCounter counter;
  http::CountingTransport transport(std::move(fake), counter);
  const auto post = req("POST", "http://127.0.0.1:1/api/public/v1/events", "pinned", "/events");
  auto first = transport.send(post);
  REQUIRE(first.has_value());
  CHECK(first->body == R"({"doc":{"id":1}})");
  (void)transport.send(post);
  (void)transport.send(post);
  CHECK_FALSE(transport.send(req("PATCH", "http://127.0.0.1:1/api/public/v1/events/7", "pinned", "/events/{id}"))
                  .has_value());
  CHECK(script.requests.size() == 4);

  const auto counts = counter.snapshot();
  REQUIRE(counts.size() == 3);
  CHECK(counts[0].route == "PATCH /events/{id}");
  CHECK(counts[0].status == "error");
  CHECK(counts[0].count == 1);
  CHECK(counts[1].route == "POST /events");
  CHECK(counts[1].status == "201");
  CHECK(counts[1].count == 2);
  CHECK(counts[2].status == "429");
  CHECK(counts[2].api == "pinned");
}

// CountingTransport (core/counting_transport.h): requests counted by api, route template
// and status, with ids, ranges and query strings (which may hold secrets) left out.
#include <doctest/doctest.h>

#include "core/counting_transport.h"
#include "tests/support/fake_transport.h"

using namespace pinsync;
using pinsync::testing::FakeTransport;

namespace {

http::Request req(std::string method, std::string url) {
  http::Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  return r;
}

std::string label_of(const std::string& method, const std::string& url) {
  const auto l = http::route_label(req(method, url));
  return l.api + " " + l.route;
}

}  // namespace

TEST_CASE("route labels: one template per API route, no ids, ranges or query strings") {
  CHECK(label_of("POST", "https://pinned.events/api/public/v1/events") == "pinned POST /events");
  CHECK(label_of("PATCH", "http://127.0.0.1:9/api/public/v1/events/123") == "pinned PATCH /events/{id}");
  CHECK(label_of("GET", "https://pinned.events/api/public/v1/channels?page=2&limit=100") == "pinned GET /channels");
  CHECK(label_of("GET", "https://sheets.googleapis.com/v4/spreadsheets/1AbC?fields=sheets&key=AIzaSECRET") ==
        "sheets GET /v4/spreadsheets/{id}");
  CHECK(label_of("GET", "https://sheets.googleapis.com/v4/spreadsheets/1AbC/values:batchGet?ranges=A1") ==
        "sheets GET /v4/spreadsheets/{id}/values:batchGet");
  CHECK(label_of("PUT", "https://sheets.googleapis.com/v4/spreadsheets/1AbC/values/Sheet1!A1") ==
        "sheets PUT /v4/spreadsheets/{id}/values/{range}");
  CHECK(label_of("GET", "https://api.airtable.com/v0/appX/Events?offset=itr1") == "airtable GET /v0/{base}/{table}");
  CHECK(label_of("PATCH", "https://api.airtable.com/v0/appX/Events/recY") == "airtable PATCH /v0/{base}/{table}/{record}");
  CHECK(label_of("GET", "https://api.airtable.com/v0/meta/bases/appX/tables") ==
        "airtable GET /v0/meta/bases/{base}/tables");
  CHECK(label_of("POST", "https://oauth2.googleapis.com/token") == "google_oauth POST /token");
  CHECK(label_of("GET", "https://example.com/export/partner.csv?token=abc") == "csv GET (csv)");
  CHECK(label_of("GET", "https://example.com/whatever") == "other GET (other)");
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
  const auto post = req("POST", "http://127.0.0.1:1/api/public/v1/events");
  auto first = transport.send(post);
  REQUIRE(first.has_value());
  CHECK(first->body == R"({"doc":{"id":1}})");
  (void)transport.send(post);
  (void)transport.send(post);
  CHECK_FALSE(transport.send(req("PATCH", "http://127.0.0.1:1/api/public/v1/events/7")).has_value());
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

#include <doctest/doctest.h>

#include <memory>

#include "connectors/csv.h"
#include "tests/support/fake_transport.h"
#include "tests/support/temp_dir.h"

using pinsync::ErrorKind;
using pinsync::connectors::ConnectorContext;
using pinsync::connectors::CsvConnector;
using pinsync::connectors::CsvSettings;
using pinsync::testing::FakeTransport;
using pinsync::testing::TempDir;

namespace {

// A context whose transport is the given fake; the fake outlives the connector call.
ConnectorContext context_for(std::shared_ptr<FakeTransport> fake) {
  ConnectorContext context;
  context.make_transport = [fake]() -> std::unique_ptr<pinsync::http::Transport> {
    struct Forward final : pinsync::http::Transport {
      std::shared_ptr<FakeTransport> target;
      std::expected<pinsync::http::Response, pinsync::http::TransportError> send(
          const pinsync::http::Request& r) override {
        return target->send(r);
      }
    };
    auto forward = std::make_unique<Forward>();
    forward->target = fake;
    return forward;
  };
  context.timeout = std::chrono::milliseconds{1234};
  return context;
}

const std::string k_url = "https://docs.google.com/spreadsheets/d/e/abc/pub?output=csv&key=SECRET123";

}  // namespace

TEST_CASE("csv connector: reads a local file, row refs use the file name only") {
  TempDir dir;
  const auto path = dir.write("partner.csv", "ID,Title\n1,Jazz\n");
  CsvConnector connector(CsvSettings{path, "", "acme"}, ConnectorContext{});
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  REQUIRE(table->rows.size() == 1);
  CHECK(table->rows[0].row_ref == "partner.csv:2");
}

TEST_CASE("csv connector: an unreadable file names the path and the system's reason") {
  TempDir dir;
  CsvConnector missing(CsvSettings{dir / "absent.csv", "", "acme"}, ConnectorContext{});
  auto r = missing.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message == "acme: cannot read " + (dir / "absent.csv").string() + ": No such file or directory");

  CsvConnector folder(CsvSettings{dir.path(), "", ""}, ConnectorContext{});
  auto f = folder.fetch();
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().message.find("Is a directory") != std::string::npos);
}

TEST_CASE("csv connector: parse errors carry the source name and file reference") {
  TempDir dir;
  const auto path = dir.write("partner.csv", "ID,ID\n1,2\n");
  auto r = CsvConnector(CsvSettings{path, "", "acme"}, ConnectorContext{}).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.starts_with("acme: partner.csv:1: column \"ID\" appears twice"));
}

TEST_CASE("csv connector: fetches a URL with GET through the context's transport") {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply(200, "ID,Title\r\n1,Jazz\r\n", {{"content-type", "text/csv; charset=utf-8"}});
  CsvConnector connector(CsvSettings{{}, k_url, "acme"}, context_for(fake));
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->rows.at(0).row_ref == "csv-url:2");
  REQUIRE(fake->requests.size() == 1);
  CHECK(fake->requests[0].method == "GET");
  CHECK(fake->requests[0].url == k_url);
  CHECK(fake->requests[0].timeout == std::chrono::milliseconds{1234});
}

TEST_CASE("csv connector: a non-2xx answer names the URL without its query string") {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply(404, "Not Found");
  auto r = CsvConnector(CsvSettings{{}, k_url, "acme"}, context_for(fake)).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.starts_with(
      "acme: GET https://docs.google.com/spreadsheets/d/e/abc/pub answered HTTP 404"));
  CHECK(r.error().message.find("SECRET123") == std::string::npos);
  CHECK(r.error().message.find("output=csv") == std::string::npos);

  auto busy = std::make_shared<FakeTransport>();
  busy->reply(429, "", {{"retry-after", "17"}});
  auto limited = CsvConnector(CsvSettings{{}, k_url, ""}, context_for(busy)).fetch();
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().kind == ErrorKind::rate_limited);
  CHECK(limited.error().retry_after == std::chrono::seconds{17});

  auto down = std::make_shared<FakeTransport>();
  down->reply(503, "");
  CHECK(CsvConnector(CsvSettings{{}, k_url, ""}, context_for(down)).fetch().error().kind == ErrorKind::transient);
}

TEST_CASE("csv connector: credentials in the URL never reach a message") {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply(403, "");
  auto r = CsvConnector(CsvSettings{{}, "https://user:hunter2@example.com/x.csv?t=1", ""}, context_for(fake)).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK(r.error().message.starts_with("GET https://example.com/x.csv answered HTTP 403"));
  CHECK(r.error().message.find("hunter2") == std::string::npos);
}

TEST_CASE("csv connector: an HTML page where CSV was expected is a clear error") {
  auto by_body = std::make_shared<FakeTransport>();
  by_body->reply(200, "\n  <!DOCTYPE html><html><title>Sign in - Google Accounts</title>");
  auto r = CsvConnector(CsvSettings{{}, k_url, "acme"}, context_for(by_body)).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message ==
        "acme: https://docs.google.com/spreadsheets/d/e/abc/pub returned an HTML page, not CSV: "
        "is the sheet published to the web as CSV?");

  auto by_type = std::make_shared<FakeTransport>();
  by_type->reply(200, "ID,Title\n", {{"content-type", "text/html; charset=utf-8"}});
  auto t = CsvConnector(CsvSettings{{}, k_url, ""}, context_for(by_type)).fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().message.find("returned an HTML page, not CSV") != std::string::npos);
}

TEST_CASE("csv connector: a transport failure keeps its kind and names the URL") {
  auto fake = std::make_shared<FakeTransport>();
  fake->fail(ErrorKind::timeout, pinsync::http::SendStage::maybe_sent);
  auto r = CsvConnector(CsvSettings{{}, k_url, ""}, context_for(fake)).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::timeout);
  CHECK(r.error().message.starts_with("GET https://docs.google.com/spreadsheets/d/e/abc/pub failed: "));
}

TEST_CASE("csv connector: neither path nor url is a config error") {
  auto r = CsvConnector(CsvSettings{}, ConnectorContext{}).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
}

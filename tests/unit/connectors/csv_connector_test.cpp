#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <memory>

#include "connectors/csv.h"
#include "core/counting_transport.h"
#include "tests/support/connector_world.h"
#include "tests/support/temp_dir.h"

using pinsync::ErrorKind;
using pinsync::connectors::CsvConnector;
using pinsync::connectors::CsvSettings;
using pinsync::testing::ConnectorWorld;
using pinsync::testing::TempDir;

namespace {

// A world whose transports answer from its FakeTransport, with a timeout to recognise.
struct World : ConnectorWorld {
  World() { timeout = std::chrono::milliseconds{1234}; }
};

const std::string k_url = "https://docs.google.com/spreadsheets/d/e/abc/pub?output=csv&key=SECRET123";

}  // namespace

TEST_CASE("csv connector: reads a local file, row refs use the file name only") {
  TempDir dir;
  const auto path = dir.write("partner.csv", "ID,Title\n1,Jazz\n");
  World world;
  CsvConnector connector(CsvSettings{path, ""}, world.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  REQUIRE(table->rows.size() == 1);
  CHECK(table->rows[0].row_ref == "partner.csv:2");
}

TEST_CASE("csv connector: an unreadable file names the path and the system's reason") {
  TempDir dir;
  World world;
  CsvConnector missing(CsvSettings{dir / "absent.csv", ""}, world.context());
  auto r = missing.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message == "cannot read " + (dir / "absent.csv").string() + ": No such file or directory");

  CsvConnector folder(CsvSettings{dir.path(), ""}, world.context());
  auto f = folder.fetch();
  REQUIRE_FALSE(f.has_value());
  CHECK_CONTAINS(f.error().message, "Is a directory");
}

TEST_CASE("csv connector: parse errors carry the file reference") {
  TempDir dir;
  const auto path = dir.write("partner.csv", "ID,ID\n1,2\n");
  auto r = CsvConnector(CsvSettings{path, ""}, World().context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.starts_with("partner.csv:1: column \"ID\" appears twice"));
}

TEST_CASE("csv connector: fetches a URL with GET through the context's transport") {
  World fake;
  fake.fake->reply(200, "ID,Title\r\n1,Jazz\r\n", {{"content-type", "text/csv; charset=utf-8"}});
  CsvConnector connector(CsvSettings{{}, k_url}, fake.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  CHECK(table->rows.at(0).row_ref == "csv-url:2");
  REQUIRE(fake.requests().size() == 1);
  CHECK(fake.requests()[0].method == "GET");
  CHECK(fake.requests()[0].url == k_url);
  CHECK(fake.requests()[0].timeout == std::chrono::milliseconds{1234});
  const auto label = pinsync::http::route_label(fake.requests()[0]);
  CHECK(label.api + " " + label.route == "csv GET (csv)");
}

TEST_CASE("csv connector: a non-2xx answer names the URL without its query string") {
  World fake;
  fake.fake->reply(404, "Not Found");
  auto r = CsvConnector(CsvSettings{{}, k_url}, fake.context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.starts_with(
      "GET https://docs.google.com/spreadsheets/d/e/abc/pub answered HTTP 404"));
  CHECK_NOT_CONTAINS(r.error().message, "SECRET123");
  CHECK_NOT_CONTAINS(r.error().message, "output=csv");

  World busy;
  busy.fake->reply(429, "", {{"retry-after", "17"}});
  auto limited = CsvConnector(CsvSettings{{}, k_url}, busy.context()).fetch();
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().kind == ErrorKind::rate_limited);
  CHECK(limited.error().retry_after == std::chrono::seconds{17});

  World down;
  down.fake->reply(503, "");
  CHECK(CsvConnector(CsvSettings{{}, k_url}, down.context()).fetch().error().kind == ErrorKind::transient);
}

TEST_CASE("csv connector: credentials in the URL never reach a message") {
  World fake;
  fake.fake->reply(403, "");
  auto r = CsvConnector(CsvSettings{{}, "https://user:hunter2@example.com/x.csv?t=1"}, fake.context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK(r.error().message.starts_with("GET https://example.com/x.csv answered HTTP 403"));
  CHECK_NOT_CONTAINS(r.error().message, "hunter2");
}

TEST_CASE("csv connector: an HTML page where CSV was expected is a clear error") {
  World by_body;
  by_body.fake->reply(200, "\n  <!DOCTYPE html><html><title>Sign in - Google Accounts</title>");
  auto r = CsvConnector(CsvSettings{{}, k_url}, by_body.context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message ==
        "https://docs.google.com/spreadsheets/d/e/abc/pub returned an HTML page, not CSV: "
        "is the sheet published to the web as CSV?");

  World by_type;
  by_type.fake->reply(200, "ID,Title\n", {{"content-type", "text/html; charset=utf-8"}});
  auto t = CsvConnector(CsvSettings{{}, k_url}, by_type.context()).fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK_CONTAINS(t.error().message, "returned an HTML page, not CSV");
}

TEST_CASE("csv connector: a transport failure keeps its kind and names the URL") {
  World fake;
  fake.fake->fail(ErrorKind::timeout, pinsync::http::SendStage::maybe_sent);
  auto r = CsvConnector(CsvSettings{{}, k_url}, fake.context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::timeout);
  CHECK(r.error().message.starts_with("GET https://docs.google.com/spreadsheets/d/e/abc/pub failed: "));
}

TEST_CASE("csv connector: neither path nor url is a config error") {
  auto r = CsvConnector(CsvSettings{}, World().context()).fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
}

namespace {

// Counts the rows a read hands over, and how many had come when the first one did.
struct Counting final : pinsync::connectors::RowSink {
  pinsync::Result<void> begin(const pinsync::connectors::Table& header) override {
    columns = header.columns;
    return {};
  }
  void row(pinsync::connectors::Row&& r) override {
    ++rows;
    last = std::move(r);
  }
  std::vector<std::string> columns;
  int rows = 0;
  pinsync::connectors::Row last;
};

}  // namespace

TEST_CASE("csv connector: a file is parsed while it is read, never held whole") {
  // 200,000 rows (about 4 MB) with max_bytes at 1 MB: a reader that held the file before
  // parsing would stop at the byte limit; this one stops at max_rows, long before.
  TempDir dir;
  std::string text = "ID,Title\n";
  for (int i = 0; i < 200'000; ++i) text += "E-" + std::to_string(i) + ",A show of some length\n";
  const auto path = dir.write("big.csv", text);
  CsvSettings settings{path, ""};
  settings.max_bytes = 1024 * 1024;
  settings.max_rows = 1000;
  World world;
  Counting sink;
  auto r = CsvConnector(settings, world.context()).read(sink, false);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK_CONTAINS(r.error().message, "big.csv has more than max_rows (1000) rows");
  CHECK(sink.rows == 1000);

  // Without the row limit the byte limit holds, naming the file.
  settings.max_rows = 0;
  Counting all;
  auto bytes = CsvConnector(settings, world.context()).read(all, false);
  REQUIRE_FALSE(bytes.has_value());
  CHECK_CONTAINS(bytes.error().message, "is larger than max_bytes (1048576 bytes)");

  // With room for it, every row arrives in order, the last with its own line.
  settings.max_bytes = 16 * 1024 * 1024;
  Counting whole;
  REQUIRE(CsvConnector(settings, world.context()).read(whole, false));
  CHECK(whole.columns == std::vector<std::string>{"ID", "Title"});
  CHECK(whole.rows == 200'000);
  CHECK(whole.last.row_ref == "big.csv:200001");
  CHECK(whole.last.cells[0] == "E-199999");
}

TEST_CASE("csv connector: a download is parsed piece by piece as it arrives") {
  std::string csv = "\xEF\xBB\xBFID,Title\r\n";
  for (int i = 1; i <= 200; ++i) csv += std::to_string(i) + ",\"Show, \"\"" + std::to_string(i) + "\"\"\"\r\n";
  World whole;
  whole.fake->reply(200, csv);
  auto expected = CsvConnector(CsvSettings{{}, k_url}, whole.context()).fetch();
  REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
  REQUIRE(expected->rows.size() == 200);
  for (const std::size_t piece : {1u, 2u, 7u, 4096u}) {
    World streamed;
    streamed.fake->stream_piece = piece;
    streamed.fake->reply(200, csv);
    auto t = CsvConnector(CsvSettings{{}, k_url}, streamed.context()).fetch();
    REQUIRE_MESSAGE(t.has_value(), t.error().message);
    REQUIRE(t->rows.size() == 200);
    CHECK(t->rows[199].cells == expected->rows[199].cells);
    CHECK(t->rows[199].row_ref == "csv-url:201");
  }
}

TEST_CASE("csv connector: a streamed HTML page or broken CSV ends the download with its own message") {
  World page;
  page.fake->stream_piece = 64;
  page.fake->reply(200, "<!DOCTYPE html><html>" + std::string(1000, ' ') + "</html>");
  auto p = CsvConnector(CsvSettings{{}, k_url}, page.context()).fetch();
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().kind == ErrorKind::config);
  CHECK_CONTAINS(p.error().message, "returned an HTML page, not CSV");

  World broken;
  broken.fake->stream_piece = 5;
  broken.fake->reply(200, "ID,ID\n1,2\n");
  auto b = CsvConnector(CsvSettings{{}, k_url}, broken.context()).fetch();
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().message.starts_with("csv-url:1: column \"ID\" appears twice"));
}

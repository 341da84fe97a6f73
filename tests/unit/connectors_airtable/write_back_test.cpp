#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <simdjson.h>

#include "connectors/airtable.h"
#include "core/counting_transport.h"
#include "tests/unit/connectors_airtable/harness.h"

using namespace pinsync::connectors;
using namespace pinsync::testing;
using pinsync::ErrorKind;

namespace {

AirtableSettings write_back_settings() {
  auto s = settings();
  s.fields = {"Name", "Approved"};
  s.write_back.event_id_column = "Pinned ID";
  s.write_back.status_column = "Sync status";
  s.write_back.error_column = "Sync error";
  return s;
}

std::string record_id(int i) {
  std::string n = std::to_string(i);
  return "recWB" + std::string(12 - n.size(), '0') + n;
}

// 25 records; records 0 and 1 already hold what the results will say.
std::string twenty_five_records() {
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < 25; ++i) {
    std::string fields = R"({"Name":"Event )" + std::to_string(i) + R"(","Approved":true)";
    if (i < 2) fields += R"(,"Pinned ID":"ev)" + std::to_string(i) + R"(","Sync status":"synced")";
    if (i == 2) fields += R"(,"Pinned ID":"ev2","Sync status":"failed","Sync error":"timeout")";
    fields += '}';
    records.emplace_back(record_id(i), fields);
  }
  return page(records);
}

std::vector<RowResult> results_for_all() {
  std::vector<RowResult> out;
  for (int i = 0; i < 25; ++i) out.push_back({record_id(i), record_id(i), "ev" + std::to_string(i), "synced", ""});
  return out;
}

struct PatchRecord {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;  // null written as "<null>"
};

std::vector<PatchRecord> parse_patch(const std::string& body, bool& typecast) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(body).get(root) == simdjson::SUCCESS);
  REQUIRE(root["typecast"].get_bool().get(typecast) == simdjson::SUCCESS);
  simdjson::dom::array records;
  REQUIRE(root["records"].get_array().get(records) == simdjson::SUCCESS);
  std::vector<PatchRecord> out;
  for (simdjson::dom::element r : records) {
    PatchRecord p;
    std::string_view id;
    REQUIRE(r["id"].get_string().get(id) == simdjson::SUCCESS);
    p.id = std::string(id);
    simdjson::dom::object fields;
    REQUIRE(r["fields"].get_object().get(fields) == simdjson::SUCCESS);
    for (auto f : fields) {
      std::string_view v;
      if (f.value.is_null()) p.fields.emplace_back(std::string(f.key), "<null>");
      else if (f.value.get_string().get(v) == simdjson::SUCCESS) p.fields.emplace_back(std::string(f.key), std::string(v));
      else FAIL("unexpected value type in PATCH body");
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

TEST_CASE("airtable write-back: only changed records, in PATCH batches of 10, only the write-back fields") {
  Harness h;
  h.fake->reply(200, twenty_five_records());
  for (int i = 0; i < 3; ++i) h.fake->reply(200, R"({"records":[]})");
  AirtableConnector connector(write_back_settings(), h.context());
  REQUIRE(connector.writes_back());
  REQUIRE(connector.fetch().has_value());
  // The write-back fields were requested although they are not columns.
  CHECK(query_values(h.requests()[0].url, "fields%5B%5D") ==
        std::vector<std::string>{"Name", "Approved", "Pinned ID", "Sync status", "Sync error"});

  auto results = results_for_all();  // records 0 and 1 unchanged: 23 changes
  auto report = connector.write_back(results);
  REQUIRE_MESSAGE(report.has_value(), report.error().message);
  REQUIRE(h.requests().size() == 4);
  CHECK(report->requests == 3);
  // The labels pinsync_api_requests_total counts them under.
  const auto read = pinsync::http::route_label(h.requests()[0]);
  CHECK(read.api + " " + read.route == "airtable GET /v0/{base}/{table}");
  const auto patch = pinsync::http::route_label(h.requests()[1]);
  CHECK(patch.api + " " + patch.route == "airtable PATCH /v0/{base}/{table}");
  std::vector<std::size_t> sizes;
  std::vector<PatchRecord> all;
  for (std::size_t r = 1; r < 4; ++r) {
    const auto& req = h.requests()[r];
    CHECK(req.method == "PATCH");
    CHECK(req.url == "http://127.0.0.1:8787/v0/appA1b2C3d4E5f6G7/Submissions");
    bool typecast = false;
    auto records = parse_patch(req.body, typecast);
    CHECK(typecast);
    sizes.push_back(records.size());
    for (auto& p : records) all.push_back(std::move(p));
  }
  CHECK(sizes == std::vector<std::size_t>{10, 10, 3});
  REQUIRE(all.size() == 23);
  // Record 2 had the event id already: only status changes, and the stale error is cleared with null.
  CHECK(all[0].id == record_id(2));
  CHECK(all[0].fields ==
        std::vector<std::pair<std::string, std::string>>{{"Sync status", "synced"}, {"Sync error", "<null>"}});
  // Fresh records get event id and status; an empty error that is already empty is not sent.
  CHECK(all[1].id == record_id(3));
  CHECK(all[1].fields == std::vector<std::pair<std::string, std::string>>{{"Pinned ID", "ev3"}, {"Sync status", "synced"}});
  for (const auto& p : all)
    for (const auto& [name, value] : p.fields) CHECK((name == "Pinned ID" || name == "Sync status" || name == "Sync error"));
  CHECK(report->cells_written == 2 + 22 * 2);

  // The same results again: nothing changes, nothing is sent.
  auto again = connector.write_back(results);
  REQUIRE(again.has_value());
  CHECK(again->requests == 0);
  CHECK(again->cells_written == 0);
  CHECK(h.requests().size() == 4);
}

TEST_CASE("airtable write-back: records not seen by the last fetch are skipped; duplicates send once") {
  Harness h;
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}));
  h.fake->reply(200, R"({"records":[]})");
  AirtableConnector connector(write_back_settings(), h.context());
  REQUIRE(connector.fetch().has_value());
  std::vector<RowResult> results = {
      {"recGONEGONEGONE00", "recGONEGONEGONE00", "", "removed", ""},
      {"recAAAAAAAAAAAAAA", "recAAAAAAAAAAAAAA", "", "failed", "first"},
      {"recAAAAAAAAAAAAAA", "recAAAAAAAAAAAAAA", "ev1", "synced", ""},
  };
  auto report = connector.write_back(results);
  REQUIRE(report.has_value());
  REQUIRE(h.requests().size() == 2);
  bool typecast = false;
  auto records = parse_patch(h.requests()[1].body, typecast);
  REQUIRE(records.size() == 1);
  CHECK(records[0].id == "recAAAAAAAAAAAAAA");
  CHECK(records[0].fields == std::vector<std::pair<std::string, std::string>>{{"Pinned ID", "ev1"}, {"Sync status", "synced"}});
}

TEST_CASE("airtable write-back: a 403 says the token lacks data.records:write") {
  Harness h;
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}));
  h.fake->reply(403, R"({"error":{"type":"INVALID_PERMISSIONS","message":"You are not permitted to update records in table Submissions"}})");
  AirtableConnector connector(write_back_settings(), h.context());
  REQUIRE(connector.fetch().has_value());
  std::vector<RowResult> results = {{"recAAAAAAAAAAAAAA", "recAAAAAAAAAAAAAA", "ev1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == ErrorKind::auth);
  CHECK(report.error().message.starts_with("airtable appA1b2C3d4E5f6G7/Submissions: Airtable answered 403 INVALID_PERMISSIONS"));
  CHECK_CONTAINS(report.error().message, "the token lacks data.records:write on base appA1b2C3d4E5f6G7");
  CHECK_NOT_CONTAINS(report.error().message, k_token);
  // Nothing was recorded as written: the next attempt sends it again.
  h.fake->reply(200, R"({"records":[]})");
  auto retry = connector.write_back(results);
  REQUIRE(retry.has_value());
  CHECK(retry->requests == 1);
}

TEST_CASE("airtable write-back: without write_back settings nothing is sent") {
  Harness h;
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}));
  AirtableConnector connector(settings(), h.context());
  CHECK_FALSE(connector.writes_back());
  REQUIRE(connector.fetch().has_value());
  std::vector<RowResult> results = {{"recAAAAAAAAAAAAAA", "recAAAAAAAAAAAAAA", "ev1", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE(report.has_value());
  CHECK(report->requests == 0);
  CHECK(h.requests().size() == 1);
}

TEST_CASE("airtable write-back: an incremental read updates what is known for the records it saw") {
  Harness h;
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A","Pinned ID":"ev1","Sync status":"synced"})"},
                           {"recBBBBBBBBBBBBBB", R"({"Name":"B","Pinned ID":"ev2","Sync status":"synced"})"}}));
  // Someone cleared B's status by hand; the incremental poll sees B only.
  h.fake->reply(200, page({{"recBBBBBBBBBBBBBB", R"({"Name":"B","Pinned ID":"ev2"})"}}));
  h.fake->reply(200, R"({"records":[]})");
  AirtableConnector connector(write_back_settings(), h.context());
  REQUIRE(connector.fetch().has_value());
  REQUIRE(connector.fetch_modified_since("2026-06-12T18:00:00.000Z").has_value());
  std::vector<RowResult> results = {{"recAAAAAAAAAAAAAA", "recAAAAAAAAAAAAAA", "ev1", "synced", ""},
                                    {"recBBBBBBBBBBBBBB", "recBBBBBBBBBBBBBB", "ev2", "synced", ""}};
  auto report = connector.write_back(results);
  REQUIRE(report.has_value());
  REQUIRE(h.requests().size() == 3);
  bool typecast = false;
  auto records = parse_patch(h.requests()[2].body, typecast);
  REQUIRE(records.size() == 1);
  CHECK(records[0].id == "recBBBBBBBBBBBBBB");
  CHECK(records[0].fields == std::vector<std::pair<std::string, std::string>>{{"Sync status", "synced"}});
}

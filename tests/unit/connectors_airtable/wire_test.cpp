#include <doctest/doctest.h>

#include "connectors/airtable_wire.h"
#include "tests/unit/connectors_airtable/harness.h"

using namespace pinsync::connectors;
using pinsync::ErrorKind;
using pinsync::testing::sample;

namespace {

std::string text_of(std::string_view json, ArrayJoin arrays = ArrayJoin::join, std::string_view sep = ", ") {
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  REQUIRE(parser.parse(json.data(), json.size()).get(el) == simdjson::SUCCESS);
  return airtable_cell_text(el, arrays, sep);
}

}  // namespace

TEST_CASE("airtable wire: scalar and structured values become the strings the mapper reads") {
  CHECK(text_of(R"("here is a \nnew line")") == "here is a \nnew line");
  CHECK(text_of("true") == "true");
  CHECK(text_of("false").empty());
  CHECK(text_of("null").empty());
  CHECK(text_of("42.1") == "42.1");
  CHECK(text_of("0") == "0");
  CHECK(text_of("540.8333333333334") == "540.8333333333334");
  CHECK(text_of("2083333") == "2083333");
  CHECK(text_of("18446744073709551615") == "18446744073709551615");
  CHECK(text_of(R"({"specialValue":"NaN"})").empty());
  CHECK(text_of(R"({"error":"#ERROR!"})").empty());
  CHECK(text_of(R"({"id":"usrX","email":"c@example.com","name":"Example Collaborator"})") == "Example Collaborator");
  CHECK(text_of(R"({"id":"usrX","email":"c@example.com"})") == "c@example.com");
  CHECK(text_of(R"({"text":"A234567"})") == "A234567");
  CHECK(text_of(R"([["Red","Green"],"Blue",""])") == "Red, Green, Blue");
  CHECK(text_of(R"(["Red","Green"])", ArrayJoin::first) == "Red");
  CHECK(text_of(R"(["Red","Green"])", ArrayJoin::join, " | ") == "Red | Green");
  CHECK(text_of("[]").empty());
}

TEST_CASE("airtable wire: list URL encodes table, view, formula, fields and the offset") {
  auto s = pinsync::testing::settings();
  s.base_url = "http://127.0.0.1:8787/";
  s.table = "Partner Events";
  s.view = "Approved only";
  const std::string url = airtable_list_url(s, "{Status} = 'Approved'", {"Name", "Start (UTC)"},
                                            "itrsyf33wQLm78zi4/recBCnJaHgUe7VUlV");
  CHECK(url ==
        "http://127.0.0.1:8787/v0/appA1b2C3d4E5f6G7/Partner%20Events?pageSize=100&view=Approved%20only"
        "&filterByFormula=%7BStatus%7D%20%3D%20%27Approved%27&fields%5B%5D=Name&fields%5B%5D=Start%20%28UTC%29"
        "&offset=itrsyf33wQLm78zi4%2FrecBCnJaHgUe7VUlV");
  // The recorded encodings of docs/reference/airtable.md §9.
  CHECK(airtable_list_url(s, "OR({Name}=\"Brian\",{Name}=\"Evan\")", {}, "").ends_with(
      "filterByFormula=OR%28%7BName%7D%3D%22Brian%22%2C%7BName%7D%3D%22Evan%22%29"));
  s.view.clear();
  CHECK(airtable_list_url(s, "", {}, "") == "http://127.0.0.1:8787/v0/appA1b2C3d4E5f6G7/Partner%20Events?pageSize=100");
}

TEST_CASE("airtable wire: the modified-since formula starts one second early so it is inclusive") {
  auto since = airtable_parse_timestamp("2026-06-12T18:00:00.000Z");
  REQUIRE(since.has_value());
  CHECK(airtable_modified_since_formula(*since) == "IS_AFTER(LAST_MODIFIED_TIME(), '2026-06-12T17:59:59.000Z')");
  CHECK(airtable_and("{Approved}", "X()") == "AND({Approved}, X())");
  CHECK(airtable_and("", "X()") == "X()");
  CHECK(airtable_and("{Approved}", "") == "{Approved}");
}

TEST_CASE("airtable wire: timestamps read and write in Airtable's form") {
  auto t = airtable_parse_timestamp("2021-12-28T19:00:56.000Z");
  REQUIRE(t.has_value());
  CHECK(airtable_format_timestamp(*t) == "2021-12-28T19:00:56.000Z");
  auto no_fraction = airtable_parse_timestamp("2021-12-28T19:00:56Z");
  REQUIRE(no_fraction.has_value());
  CHECK(*no_fraction == *t);
  for (const char* bad : {"", "2021-12-28", "2021-12-28T19:00:56.000", "2021-12-28T19:00:56+02:00",
                          "2021-13-28T19:00:56.000Z", "2021-12-28T19:00:56.0x0Z"}) {
    auto r = airtable_parse_timestamp(bad);
    CHECK_FALSE(r.has_value());
    if (!r) CHECK(r.error().kind == ErrorKind::invalid);
  }
}

TEST_CASE("airtable wire: the three recorded error envelope shapes are read") {
  simdjson::dom::parser parser;
  simdjson::dom::element all;
  const std::string text = sample("airtable_errors_recorded.json");
  REQUIRE(parser.parse(text).get(all) == simdjson::SUCCESS);
  int seen = 0;
  simdjson::dom::array entries;
  REQUIRE(all.get_array().get(entries) == simdjson::SUCCESS);
  for (simdjson::dom::element entry : entries) {
    int64_t status = 0;
    simdjson::dom::element body_el;
    REQUIRE(entry["status"].get_int64().get(status) == simdjson::SUCCESS);
    REQUIRE(entry["body"].get(body_el) == simdjson::SUCCESS);
    const std::string body = simdjson::to_string(body_el);
    const auto api = airtable_parse_error(status, body);
    CHECK(api.status == status);
    CHECK_FALSE(api.type.empty());
    ++seen;
  }
  CHECK(seen == 9);
  CHECK(airtable_parse_error(404, R"({"error":"NOT_FOUND"})").type == "NOT_FOUND");
  const auto typed = airtable_parse_error(404, R"({"error":{"type":"NOT_FOUND"}})");
  CHECK(typed.type == "NOT_FOUND");
  CHECK(typed.message.empty());
  const auto full = airtable_parse_error(401, R"({"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}})");
  CHECK(full.message == "Authentication required");
  CHECK(airtable_parse_error(400, "<html>bad</html>").type.empty());
  const auto limited = airtable_parse_error(
      429, R"({"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}]})");
  CHECK(limited.type == "RATE_LIMIT_REACHED");
  CHECK(limited.message == "Rate limit exceeded. Please try again later");
}

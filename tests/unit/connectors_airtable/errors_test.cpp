#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "connectors/airtable.h"
#include "tests/unit/connectors_airtable/harness.h"

using namespace pinsync::connectors;
using namespace pinsync::testing;
using pinsync::ErrorKind;

namespace {

struct Case {
  long status;
  std::string body;
  ErrorKind kind;
  std::vector<std::string> says;  // fragments the message must contain
};

pinsync::Error fetch_error(Harness& h, const AirtableSettings& s, long status, const std::string& body) {
  h.fake->reply(status, body);
  AirtableConnector connector(s, h.context());
  auto t = connector.fetch();
  REQUIRE_FALSE(t.has_value());
  return t.error();
}

}  // namespace

TEST_CASE("airtable errors: each status names the cause and the fix, led by the base and table, without retrying") {
  auto s = settings();
  s.view = "Approved";
  s.approved_formula = "{Status} = 'Approved'";
  const std::vector<Case> cases = {
      {401, R"({"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}})", ErrorKind::auth,
       {"401 AUTHENTICATION_REQUIRED", "token is missing or invalid", "AIRTABLE_TOKEN"}},
      {403,
       R"({"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND","message":"Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct."}})",
       ErrorKind::auth,
       {"403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", "the token cannot see base appA1b2C3d4E5f6G7 or table \"Submissions\"",
        "check base_id and table", "data.records:read", "data.records:write for write-back"}},
      {404, R"({"error":{"type":"TABLE_NOT_FOUND","message":"Could not find table Submissions in application appA1b2C3d4E5f6G7"}})",
       ErrorKind::not_found, {"404 TABLE_NOT_FOUND", "there is no table \"Submissions\"", "check table"}},
      {404, R"({"error":"NOT_FOUND"})", ErrorKind::not_found, {"404 NOT_FOUND", "check table", "base_id"}},
      {422, R"({"error":{"type":"INVALID_FILTER_BY_FORMULA","message":"The formula for filtering records is invalid: Unknown field names: status"}})",
       ErrorKind::config, {"INVALID_FILTER_BY_FORMULA", "the formula \"{Status} = 'Approved'\" is wrong", "Unknown field names"}},
      {422, R"({"error":{"type":"VIEW_NAME_NOT_FOUND","message":"Could not find view Approved"}})", ErrorKind::config,
       {"VIEW_NAME_NOT_FOUND", "no view \"Approved\"", "check view"}},
      {422, R"({"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \"Venue\""}})", ErrorKind::config,
       {"UNKNOWN_FIELD_NAME", "check the field names"}},
      {422, R"({"error":{"type":"INVALID_REQUEST_UNKNOWN","message":"Invalid request: parameter validation failed. Check your request data."}})",
       ErrorKind::config, {"INVALID_REQUEST_UNKNOWN", "parameter validation failed"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    Harness h;
    const auto e = fetch_error(h, s, c.status, c.body);
    CHECK(e.kind == c.kind);
    CHECK(e.message.starts_with("airtable appA1b2C3d4E5f6G7/Submissions: Airtable answered " + std::to_string(c.status)));
    for (const auto& fragment : c.says) CHECK_CONTAINS(e.message, fragment);
    CHECK_NOT_CONTAINS(e.message, k_token);
    CHECK(h.requests().size() == 1);
  }
}

TEST_CASE("airtable errors: the token never reaches a message or a log line, even when echoed back") {
  Harness h;
  auto s = settings();
  s.approved_formula = std::string("{Key} = '") + k_token + "'";  // a careless formula quoting the token
  h.fake->reply(429, R"({"error":{"type":"RATE_LIMIT_REACHED"}})");
  h.fake->reply(200, page({{"recA", "{}"}}, "itrX/recA"));
  h.fake->reply(401, std::string(R"({"error":{"type":"AUTHENTICATION_REQUIRED","message":"bad token )") + k_token + "\"}}");
  AirtableConnector connector(s, h.context("gamma"));
  auto t = connector.fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK_NOT_CONTAINS(t.error().message, k_token);
  CHECK_NOT_CONTAINS(t.error().message, "patSECRET");
  const std::string log = h.log_text.str();
  CHECK_NOT_CONTAINS(log, "patSECRET");
  // One debug line per HTTP call with the source, method, URL, status and elapsed time.
  std::size_t lines = 0;
  for (auto pos = log.find("airtable http source=gamma "); pos != std::string::npos;
       pos = log.find("airtable http source=gamma ", pos + 1)) {
    ++lines;
  }
  CHECK(lines == 3);
  CHECK_CONTAINS(log, "method=GET");
  CHECK_CONTAINS(log, "status=429");
  CHECK_CONTAINS(log, "status=401");
  CHECK_CONTAINS(log, "url=\"http://127.0.0.1:8787/v0/appA1b2C3d4E5f6G7/Submissions?pageSize=100");
  CHECK_CONTAINS(log, " duration_ms=");
}

TEST_CASE("airtable errors: a 5xx is a warn line with the source (retried); other answers stay debug lines") {
  Harness h;
  h.fake->reply(503, R"({"error":{"type":"SERVICE_UNAVAILABLE"}})");
  h.fake->reply(200, page({{"recA", "{}"}}, ""));
  AirtableConnector connector(settings(), h.context("gamma"));
  REQUIRE(connector.fetch().has_value());
  const std::string log = h.log_text.str();
  CHECK_CONTAINS(log, "warn  Airtable answered 503 source=gamma ");
  CHECK_CONTAINS(log, "debug airtable http source=gamma ");
  CHECK_NOT_CONTAINS(log, k_token);
}

// Shared helpers of the Airtable emulation conformance tests: one sandbox process for the whole
// binary (Airtable state, stats and rate windows reset before each test), URL encoding, JSON
// access, and shortcuts for the control and list routes.
#pragma once

#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tests/support/process.h"

namespace airtable_test {

using pinsync::test::http;
using pinsync::test::HttpReply;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Obj = Poco::JSON::Object::Ptr;
using Arr = Poco::JSON::Array::Ptr;

inline const std::string k_base = "appA1b2C3d4E5f6G7";
inline const std::string k_other_base = "appOtherBase12345";
inline const std::string k_token = "sandbox-airtable-token";
inline const std::string k_read_only = "patReadOnlyToken";
inline const std::string k_other_base_token = "patOtherBaseOnly";

// Rate limiting is off for the shared sandbox; the rate-limit tests switch it on.
inline const std::vector<std::string> k_args = {
    "--airtable-requests-per-second", "0",
    "--airtable-requests-per-second-per-token", "0",
    "--airtable-token", k_read_only + "=data.records:read",
    "--airtable-token", k_other_base_token + "=data.records:read,data.records:write@" + k_other_base,
};

inline Obj parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Obj>();
}

// Returns the base URL of the binary-wide sandbox with empty Airtable state and stats.
inline std::string fresh_sandbox() {
  static pinsync::test::SandboxProcess sandbox(k_args);
  REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/airtable/reset").status == 200);
  REQUIRE(http(sandbox.base_url(), "POST", "/_sandbox/reset").status == 200);
  return sandbox.base_url();
}

// Percent-encodes everything but RFC 3986 unreserved characters (what clients send).
inline std::string enc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

inline Headers bearer(const std::string& token = k_token) { return {{"Authorization", "Bearer " + token}}; }

// PUTs a table through the control route; fails the test unless it answers 200.
inline Obj put_table(const std::string& base, const std::string& body, const std::string& table = "Submissions",
                     const std::string& base_id = k_base) {
  HttpReply r = http(base, "PUT", "/_sandbox/airtable/" + base_id + "/" + enc(table), body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return parse(r.body);
}

inline Obj control_table(const std::string& base, const std::string& table = "Submissions") {
  HttpReply r = http(base, "GET", "/_sandbox/airtable/" + k_base + "/" + enc(table));
  REQUIRE(r.status == 200);
  return parse(r.body);
}

inline HttpReply settings(const std::string& base, const std::string& body) {
  HttpReply r = http(base, "POST", "/_sandbox/airtable/settings", body);
  INFO(r.body);
  CHECK(r.status == 200);
  return r;
}

// GET /v0/{k_base}/Submissions?{query}.
inline HttpReply list(const std::string& base, const std::string& query = "", const std::string& token = k_token,
                      const std::string& table = "Submissions") {
  return http(base, "GET", "/v0/" + k_base + "/" + enc(table) + (query.empty() ? "" : "?" + query), "", bearer(token));
}

// Lists with filterByFormula=`formula` and returns the record ids in answer order.
inline std::vector<std::string> ids_matching(const std::string& base, const std::string& formula) {
  HttpReply r = list(base, "filterByFormula=" + enc(formula));
  INFO(formula << " → " << r.body);
  REQUIRE(r.status == 200);
  std::vector<std::string> ids;
  Arr records = parse(r.body)->getArray("records");
  for (unsigned i = 0; i < records->size(); ++i) ids.push_back(records->getObject(i)->getValue<std::string>("id"));
  return ids;
}

inline std::string error_type(const HttpReply& r) { return parse(r.body)->getObject("error")->getValue<std::string>("type"); }

inline std::string error_message(const HttpReply& r) {
  return parse(r.body)->getObject("error")->getValue<std::string>("message");
}

// Checks Airtable's {"error":{"type","message"}} body.
inline void check_error(const HttpReply& r, int status, const std::string& type) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(error_type(r) == type);
}

// Returns the number of counted API requests with this method, route template and status.
inline int stat_count(const std::string& base, const std::string& method, const std::string& route, int status) {
  Arr rows = parse(http(base, "GET", "/_sandbox/stats").body)->getArray("requests");
  for (unsigned i = 0; i < rows->size(); ++i) {
    Obj row = rows->getObject(i);
    if (row->getValue<std::string>("method") == method && row->getValue<std::string>("route") == route &&
        row->getValue<int>("status") == status) {
      return row->getValue<int>("count");
    }
  }
  return 0;
}

// A record id: "rec" + 14 characters built from `n`.
inline std::string rec_id(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rec%014d", n);
  return buf;
}

}  // namespace airtable_test

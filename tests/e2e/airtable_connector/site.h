// The Airtable connector against the real pinsync-sandbox: starts the sandbox, fills
// tables through its control routes, builds connectors with the curl transport, a real
// clock, a shared limiter registry and a debug log kept for inspection, and reads the
// sandbox's request statistics.
#pragma once

#include <doctest/doctest.h>

#include <simdjson.h>

#include <sstream>
#include <string>
#include <vector>

#include "connectors/airtable.h"
#include "core/json_writer.h"
#include "tests/support/connector_world.h"
#include "tests/support/process.h"

namespace pinsync::e2e {

inline constexpr const char* k_token = "patE2eSecretToken.0123456789abcdef";
inline constexpr const char* k_read_only_token = "patE2eReadOnly.0123456789abcdef";
inline constexpr const char* k_other_base_token = "patE2eOtherBase.0123456789abcdef";
inline constexpr const char* k_base = "appE2eTest0000001";

struct Site {
  explicit Site(std::vector<std::string> extra = {})
      : sandbox(with_tokens(std::move(extra))) {
    world.timeout = std::chrono::seconds{10};
  }

  static std::vector<std::string> with_tokens(std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--airtable-token", std::string(k_token) + "=data.records:read,data.records:write",
                               "--airtable-token", std::string(k_read_only_token) + "=data.records:read@" + k_base,
                               "--airtable-token",
                               std::string(k_other_base_token) + "=data.records:read,data.records:write@appOtherBase00001"});
    return extra;
  }

  connectors::ConnectorContext context() { return world.context("gamma"); }

  connectors::AirtableSettings settings(const std::string& token = k_token) const {
    connectors::AirtableSettings s;
    s.base_url = sandbox.base_url();
    s.base_id = k_base;
    s.table = "Submissions";
    s.token = token;
    return s;
  }

  // PUTs the table content (a control body) and requires success.
  void put(const std::string& body, const std::string& table = "Submissions") {
    auto r = test::http(sandbox.base_url(), "PUT", "/_sandbox/airtable/" + std::string(k_base) + "/" + table, body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  // POSTs Airtable settings (e.g. {"now":…}, {"reject_next_offsets":1}) and requires success.
  void set(const std::string& body) {
    auto r = test::http(sandbox.base_url(), "POST", "/_sandbox/airtable/settings", body);
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  // Returns the table as the control route shows it (records with their fields).
  std::string table_json(const std::string& table = "Submissions") {
    auto r = test::http(sandbox.base_url(), "GET", "/_sandbox/airtable/" + std::string(k_base) + "/" + table);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.body;
  }

  // Returns how many requests to the list/patch route got `status`.
  long count(const std::string& method, int status) {
    auto r = test::http(sandbox.base_url(), "GET", "/_sandbox/stats");
    REQUIRE(r.status == 200);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array list;
    REQUIRE(parser.parse(r.body).get(root) == simdjson::SUCCESS);
    REQUIRE(root["requests"].get_array().get(list) == simdjson::SUCCESS);
    long total = 0;
    for (simdjson::dom::element e : list) {
      std::string_view m, route;
      int64_t st = 0, n = 0;
      if (e["method"].get_string().get(m) || e["route"].get_string().get(route) || e["status"].get_int64().get(st) ||
          e["count"].get_int64().get(n))
        continue;
      if (m == method && route == "/v0/{baseId}/{table}" && st == status) total += n;
    }
    return total;
  }

  test::SandboxProcess sandbox;
  SystemClock clock;
  testing::ConnectorWorld world{testing::Wire::curl, clock};
  std::ostringstream& log_text = world.log_text;
};

// Returns a control body with `n` records "recE2e" + 11 digits, Name "Event i", Approved for
// i >= unapproved, plus the declared write-back fields.
inline std::string records_body(int n, int unapproved = 0) {
  json::Writer w;
  w.begin_object().key("fields").begin_object();
  w.key("Name").value("singleLineText").key("Approved").value("checkbox").key("Start").value("dateTime");
  w.key("Pinned ID").value("singleLineText").key("Sync status").value("singleLineText").key("Sync error").value("multilineText");
  w.end_object().key("records").begin_array();
  for (int i = 0; i < n; ++i) {
    std::string digits = std::to_string(i);
    digits.insert(0, 11 - digits.size(), '0');
    w.begin_object().key("id").value("recE2e" + digits).key("fields").begin_object();
    w.key("Name").value("Event " + std::to_string(i));
    w.key("Start").value("2026-06-12T18:00:00.000Z");
    if (i >= unapproved) w.key("Approved").value(true);
    w.end_object().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

inline std::string record_id(int i) {
  std::string digits = std::to_string(i);
  digits.insert(0, 11 - digits.size(), '0');
  return "recE2e" + digits;
}

}  // namespace pinsync::e2e

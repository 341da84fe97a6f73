// Test harness for the Airtable connector: the connector world of tests/support (a
// scripted transport whose sends are stamped with the FakeClock's time, a shared limiter
// registry, a debug logger into a string), the real recorded samples, and small URL
// helpers to read back what was requested.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/airtable.h"
#include "tests/support/connector_world.h"

namespace pinsync::testing {

inline constexpr const char* k_token = "patSECRETtok3n.0123456789abcdef";
inline constexpr const char* k_base = "appA1b2C3d4E5f6G7";

// Returns the text of a recorded sample in PINSYNC_FIXTURES_DIR/reference/samples.
inline std::string sample(const std::string& name) {
  std::ifstream in(std::string(PINSYNC_FIXTURES_DIR) + "/reference/samples/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing sample " << name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Returns `text` with every occurrence of `from` replaced by `to`.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// Returns the percent-decoded text.
inline std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Returns every decoded value of query parameter `name` (given as sent, e.g. "fields%5B%5D").
inline std::vector<std::string> query_values(const std::string& url, const std::string& name) {
  std::vector<std::string> out;
  const auto q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest(url);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto part = rest.substr(0, amp);
    const auto eq = part.find('=');
    if (part.substr(0, eq) == name) out.push_back(url_decode(eq == std::string_view::npos ? "" : part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

// Returns the single decoded value of `name`, or "" when absent.
inline std::string query_value(const std::string& url, const std::string& name) {
  auto v = query_values(url, name);
  return v.empty() ? std::string() : v.front();
}

// The connector's world: a FakeClock, one FakeTransport (sends stamped in sent_at), the
// shared limiter registry and a debug log.
using Harness = ConnectorWorld;

inline connectors::AirtableSettings settings() {
  connectors::AirtableSettings s;
  s.base_url = "http://127.0.0.1:8787";
  s.base_id = k_base;
  s.table = "Submissions";
  s.token = k_token;
  return s;
}

// Returns a list page in the live shape: {"records":[{id, fields, createdTime}…], "offset"?}.
// Each record is given as its id and the JSON text of its fields object.
inline std::string page(const std::vector<std::pair<std::string, std::string>>& records, const std::string& offset = "") {
  std::string out = "{\"records\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"id\":\"" + records[i].first + "\",\"fields\":" + records[i].second +
           ",\"createdTime\":\"2026-05-01T10:00:00.000Z\"}";
  }
  out += ']';
  if (!offset.empty()) out += ",\"offset\":\"" + offset + "\"";
  out += '}';
  return out;
}

}  // namespace pinsync::testing

// Helpers for the Google Sheets connector tests: a scripted transport and fake clock
// wired into a ConnectorContext, canned Sheets/OAuth bodies, the real recorded samples,
// and an RSA service-account key generated once per test run.
#pragma once

#include <doctest/doctest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/google_sheets.h"
#include "core/json_writer.h"
#include "tests/support/connector_world.h"
#include "tests/support/google_key.h"
#include "tests/support/temp_dir.h"

namespace pinsync::testing::google {

// The transport, clock and log one connector under test uses.
using Harness = ConnectorWorld;

// Returns the text of a recorded sample under PINSYNC_FIXTURES_DIR/reference/samples.
inline std::string sample(const std::string& name) {
  std::ifstream in(std::filesystem::path(PINSYNC_FIXTURES_DIR) / "reference" / "samples" / name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing sample " << name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Returns the whole text of a file.
inline std::string sample_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Returns element `index` of a JSON array sample, at `pointer` inside it ("/body"), as JSON.
inline std::string sample_item(const std::string& name, std::size_t index, const std::string& pointer) {
  static simdjson::dom::parser parser;
  const std::string text = sample(name);
  simdjson::dom::element item;
  REQUIRE(parser.parse(text).at(index).at_pointer(pointer).get(item) == simdjson::SUCCESS);
  return simdjson::minify(item);
}

// A spreadsheets.get body with these sheet titles and time zone.
inline std::string metadata(const std::vector<std::string>& titles, const std::string& time_zone = "Europe/Paris") {
  json::Writer w;
  w.begin_object().key("properties").begin_object().key("timeZone").value(time_zone).end_object();
  w.key("sheets").begin_array();
  for (std::size_t i = 0; i < titles.size(); ++i) {
    w.begin_object().key("properties").begin_object().key("title").value(titles[i]);
    w.key("index").value(static_cast<std::int64_t>(i)).end_object().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

// A values:batchGet body holding one ValueRange (`value_range` is its JSON).
inline std::string batch_get(const std::string& value_range) {
  return "{\n  \"spreadsheetId\": \"1AbCdEf\",\n  \"valueRanges\": [" + value_range + "]\n}";
}

// A ValueRange with echoed `range` and `values` (a JSON array of arrays, or "" for none).
inline std::string value_range(const std::string& range, const std::string& values) {
  json::Writer w;
  w.begin_object().key("range").value(range).key("majorDimension").value("ROWS");
  if (!values.empty()) w.key("values").raw(values);
  w.end_object();
  return w.take();
}

inline std::string google_error(int code, const std::string& status, const std::string& message) {
  return "{\n  \"error\": {\n    \"code\": " + std::to_string(code) + ",\n    \"message\": \"" + message +
         "\",\n    \"status\": \"" + status + "\"\n  }\n}\n";
}

inline std::string token_body(const std::string& token, int expires_in = 3599) {
  return "{\"access_token\": \"" + token + "\", \"expires_in\": " + std::to_string(expires_in) +
         ", \"token_type\": \"Bearer\"}";
}

// Returns the decoded value of `name` in an application/x-www-form-urlencoded body.
inline std::string form_value(const std::string& body, const std::string& name) {
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const auto end = std::min(body.find('&', pos), body.size());
    const std::string pair = body.substr(pos, end - pos);
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) {
      std::string out;
      for (std::size_t i = eq + 1; i < pair.size(); ++i) {
        if (pair[i] == '%' && i + 2 < pair.size()) {
          out += static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += pair[i] == '+' ? ' ' : pair[i];
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return "";
}

inline std::string header(const http::Request& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}


constexpr const char* k_email = "beta-sa@beta-project.iam.gserviceaccount.com";
constexpr const char* k_token_uri = "http://127.0.0.1:8787/token";

// Settings for a source on spreadsheet 1AbCdEf, sheet "Partner Events", no auth.
inline connectors::GoogleSheetsSettings base_settings() {
  connectors::GoogleSheetsSettings s;
  s.sheets_base_url = "http://127.0.0.1:8787";
  s.spreadsheet_id = "1AbCdEf";
  s.sheet = "Partner Events";
  return s;
}

constexpr const char* k_api_key = "AIzaSyFAKE-KEY-0123456789";

// base_settings with an API key: the simplest auth, for tests about reading.
inline connectors::GoogleSheetsSettings key_settings() {
  auto s = base_settings();
  s.auth.api_key = k_api_key;
  return s;
}

// The values of a sheet with a header and one event row.
constexpr const char* k_one_row = R"([["ID","Title"],["E-1","Jazz"]])";

}  // namespace pinsync::testing::google

// Shared helpers of the sandbox conformance tests: one sandbox process for the whole binary
// (reset before each test), JSON access, and the documented minimal create request.
#pragma once

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tests/support/process.h"

namespace sandbox_test {

using pinsync::test::http;
using pinsync::test::HttpReply;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Obj = Poco::JSON::Object::Ptr;

// Keys beyond the default sandbox-key, shared by every test in this binary.
inline const std::vector<std::string> k_shared_args = {
    "--key", "ro-key=channels:read,events:read@42",
    "--key", "c42-key=channels:read,events:create,events:read,events:update@42",
    "--key", "nocreate-key=channels:read,events:read,events:update@42,43",
};

// Returns the base URL of the binary-wide sandbox after resetting it (no events, no faults).
inline std::string fresh_sandbox() {
  static pinsync::test::SandboxProcess sandbox(k_shared_args);
  HttpReply r = http(sandbox.base_url(), "POST", "/_sandbox/reset");
  REQUIRE(r.status == 200);
  return sandbox.base_url();
}

inline Headers bearer(const std::string& key = "sandbox-key") { return {{"Authorization", "Bearer " + key}}; }

inline Headers with(Headers h, const std::string& name, const std::string& value) {
  h.emplace_back(name, value);
  return h;
}

inline Obj parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Obj>();
}

inline std::string stringify(const Obj& o) {
  std::ostringstream os;
  o->stringify(os);
  return os.str();
}

// The documented minimal create request.
inline std::string minimal_event_text() {
  return R"({"channelId":42,"title":"Jazz at the Docks","startAt":"2026-06-12T20:00:00-04:00",)"
         R"("timezone":"America/New_York","classifications":["music"],)"
         R"("approxLocation":{"city":{"placeId":"ChIJOwg_06VPwokRYv534QaPC8g","name":"New York","countryCode":"US"}}})";
}

// Sets the sandbox's fault rates (POST /_sandbox/faults).
inline void set_faults(const std::string& base, const std::string& json) {
  const auto r = http(base, "POST", "/_sandbox/faults", json);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

inline Obj minimal_event() { return parse(minimal_event_text()); }

inline HttpReply post_event(const std::string& base, const std::string& body, Headers headers = bearer()) {
  return http(base, "POST", "/api/public/v1/events", body, headers);
}

inline std::string error_code(const HttpReply& r) { return parse(r.body)->getObject("error")->getValue<std::string>("code"); }

inline std::string error_field(const HttpReply& r) {
  auto details = parse(r.body)->getObject("error")->getObject("details");
  return details ? details->getValue<std::string>("field") : std::string();
}

inline Poco::JSON::Array::Ptr stored_events(const std::string& base) {
  return parse(http(base, "GET", "/_sandbox/events").body)->getArray("events");
}

// Waits until `count` keyed creates hold their Idempotency-Key claim (they claim it before the
// injected latency, then sleep). Fails the test after 60 s.
inline void wait_keyed_creates_in_progress(const std::string& base, int count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (parse(http(base, "GET", "/_sandbox/events").body)->getValue<int>("keyed_creates_in_progress") < count) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < give_up, "no create claimed its key within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Checks the documented error envelope and that its requestId equals the x-request-id header.
inline void check_envelope(const HttpReply& r, int status, const std::string& code) {
  CHECK(r.status == status);
  REQUIRE(r.headers.count("x-request-id") == 1);
  auto err = parse(r.body)->getObject("error");
  REQUIRE(err);
  CHECK(err->getValue<std::string>("code") == code);
  CHECK(!err->getValue<std::string>("message").empty());
  CHECK(err->getValue<std::string>("requestId") == r.headers.at("x-request-id"));
}

}  // namespace sandbox_test

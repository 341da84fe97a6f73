// What the sandbox holds and has seen, for end-to-end tests: its stored events, its request
// counts by method, route template and status, and the requests it is still handling.
#pragma once

#include <doctest/doctest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/process.h"

namespace pinsync::test {

// Every event the sandbox stores (GET /_sandbox/events), in id order.
inline Poco::JSON::Array::Ptr sandbox_events(const std::string& base_url) {
  const auto reply = http(base_url, "GET", "/_sandbox/events");
  REQUIRE(reply.status == 200);
  return Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("events");
}

// How many requests with `method` went to `route` (a template such as
// /api/public/v1/events/{id}) so far, counting only answers with `status` when given.
inline int sandbox_requests(const std::string& base_url, const std::string& method, const std::string& route,
                            int status = -1) {
  const auto reply = http(base_url, "GET", "/_sandbox/stats");
  REQUIRE(reply.status == 200);
  auto list = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getArray("requests");
  int n = 0;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto entry = list->getObject(static_cast<unsigned>(i));
    if (entry->getValue<std::string>("method") == method && entry->getValue<std::string>("route") == route &&
        (status < 0 || entry->getValue<int>("status") == status)) {
      n += entry->getValue<int>("count");
    }
  }
  return n;
}

// How many API requests the sandbox is handling right now (they count in the stats only when
// they end).
inline int sandbox_in_flight(const std::string& base_url) {
  const auto reply = http(base_url, "GET", "/_sandbox/stats");
  REQUIRE(reply.status == 200);
  return Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getValue<int>("in_flight");
}

// Waits until the sandbox handles no API request: those a killed client left behind end (lower
// the injected latency first) and are counted. Fails the test after 60 s.
inline void wait_sandbox_idle(const std::string& base_url) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sandbox_in_flight(base_url) > 0) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < give_up, "the sandbox still handles a request after 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace pinsync::test

// What the sandbox holds and has seen, for end-to-end tests: its stored events and its
// request counts by method, route template and status.
#pragma once

#include <doctest/doctest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

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

}  // namespace pinsync::test

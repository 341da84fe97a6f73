// The comparison of a row's payload with its event: resync --force's drift check and the
// look-up of creates in doubt.
#include <doctest/doctest.h>

#include <string>

#include "agent/pinned/drift.h"

using namespace pinsync::agent;

TEST_CASE("event_differs: only the payload's fields count, by value") {
  const std::string payload = R"({"title":"Show","channelId":42,"tags":["a","b"],"place":{"id":"p"}})";
  CHECK(event_differs(payload, R"({"doc":{"id":7,"title":"Show","channelId":42.0,"tags":["a","b"],"place":{"id":"p"}}})")
            .value() == false);
  CHECK(event_differs(payload, R"({"id":7,"title":"Show!","channelId":42,"tags":["a","b"],"place":{"id":"p"}})")
            .value() == true);
  CHECK(event_differs(payload, R"({"title":"Show","channelId":42,"tags":["b","a"],"place":{"id":"p"}})").value() ==
        true);
  CHECK(event_differs(payload, R"({"title":"Show","channelId":42,"tags":["a","b"]})").value() == true);
  CHECK(event_differs(payload, R"({"title":"Show","channelId":"42","tags":["a","b"],"place":{"id":"p"}})").value() ==
        true);
  CHECK(!event_differs(payload, "not json").has_value());
}

TEST_CASE("event_differs: startAt and endAt compare as instants, whatever offset the event is written in") {
  const std::string payload = R"({"title":"Show","startAt":"2026-06-12T20:00:00-04:00","endAt":"2026-06-12T23:00:00-04:00"})";
  CHECK(event_differs(payload, R"({"title":"Show","startAt":"2026-06-13T00:00:00Z","endAt":"2026-06-13T03:00:00.000Z"})")
            .value() == false);
  CHECK(event_differs(payload, R"({"title":"Show","startAt":"2026-06-13T00:00:00Z","endAt":"2026-06-13T04:00:00Z"})")
            .value() == true);
  // Only those two fields are instants: a title that reads like a date compares as text.
  CHECK(event_differs(R"({"title":"2026-06-12T20:00:00-04:00"})", R"({"title":"2026-06-13T00:00:00Z"})").value() ==
        true);
}

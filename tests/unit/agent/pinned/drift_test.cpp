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

TEST_CASE("payload_changes: the fields an update changes, old and new as JSON, by name") {
  const std::string before =
      R"({"title":"Show","startAt":"2026-06-12T20:00:00-04:00","channelId":42,"description":"Old","tags":["a"]})";
  const std::string after =
      R"x({"title":"Show (late)","startAt":"2026-06-13T00:00:00Z","channelId":42.0,"tags":["a","b"],"endAt":"2026-06-12T23:00:00-04:00"})x";
  const auto changes = payload_changes(before, after);
  REQUIRE(changes);
  REQUIRE(changes->size() == 4);
  // startAt names the same instant and channelId the same number: unchanged.
  CHECK(changes->at(0).field == "endAt");
  CHECK(changes->at(0).before == "");
  CHECK(changes->at(0).after == R"("2026-06-12T23:00:00-04:00")");
  CHECK(changes->at(1).field == "tags");
  CHECK(changes->at(1).before == R"(["a"])");
  CHECK(changes->at(1).after == R"(["a","b"])");
  CHECK(changes->at(2).field == "title");
  CHECK(changes->at(2).before == R"("Show")");
  CHECK(changes->at(2).after == R"x("Show (late)")x");
  CHECK(changes->at(3).field == "description");  // gone from the row: removed ones come last
  CHECK(changes->at(3).before == R"("Old")");
  CHECK(changes->at(3).after == "");
  CHECK(payload_changes(before, before).value().empty());
  CHECK_FALSE(payload_changes("not json", after).has_value());
}

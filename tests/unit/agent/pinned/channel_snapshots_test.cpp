// ChannelSnapshots: one listing of a channel answers every recovery of the agent until it
// is older than its TTL or a fresh one is asked for; a failed listing is not kept.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "agent/pinned/channel_snapshots.h"
#include "tests/unit/agent/pinned/client_fixture.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;

namespace {

// A client that tries each request once: the tests count the listings.
struct World : pinsync::agent::test::ClientFixture {
  PinnedClient client = ClientFixture::client(RetryPolicy{1, 1ms, 1ms});
};

const char* k_one_event = R"({"docs":[{"id":7,"channelId":42,"title":"Gala"}],"totalDocs":1,"limit":100,"page":1})";

}  // namespace

TEST_CASE("channel snapshots: one listing answers every caller until the TTL, then the channel is listed again") {
  World w;
  ChannelSnapshots snapshots(w.clock, 600s);
  w.transport.reply(200, k_one_event);
  auto first = snapshots.events(42, w.client, false);
  REQUIRE_MESSAGE(first.has_value(), first.error().message);
  REQUIRE((*first)->size() == 1);
  CHECK((*first)->front().id == 7);
  CHECK((*first)->front().title == "Gala");
  CHECK_CONTAINS(w.transport.requests.back().url, "/events?channelId=42&limit=100&page=1");

  auto again = snapshots.events(42, w.client, false);
  REQUIRE(again.has_value());
  CHECK(again->get() == first->get());  // the same listing, no request
  CHECK(w.transport.requests.size() == 1);

  w.transport.reply(200, R"({"docs":[],"totalDocs":0,"limit":100,"page":1})");
  REQUIRE(snapshots.events(43, w.client, false).has_value());  // another channel: its own listing
  CHECK(w.transport.requests.size() == 2);

  w.transport.reply(200, k_one_event);
  REQUIRE(snapshots.events(42, w.client, true).has_value());  // fresh: listed again
  CHECK(w.transport.requests.size() == 3);

  w.clock.advance(601s);
  w.transport.reply(200, k_one_event);
  REQUIRE(snapshots.events(42, w.client, false).has_value());  // too old: listed again
  CHECK(w.transport.requests.size() == 4);
}

TEST_CASE("channel snapshots: a failed listing is not kept") {
  World w;
  ChannelSnapshots snapshots(w.clock);
  w.transport.reply(403, R"({"errors":[{"message":"insufficient_scope"}]})");
  CHECK_FALSE(snapshots.events(42, w.client, false).has_value());
  w.transport.reply(200, k_one_event);
  auto listed = snapshots.events(42, w.client, false);
  REQUIRE(listed.has_value());
  CHECK((*listed)->size() == 1);
}

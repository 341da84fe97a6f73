// The classification slugs shared by every session of a process: one fetch for many
// callers, kept for the TTL, fetched again after a write refused for an unknown slug, a
// refused key never kept, a failed fetch "not checked" for a while. They guard against every
// pass of every source fetching /classifications again.
#include <doctest/doctest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "agent/pinned/classifications.h"
#include "tests/support/checks.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;
using pinsync::testing::FakeClock;
using pinsync::testing::FakeTransport;

namespace {

struct SlugFixture {
  SlugFixture() : log(log_text, LogLevel::debug, LogFormat::text, clock), client(config(), transport, log, clock) {}
  static const PinnedConfig& config() {
    static const PinnedConfig c = [] {
      PinnedConfig p;
      p.base_url = "http://127.0.0.1:9";
      p.api_key = "secret-key-123";
      return p;
    }();
    return c;
  }
  int classification_gets() const {
    int n = 0;
    for (const auto& r : transport.requests) n += r.url.ends_with("/classifications") ? 1 : 0;
    return n;
  }

  FakeTransport transport;
  FakeClock clock;
  std::ostringstream log_text;
  Logger log;
  PinnedClient client;
};

const char* k_list = R"({"docs":[{"slug":"music"},{"slug":"comedy"}]})";

}  // namespace

TEST_CASE("slug cache: one fetch serves every caller until the TTL, then one more") {
  SlugFixture f;
  SlugCache cache(f.clock);
  f.transport.reply(200, k_list);
  for (int pass = 0; pass < 100; ++pass) {  // a hundred passes of as many sources
    const auto slugs = cache.get(f.client, f.log);
    REQUIRE(slugs);
    REQUIRE(*slugs != nullptr);
    CHECK((*slugs)->contains("music"));
  }
  CHECK(f.classification_gets() == 1);
  f.clock.advance(SlugCache::k_ttl - 1s);
  REQUIRE(cache.get(f.client, f.log));
  CHECK(f.classification_gets() == 1);
  f.clock.advance(1s);
  f.transport.reply(200, R"(["music","film"])");
  const auto fresh = cache.get(f.client, f.log);
  REQUIRE(fresh);
  CHECK((*fresh)->contains("film"));
  CHECK(f.classification_gets() == 2);
  CHECK(cache.fetches() == 2);
}

TEST_CASE("slug cache: a create refused for an unknown classification makes the next get fetch again") {
  SlugFixture f;
  SlugCache cache(f.clock);
  f.client.on_unknown_slug([&] { cache.stale(); });
  f.transport.reply(200, k_list);
  REQUIRE(cache.get(f.client, f.log));
  // Another field refused: the slugs are not in question.
  f.transport.reply(400, R"({"error":{"code":"invalid_request","message":"bad","details":{"field":"startAt","issue":"x"}}})");
  CHECK(f.client.create_event("{}", "k1").status == WriteStatus::invalid);
  REQUIRE(cache.get(f.client, f.log));
  CHECK(f.classification_gets() == 1);
  f.transport.reply(400, R"({"error":{"code":"invalid_request","message":"\"comedy\" is not a public classification slug",)"
                         R"("details":{"field":"classifications[0]","issue":"unknown"}}})");
  CHECK(f.client.create_event("{}", "k2").status == WriteStatus::invalid);
  f.transport.reply(200, R"(["music"])");
  const auto fresh = cache.get(f.client, f.log);
  REQUIRE(fresh);
  CHECK_FALSE((*fresh)->contains("comedy"));
  CHECK(f.classification_gets() == 2);
}

TEST_CASE("slug cache: a refused key is never kept; another failure is 'not checked' for a while") {
  SlugFixture f;
  SlugCache cache(f.clock);
  f.transport.reply(401, R"({"error":{"code":"invalid_api_key","message":"no"}})");
  const auto refused = cache.get(f.client, f.log);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::auth);
  // Malformed list: not checked (null), and no new fetch until the retry time.
  f.transport.reply(200, R"({"nothing":true})");
  const auto unchecked = cache.get(f.client, f.log);
  REQUIRE(unchecked);
  CHECK(*unchecked == nullptr);
  CHECK_CONTAINS(f.log_text.str(), "classifications unavailable");
  REQUIRE(cache.get(f.client, f.log));
  CHECK(f.classification_gets() == 2);
  f.clock.advance(SlugCache::k_retry_after_failure);
  f.transport.reply(200, k_list);
  const auto later = cache.get(f.client, f.log);
  REQUIRE(later);
  REQUIRE(*later != nullptr);
  CHECK(f.classification_gets() == 3);
}

TEST_CASE("slug cache: callers at once share one fetch") {
  SlugFixture f;
  SlugCache cache(f.clock);
  f.transport.reply(200, k_list);
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (auto slugs = cache.get(f.client, f.log); slugs && *slugs) ++answered;
    });
  }
  for (auto& t : callers) t.join();
  CHECK(answered.load() == 8);
  CHECK(cache.fetches() == 1);
}

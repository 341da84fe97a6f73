#include <doctest/doctest.h>

#include "connectors/airtable.h"
#include "tests/unit/connectors_airtable/harness.h"

using namespace pinsync::connectors;
using namespace pinsync::testing;
using pinsync::ErrorKind;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string k_429 = R"({"errors":[{"error":"RATE_LIMIT_REACHED"}]})";
const std::string k_429_typed = R"({"error":{"type":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}})";

std::string offset_for(int i) { return "itrPAGE" + std::to_string(i) + "abcdefghij/recPAGE" + std::to_string(i); }

// Scripts `pages` pages of one record each, chained by offsets.
void script_pages(FakeTransport& fake, int pages, const std::string& prefix = "rec") {
  for (int i = 0; i < pages; ++i) {
    fake.reply(200, page({{prefix + std::to_string(i), R"({"Name":"x"})"}}, i + 1 < pages ? offset_for(i) : ""));
  }
}

// True when no window of one second (closed at both ends) holds more than `limit` sends.
bool within_limit(const std::vector<std::chrono::steady_clock::time_point>& times, std::size_t limit) {
  for (std::size_t i = 0; i + limit < times.size(); ++i)
    if (times[i + limit] - times[i] <= seconds{1}) return false;
  return true;
}

}  // namespace

TEST_CASE("airtable limits: a 429 waits 30 s on the clock exactly once, then the same request succeeds") {
  Harness h;
  h.fake->reply(429, k_429_typed);
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}));
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(t->rows.size() == 1);
  REQUIRE(h.requests().size() == 2);
  CHECK(h.requests()[0].url == h.requests()[1].url);
  CHECK(h.clock.slept() == seconds{30});
  REQUIRE(h.sent_at->size() == 2);
  CHECK((*h.sent_at)[1] - (*h.sent_at)[0] == seconds{30});
}

TEST_CASE("airtable limits: a second 429 is an error with retry_after, no third request") {
  Harness h;
  h.fake->reply(429, k_429_typed);
  h.fake->reply(429, k_429);
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().kind == ErrorKind::rate_limited);
  REQUIRE(t.error().retry_after.has_value());
  CHECK(*t.error().retry_after == seconds{30});
  CHECK(t.error().message.starts_with("airtable appA1b2C3d4E5f6G7/Submissions: Airtable answered 429 RATE_LIMIT_REACHED"));
  CHECK(h.requests().size() == 2);
  CHECK(h.clock.slept() == seconds{30});
}

TEST_CASE("airtable limits: a 429 pauses every connector on the same base") {
  Harness h;
  h.fake->reply(429, k_429_typed);
  h.fake->reply(429, k_429_typed);
  h.fake->reply(200, page({{"recB", "{}"}}));
  AirtableConnector a(settings(), h.context());
  AirtableConnector b(settings(), h.context());
  CHECK_FALSE(a.fetch().has_value());
  REQUIRE(b.fetch().has_value());
  REQUIRE(h.sent_at->size() == 3);
  // a's second 429 blocks the base again: b's first request waits the full 30 s too.
  CHECK((*h.sent_at)[2] - (*h.sent_at)[1] == seconds{30});
}

TEST_CASE("airtable limits: 12 requests are spaced so no one-second window holds more than 5") {
  Harness h;
  script_pages(*h.fake, 12);
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(t->rows.size() == 12);
  REQUIRE(h.sent_at->size() == 12);
  CHECK(within_limit(*h.sent_at, 5));
  // ...but not much slower than the limit allows: 12 requests in under 2.6 s.
  CHECK(h.sent_at->back() - h.sent_at->front() < milliseconds{2600});
}

TEST_CASE("airtable limits: two sources on one base share the limit; another base has its own") {
  Harness h;
  script_pages(*h.fake, 6, "recA");
  script_pages(*h.fake, 6, "recB");
  AirtableConnector a(settings(), h.context());
  AirtableConnector b(settings(), h.context());
  REQUIRE(a.fetch().has_value());
  REQUIRE(b.fetch().has_value());
  REQUIRE(h.sent_at->size() == 12);
  CHECK(within_limit(*h.sent_at, 5));

  Harness other;
  other.fake->reply(200, page({{"recA", "{}"}}));
  other.fake->reply(200, page({{"recB", "{}"}}));
  auto s2 = settings();
  s2.base_id = "appZZZZZZZZZZZZZZ";
  AirtableConnector c(settings(), other.context());
  AirtableConnector d(s2, other.context());
  REQUIRE(c.fetch().has_value());
  REQUIRE(d.fetch().has_value());
  // Different base: not its 222 ms, only the pace of the token they share (about 22 ms).
  CHECK((*other.sent_at)[1] - (*other.sent_at)[0] < milliseconds{30});
}

TEST_CASE("airtable limits: 5xx is retried with backoff; persistent 5xx is a transient error") {
  Harness h;
  h.fake->reply(503, R"({"error":{"type":"RETRIABLE_ERROR"}})");
  h.fake->reply(502, "bad gateway");
  h.fake->reply(200, page({{"recA", "{}"}}));
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  CHECK(h.requests().size() == 3);
  CHECK(h.clock.slept() >= seconds{3});  // 1 s + 2 s

  Harness g;
  for (int i = 0; i < 4; ++i) g.fake->reply(500, R"({"error":{"type":"SERVER_ERROR"}})");
  AirtableConnector failing(settings(), g.context());
  auto f = failing.fetch();
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().kind == ErrorKind::transient);
  CHECK(f.error().message.starts_with("airtable appA1b2C3d4E5f6G7/Submissions: Airtable answered 500 SERVER_ERROR"));
  CHECK(g.requests().size() == 4);
}

TEST_CASE("airtable limits: transport failures are retried, then reported with their kind") {
  Harness h;
  for (int i = 0; i < 4; ++i) h.fake->fail(ErrorKind::timeout, pinsync::http::SendStage::maybe_sent);
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().kind == ErrorKind::timeout);
  CHECK(t.error().message == "airtable appA1b2C3d4E5f6G7/Submissions: cannot reach Airtable at http://127.0.0.1:8787: scripted failure");
  CHECK(h.requests().size() == 4);
}

TEST_CASE("airtable limits: bases of one token share the token's limit too; another token has its own") {
  // 60 bases read one page each, one after the other: no base ever waits for itself, so
  // only the token's limit (50 per second, run at 45) spaces them.
  Harness h;
  constexpr int bases = 60;
  for (int i = 0; i < bases; ++i) h.fake->reply(200, page({{"rec" + std::to_string(i), R"({"Name":"x"})"}}));
  std::vector<std::unique_ptr<AirtableConnector>> connectors;
  for (int i = 0; i < bases; ++i) {
    auto s = settings();
    s.base_id = "appTOKEN" + std::string(9 - std::to_string(i).size(), '0') + std::to_string(i);
    connectors.push_back(std::make_unique<AirtableConnector>(s, h.context()));
  }
  for (auto& c : connectors) REQUIRE(c->fetch().has_value());
  REQUIRE(h.sent_at->size() == bases);
  CHECK(within_limit(*h.sent_at, 50));
  // ...and near it, not far below: 59 gaps of about 22 ms.
  CHECK(h.sent_at->back() - h.sent_at->front() < milliseconds{1400});
  // And the base's own limit still applies on top: 12 pages of one base, as before.
  Harness one;
  script_pages(*one.fake, 12);
  AirtableConnector base(settings(), one.context());
  REQUIRE(base.fetch().has_value());
  CHECK(within_limit(*one.sent_at, 5));

  // A second token on other bases is not held back by the first token's pace.
  Harness two;
  two.fake->reply(200, page({{"recA", "{}"}}));
  two.fake->reply(200, page({{"recB", "{}"}}));
  auto first = settings();
  auto second = settings();
  second.base_id = "appZZZZZZZZZZZZZZ";
  second.token = "patOTHERtok3n.0123456789abcdef";
  AirtableConnector c(first, two.context());
  AirtableConnector d(second, two.context());
  REQUIRE(c.fetch().has_value());
  REQUIRE(d.fetch().has_value());
  CHECK((*two.sent_at)[1] == (*two.sent_at)[0]);
}

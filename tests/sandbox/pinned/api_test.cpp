// Conformance of the emulated Pinned Events routes: auth, scopes, channel access, validation,
// envelopes, pagination, read and partial update.
#include "tests/support/checks.h"
#include <set>
#include <string>

#include "tests/sandbox/pinned/helpers.h"

using namespace sandbox_test;

namespace {

// Removes `name` from the object at `path` (dotted) inside a copy of the minimal event.
std::string minimal_without(const std::vector<std::string>& path, const std::string& name) {
  Obj root = minimal_event();
  Obj o = root;
  for (const auto& step : path) o = o->getObject(step);
  o->remove(name);
  return stringify(root);
}

std::string minimal_with(const std::string& name, const Poco::Dynamic::Var& value) {
  Obj o = minimal_event();
  o->set(name, value);
  return stringify(o);
}

}  // namespace

TEST_CASE("classifications need a valid key but no scope and list the public slugs") {
  std::string base = fresh_sandbox();
  check_envelope(http(base, "GET", "/api/public/v1/classifications"), 401, "invalid_api_key");
  HttpReply r = http(base, "GET", "/api/public/v1/classifications", "", {{"x-api-key", "ro-key"}});
  REQUIRE(r.status == 200);
  std::set<std::string> slugs;
  auto docs = parse(r.body)->getArray("docs");
  for (unsigned i = 0; i < docs->size(); ++i) {
    auto doc = docs->getObject(i);
    CHECK(!doc->getValue<std::string>("name").empty());
    slugs.insert(doc->getValue<std::string>("slug"));
  }
  for (const char* slug : {"music", "comedy", "theatre", "nightlife", "film", "arts", "food-drink", "sports",
                           "community", "family", "workshops", "talks", "festivals", "markets", "wellness"}) {
    CHECK_MESSAGE(slugs.count(slug) == 1, slug);
  }
}

TEST_CASE("channels: full pagination envelope, only the key's channels, limit capped at 100") {
  std::string base = fresh_sandbox();
  HttpReply all = http(base, "GET", "/api/public/v1/channels", "", bearer());
  REQUIRE(all.status == 200);
  Obj env = parse(all.body);
  CHECK(env->getArray("docs")->size() == 2);
  CHECK(env->getArray("docs")->getObject(0)->getValue<int>("id") == 42);
  CHECK(env->getArray("docs")->getObject(0)->getValue<std::string>("name") == "Valencia Live Music");
  CHECK(env->getValue<int>("totalDocs") == 2);
  CHECK(env->getValue<int>("page") == 1);
  CHECK(env->getValue<int>("totalPages") == 1);
  CHECK(env->getValue<bool>("hasNextPage") == false);
  CHECK(env->getValue<bool>("hasPrevPage") == false);

  Obj second = parse(http(base, "GET", "/api/public/v1/channels?page=2&limit=1", "", bearer()).body);
  CHECK(second->getArray("docs")->getObject(0)->getValue<int>("id") == 43);
  CHECK(second->getValue<int>("totalPages") == 2);
  CHECK(second->getValue<bool>("hasNextPage") == false);
  CHECK(second->getValue<bool>("hasPrevPage") == true);

  CHECK(parse(http(base, "GET", "/api/public/v1/channels?limit=500", "", bearer()).body)->getValue<int>("limit") == 100);
  CHECK(parse(http(base, "GET", "/api/public/v1/channels?page=9", "", bearer()).body)->getArray("docs")->size() == 0);
  check_envelope(http(base, "GET", "/api/public/v1/channels?page=0", "", bearer()), 400, "invalid_request");

  Obj ro = parse(http(base, "GET", "/api/public/v1/channels", "", bearer("ro-key")).body);
  CHECK(ro->getValue<int>("totalDocs") == 1);
  CHECK(ro->getArray("docs")->getObject(0)->getValue<int>("id") == 42);
}

TEST_CASE("auth: exactly one credential header, known keys only") {
  std::string base = fresh_sandbox();
  const std::string path = "/api/public/v1/channels";
  SUBCASE("both headers are a bad request") {
    HttpReply r = http(base, "GET", path, "", {{"Authorization", "Bearer sandbox-key"}, {"x-api-key", "sandbox-key"}});
    check_envelope(r, 400, "invalid_request");
  }
  SUBCASE("no key") { check_envelope(http(base, "GET", path), 401, "invalid_api_key"); }
  SUBCASE("unknown key, and the secret is not echoed") {
    HttpReply r = http(base, "GET", path, "", bearer("sk-live-not-a-key-123"));
    check_envelope(r, 401, "invalid_api_key");
    CHECK_NOT_CONTAINS(r.body, "sk-live-not-a-key-123");
  }
  SUBCASE("non-bearer scheme") {
    check_envelope(http(base, "GET", path, "", {{"Authorization", "Basic c2FuZGJveC1rZXk="}}), 401, "invalid_api_key");
  }
  SUBCASE("x-api-key alone works") { CHECK(http(base, "GET", path, "", {{"x-api-key", "sandbox-key"}}).status == 200); }
}

TEST_CASE("scopes and channel access") {
  std::string base = fresh_sandbox();
  SUBCASE("a key without events:create gets 403 insufficient_scope") {
    HttpReply r = post_event(base, minimal_event_text(), bearer("ro-key"));
    check_envelope(r, 403, "insufficient_scope");
    CHECK(stored_events(base)->size() == 0);
  }
  SUBCASE("a key without events:update cannot patch") {
    REQUIRE(post_event(base, minimal_event_text()).status == 201);
    check_envelope(http(base, "PATCH", "/api/public/v1/events/1", R"({"title":"x"})", bearer("ro-key")), 403,
                   "insufficient_scope");
  }
  SUBCASE("channel 999 is forbidden") {
    HttpReply r = post_event(base, minimal_with("channelId", 999));
    check_envelope(r, 403, "forbidden");
    CHECK(error_field(r) == "channelId");
    CHECK(stored_events(base)->size() == 0);
  }
  SUBCASE("an existing channel the key lacks is forbidden") {
    check_envelope(post_event(base, minimal_with("channelId", 43), bearer("c42-key")), 403, "forbidden");
  }
}

TEST_CASE("create: the documented minimal request stores and echoes every field") {
  std::string base = fresh_sandbox();
  HttpReply r = post_event(base, minimal_event_text());
  REQUIRE(r.status == 201);
  CHECK(!r.headers["x-request-id"].empty());
  Obj doc = parse(r.body)->getObject("doc");
  CHECK(doc->getValue<int>("id") == 1);
  CHECK(doc->getValue<int>("channelId") == 42);
  CHECK(doc->getValue<std::string>("title") == "Jazz at the Docks");
  CHECK(doc->getValue<std::string>("startAt") == "2026-06-12T20:00:00-04:00");
  CHECK(doc->getValue<std::string>("timezone") == "America/New_York");
  CHECK(doc->getArray("classifications")->getElement<std::string>(0) == "music");
  Obj city = doc->getObject("approxLocation")->getObject("city");
  CHECK(city->getValue<std::string>("placeId") == "ChIJOwg_06VPwokRYv534QaPC8g");
  CHECK(city->getValue<std::string>("name") == "New York");
  CHECK(city->getValue<std::string>("countryCode") == "US");
  CHECK(doc->getValue<std::string>("status") == "draft");
  CHECK(!doc->getValue<std::string>("createdAt").empty());
  CHECK(doc->getValue<std::string>("updatedAt") == doc->getValue<std::string>("createdAt"));
  CHECK(parse(post_event(base, minimal_event_text()).body)->getObject("doc")->getValue<int>("id") == 2);
}

TEST_CASE("create: optional fields are stored, unknown fields ignored") {
  std::string base = fresh_sandbox();
  Obj body = minimal_event();
  body->set("endAt", "2026-06-12T23:30:00-04:00");
  body->set("status", "published");
  body->set("locationName", "Pier 17");
  body->set("description", "Late set.\nBring a jacket \"just in case\".");
  body->set("coverImage", 7);
  body->set("futureField", "ignored");
  Obj offer = new Poco::JSON::Object;
  offer->set("name", "General");
  offer->set("url", "https://tickets.example/1");
  offer->set("availability", "available");
  Poco::JSON::Array::Ptr offers = new Poco::JSON::Array;
  offers->add(offer);
  body->set("offers", offers);
  HttpReply r = post_event(base, stringify(body));
  REQUIRE(r.status == 201);
  Obj doc = parse(r.body)->getObject("doc");
  CHECK(doc->getValue<std::string>("endAt") == "2026-06-12T23:30:00-04:00");
  CHECK(doc->getValue<std::string>("status") == "published");
  CHECK(doc->getValue<std::string>("locationName") == "Pier 17");
  CHECK(doc->getValue<std::string>("description") == "Late set.\nBring a jacket \"just in case\".");
  CHECK(doc->getValue<int>("coverImage") == 7);
  CHECK(doc->getArray("offers")->getObject(0)->getValue<std::string>("url") == "https://tickets.example/1");
  CHECK(!doc->has("futureField"));
}

TEST_CASE("create: each missing required field is a 400 naming it") {
  std::string base = fresh_sandbox();
  std::string body, field;
  SUBCASE("channelId") { body = minimal_without({}, "channelId"); field = "channelId"; }
  SUBCASE("title") { body = minimal_without({}, "title"); field = "title"; }
  SUBCASE("startAt") { body = minimal_without({}, "startAt"); field = "startAt"; }
  SUBCASE("timezone") { body = minimal_without({}, "timezone"); field = "timezone"; }
  SUBCASE("classifications") { body = minimal_without({}, "classifications"); field = "classifications"; }
  SUBCASE("approxLocation.city.placeId") {
    body = minimal_without({"approxLocation", "city"}, "placeId"); field = "approxLocation.city.placeId";
  }
  HttpReply r = post_event(base, body);
  check_envelope(r, 400, "invalid_request");
  CHECK(error_field(r) == field);
  CHECK(stored_events(base)->size() == 0);
}

TEST_CASE("create: invalid values are a 400 naming the field") {
  std::string base = fresh_sandbox();
  std::string body, field;
  Poco::JSON::Array::Ptr slugs = new Poco::JSON::Array;
  SUBCASE("startAt without offset") { body = minimal_with("startAt", "2026-06-12T20:00:00"); field = "startAt"; }
  SUBCASE("startAt impossible date") { body = minimal_with("startAt", "2026-02-30T20:00:00Z"); field = "startAt"; }
  SUBCASE("startAt hour 24") { body = minimal_with("startAt", "2026-06-12T24:00:00Z"); field = "startAt"; }
  SUBCASE("startAt not a date") { body = minimal_with("startAt", "next friday"); field = "startAt"; }
  SUBCASE("unknown timezone") { body = minimal_with("timezone", "Mars/Olympus_Mons"); field = "timezone"; }
  SUBCASE("unknown slug at index 1") {
    slugs->add("music");
    slugs->add("jazz-ish");
    body = minimal_with("classifications", slugs); field = "classifications[1]";
  }
  SUBCASE("empty classifications") { body = minimal_with("classifications", slugs); field = "classifications"; }
  SUBCASE("endAt before startAt") { body = minimal_with("endAt", "2026-06-12T19:00:00-04:00"); field = "endAt"; }
  SUBCASE("status") { body = minimal_with("status", "live"); field = "status"; }
  SUBCASE("channelId as string") { body = minimal_with("channelId", "42"); field = "channelId"; }
  SUBCASE("blank title") { body = minimal_with("title", "   "); field = "title"; }
  SUBCASE("coverImage as string") { body = minimal_with("coverImage", "cover.jpg"); field = "coverImage"; }
  SUBCASE("offer without url") {
    Obj offer = new Poco::JSON::Object;
    offer->set("name", "General");
    slugs->add(offer);
    body = minimal_with("offers", slugs); field = "offers[0].url";
  }
  HttpReply r = post_event(base, body);
  check_envelope(r, 400, "invalid_request");
  CHECK(error_field(r) == field);
  CHECK(stored_events(base)->size() == 0);
}

TEST_CASE("create: an offset is accepted in any zone, endAt compares instants") {
  std::string base = fresh_sandbox();
  Obj body = minimal_event();
  body->set("startAt", "2026-06-13T00:00:00Z");
  body->set("endAt", "2026-06-12T21:00:00-04:00");  // 01:00Z, after startAt despite the smaller wall time
  CHECK(post_event(base, stringify(body)).status == 201);
}

TEST_CASE("bodies: malformed JSON, non-object, oversized, deeply nested") {
  std::string base = fresh_sandbox();
  SUBCASE("malformed") { check_envelope(post_event(base, R"({"channelId":42,)"), 400, "invalid_request"); }
  SUBCASE("array") { check_envelope(post_event(base, "[1,2]"), 400, "invalid_request"); }
  SUBCASE("2 MiB") {
    std::string big = R"({"title":")" + std::string(2 * 1024 * 1024, 'x') + R"("})";
    check_envelope(post_event(base, big), 413, "payload_too_large");
  }
  SUBCASE("deep nesting") { check_envelope(post_event(base, std::string(200000, '[')), 400, "invalid_request"); }
  CHECK(stored_events(base)->size() == 0);
  CHECK(http(base, "GET", "/api/public/v1/channels", "", bearer()).status == 200);  // still serving
}

TEST_CASE("routes: unknown is 404, wrong method 405, both with the envelope") {
  std::string base = fresh_sandbox();
  check_envelope(http(base, "GET", "/api/public/v1/venues", "", bearer()), 404, "not_found");
  check_envelope(http(base, "GET", "/nothing-here"), 404, "not_found");
  HttpReply r = http(base, "DELETE", "/api/public/v1/events/1", "", bearer());
  check_envelope(r, 405, "method_not_allowed");
  CHECK(r.headers["allow"] == "GET, PATCH");
}

TEST_CASE("GET /events/{id}: the doc, 404 for unknown ids and for channels the key cannot use") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_with("channelId", 43)).status == 201);
  HttpReply r = http(base, "GET", "/api/public/v1/events/1", "", bearer());
  REQUIRE(r.status == 200);
  CHECK(parse(r.body)->getObject("doc")->getValue<int>("channelId") == 43);
  check_envelope(http(base, "GET", "/api/public/v1/events/2", "", bearer()), 404, "not_found");
  check_envelope(http(base, "GET", "/api/public/v1/events/abc", "", bearer()), 404, "not_found");
  check_envelope(http(base, "GET", "/api/public/v1/events/1", "", bearer("ro-key")), 404, "not_found");
}

TEST_CASE("DELETE /_sandbox/events/{id}: the event is gone for GET and PATCH (404), its id never reused") {
  std::string base = fresh_sandbox();
  REQUIRE(post_event(base, minimal_event_text()).status == 201);
  REQUIRE(post_event(base, minimal_with("title", "Second")).status == 201);
  HttpReply r = http(base, "DELETE", "/_sandbox/events/1");
  REQUIRE(r.status == 200);
  CHECK(parse(r.body)->getValue<int>("deleted") == 1);
  check_envelope(http(base, "GET", "/api/public/v1/events/1", "", bearer()), 404, "not_found");
  check_envelope(http(base, "PATCH", "/api/public/v1/events/1", R"({"title":"Back?"})",
                      with(bearer(), "Idempotency-Key", "k-1")),
                 404, "not_found");
  CHECK(http(base, "GET", "/api/public/v1/events/2", "", bearer()).status == 200);  // the others stay
  check_envelope(http(base, "DELETE", "/_sandbox/events/1"), 404, "not_found");
  check_envelope(http(base, "DELETE", "/_sandbox/events/abc"), 400, "invalid_request");
  check_envelope(http(base, "GET", "/_sandbox/events/2"), 405, "method_not_allowed");
  r = post_event(base, minimal_with("title", "Third"));
  REQUIRE(r.status == 201);
  CHECK(parse(r.body)->getObject("doc")->getValue<int>("id") == 3);
  CHECK(parse(http(base, "GET", "/_sandbox/events").body)->getArray("events")->size() == 2);
}

TEST_CASE("PATCH /events/{id}: changes only the given fields, validates the merged event") {
  std::string base = fresh_sandbox();
  Obj created = parse(post_event(base, minimal_event_text()).body)->getObject("doc");
  const std::string path = "/api/public/v1/events/1";
  HttpReply r = http(base, "PATCH", path, R"j({"title":"Jazz at the Docks (late show)","status":"published"})j", bearer());
  REQUIRE(r.status == 200);
  Obj doc = parse(r.body)->getObject("doc");
  CHECK(doc->getValue<std::string>("title") == "Jazz at the Docks (late show)");
  CHECK(doc->getValue<std::string>("status") == "published");
  CHECK(doc->getValue<std::string>("startAt") == created->getValue<std::string>("startAt"));
  CHECK(doc->getObject("approxLocation")->getObject("city")->getValue<std::string>("placeId") ==
        "ChIJOwg_06VPwokRYv534QaPC8g");
  CHECK(doc->getValue<std::string>("createdAt") == created->getValue<std::string>("createdAt"));

  HttpReply city = http(base, "PATCH", path, R"({"approxLocation":{"city":{"name":"NYC"}}})", bearer());
  REQUIRE(city.status == 200);
  Obj merged_city = parse(city.body)->getObject("doc")->getObject("approxLocation")->getObject("city");
  CHECK(merged_city->getValue<std::string>("name") == "NYC");
  CHECK(merged_city->getValue<std::string>("placeId") == "ChIJOwg_06VPwokRYv534QaPC8g");

  HttpReply bad = http(base, "PATCH", path, R"({"endAt":"2026-06-01T00:00:00Z"})", bearer());
  check_envelope(bad, 400, "invalid_request");
  CHECK(error_field(bad) == "endAt");
  check_envelope(http(base, "PATCH", path, R"({"title":null})", bearer()), 400, "invalid_request");
  check_envelope(http(base, "PATCH", "/api/public/v1/events/99", R"({"title":"x"})", bearer()), 404, "not_found");
  check_envelope(http(base, "PATCH", path, R"({"channelId":43})", bearer("c42-key")), 403, "forbidden");

  Obj stored = stored_events(base)->getObject(0);
  CHECK(stored->getValue<std::string>("title") == "Jazz at the Docks (late show)");
  CHECK(stored->getValue<int>("channelId") == 42);
  CHECK(stored_events(base)->size() == 1);
}

TEST_CASE("GET /events: minimal envelope, id order, pagination, channelId filter, key's channels only") {
  std::string base = fresh_sandbox();
  for (int channel : {42, 43, 42, 43, 42}) REQUIRE(post_event(base, minimal_with("channelId", channel)).status == 201);
  Obj page2 = parse(http(base, "GET", "/api/public/v1/events?page=2&limit=2", "", bearer()).body);
  CHECK(page2->getValue<int>("totalDocs") == 5);
  CHECK(page2->getValue<int>("limit") == 2);
  CHECK(page2->getValue<int>("page") == 2);
  CHECK(!page2->has("totalPages"));
  REQUIRE(page2->getArray("docs")->size() == 2);
  CHECK(page2->getArray("docs")->getObject(0)->getValue<int>("id") == 3);
  CHECK(page2->getArray("docs")->getObject(1)->getValue<int>("id") == 4);

  Obj only43 = parse(http(base, "GET", "/api/public/v1/events?channelId=43", "", bearer()).body);
  CHECK(only43->getValue<int>("totalDocs") == 2);
  CHECK(only43->getArray("docs")->getObject(1)->getValue<int>("id") == 4);

  CHECK(parse(http(base, "GET", "/api/public/v1/events?limit=1000", "", bearer()).body)->getValue<int>("limit") == 100);
  CHECK(parse(http(base, "GET", "/api/public/v1/events?page=4&limit=2", "", bearer()).body)->getArray("docs")->size() == 0);
  CHECK(parse(http(base, "GET", "/api/public/v1/events", "", bearer("ro-key")).body)->getValue<int>("totalDocs") == 3);
  check_envelope(http(base, "GET", "/api/public/v1/events?channelId=999", "", bearer()), 403, "forbidden");
  check_envelope(http(base, "GET", "/api/public/v1/events?limit=-1", "", bearer()), 400, "invalid_request");
}

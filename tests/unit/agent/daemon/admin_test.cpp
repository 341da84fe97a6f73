// Which requests the admin endpoint refuses before it looks at them (DNS rebinding,
// cross-site requests, oversized bodies), without a server.
#include <doctest/doctest.h>

#include "agent/daemon/admin.h"

using namespace pinsync::agent;

namespace {

AdminRequest post(std::string content_type, std::optional<std::int64_t> length = 2) {
  return {"POST", "/resync", std::string("127.0.0.1:8765"), std::nullopt, std::move(content_type), length};
}

int refused(const AdminRequest& r) {
  const auto refusal = admin_refusal(r);
  return refusal ? refusal->status : 0;
}

}  // namespace

TEST_CASE("admin: loopback hosts with any port are served; any other Host is refused (DNS rebinding)") {
  for (const char* host : {"127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "127.0.0.1"}) {
    CHECK(refused({"GET", "/status", std::string(host), std::nullopt, "", 0}) == 0);
  }
  for (const char* host : {"attacker.example:8765", "127.0.0.2:8765", "localhost.evil.example", "[::2]:8765", ""}) {
    CHECK(refused({"GET", "/status", std::string(host), std::nullopt, "", 0}) == 421);
  }
  CHECK(refused({"GET", "/status", std::nullopt, std::nullopt, "", 0}) == 0);  // HTTP/1.0, no browser
}

TEST_CASE("admin: an Origin other than the endpoint's own kind is refused, for every method") {
  auto r = post("application/json");
  r.origin = "http://127.0.0.1:8765";
  CHECK(refused(r) == 0);
  r.origin = "http://localhost:9999";
  CHECK(refused(r) == 0);
  for (const char* origin : {"https://evil.example", "null", "http://127.0.0.1.evil.example", "https://127.0.0.1:8765"}) {
    r.origin = origin;
    CHECK(refused(r) == 403);
  }
  CHECK(refused({"GET", "/status", std::string("127.0.0.1:1"), std::string("https://evil.example"), "", 0}) == 403);
}

TEST_CASE("admin: POST needs JSON and a small body") {
  CHECK(refused(post("application/json")) == 0);
  CHECK(refused(post("Application/JSON; charset=utf-8")) == 0);
  CHECK(refused(post("text/plain")) == 415);
  CHECK(refused(post("application/x-www-form-urlencoded")) == 415);
  CHECK(refused(post("multipart/form-data; boundary=x")) == 415);
  CHECK(refused(post("")) == 415);
  CHECK(refused(post("application/json", k_admin_max_body)) == 0);
  CHECK(refused(post("application/json", k_admin_max_body + 1)) == 413);
  CHECK(refused(post("application/json", 1'200'000'000)) == 413);
  CHECK(refused(post("application/json", std::nullopt)) == 0);  // chunked: the read stops at the limit
}

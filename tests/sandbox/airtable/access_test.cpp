// Conformance of access control and limits: personal access tokens (401/403 as Airtable sends
// them, hiding whether a base or table exists), the per-base rate limit with its 429 penalty,
// and the Airtable flags of pinsync-sandbox.
#include "tests/support/checks.h"
#include <chrono>
#include <thread>

#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

constexpr const char* k_forbidden_message =
    "Invalid permissions, or the requested model was not found. Check that both your user and your token have the "
    "required permissions, and that the model names and/or ids are correct.";

HttpReply patch_one(const std::string& base, const std::string& token, const std::string& base_id = k_base) {
  return http(base, "PATCH", "/v0/" + base_id + "/Submissions",
              R"({"records":[{"id":"rec00000000000001","fields":{"Name":"b"}}]})", bearer(token));
}

}  // namespace

TEST_CASE("tokens: missing or unknown → 401, lacking a scope or the base → 403, never echoed") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}}]})");
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}}]})", "Submissions", k_other_base);

  HttpReply none = http(base, "GET", "/v0/" + k_base + "/Submissions");
  check_error(none, 401, "AUTHENTICATION_REQUIRED");
  CHECK(error_message(none) == "Authentication required");
  check_error(list(base, "", "patNotAKnownToken"), 401, "AUTHENTICATION_REQUIRED");
  check_error(http(base, "GET", "/v0/" + k_base + "/Submissions", "", {{"Authorization", "Basic " + k_token}}), 401,
              "AUTHENTICATION_REQUIRED");
  check_error(http(base, "GET", "/v0/" + k_base + "/Submissions?api_key=" + k_token), 401, "AUTHENTICATION_REQUIRED");

  // A read-only token reads but cannot write.
  CHECK(list(base, "", k_read_only).status == 200);
  HttpReply no_scope = patch_one(base, k_read_only);
  check_error(no_scope, 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  CHECK(error_message(no_scope) == k_forbidden_message);
  CHECK(patch_one(base, k_token).status == 200);

  // A token limited to another base: 403 here, 200 there.
  check_error(list(base, "", k_other_base_token), 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  CHECK(http(base, "GET", "/v0/" + k_other_base + "/Submissions", "", bearer(k_other_base_token)).status == 200);
  CHECK(patch_one(base, k_other_base_token, k_other_base).status == 200);

  // An unknown base and an unknown table look exactly like a base without access.
  HttpReply unknown_base = http(base, "GET", "/v0/appNoSuchBase00000/Submissions", "", bearer());
  check_error(unknown_base, 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  HttpReply unknown_table = list(base, "", k_token, "Nope");
  check_error(unknown_table, 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  CHECK(unknown_table.body == unknown_base.body);
  // …unless the 2021 behaviour is asked for.
  settings(base, R"({"unknown_table_status":404})");
  HttpReply recorded = list(base, "", k_token, "Unknown Table");
  check_error(recorded, 404, "TABLE_NOT_FOUND");
  CHECK(error_message(recorded) == "Could not find table Unknown Table in application " + k_base);

  for (const HttpReply& r : {none, no_scope, unknown_base, unknown_table, recorded}) {
    CHECK_NOT_CONTAINS(r.body, k_token);
    CHECK_NOT_CONTAINS(r.body, k_read_only);
  }
}

TEST_CASE("rate limit: a 6th request within a second is 429 and the base stays 429 for the whole wait") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}}]})");
  put_table(base, R"({"records":[]})", "Submissions", k_other_base);
  settings(base, R"({"requests_per_second":5,"rate_limit_wait_seconds":1.5})");
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) REQUIRE(list(base).status == 200);
  REQUIRE(patch_one(base, k_token).status == 200);  // writes share the base's budget
  HttpReply limited = list(base);
  REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(900));  // the six were "quick"
  CHECK(limited.status == 429);
  CHECK(limited.body == R"({"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}]})");
  // Another base is not affected; any token hits the same base limit.
  CHECK(http(base, "GET", "/v0/" + k_other_base + "/Submissions", "", bearer()).status == 200);
  CHECK(list(base, "", k_read_only).status == 429);

  // Past one second a plain per-second window would let requests through; the penalty does not.
  std::this_thread::sleep_until(started + std::chrono::milliseconds(1150));
  CHECK(list(base).status == 429);
  std::this_thread::sleep_until(started + std::chrono::milliseconds(1700));
  CHECK(list(base).status == 200);
  CHECK(stat_count(base, "GET", "/v0/{baseId}/{table}", 429) == 3);
  CHECK(stat_count(base, "GET", "/v0/{baseId}/{table}", 200) == 6);
}

TEST_CASE("flags: defaults 5 requests per second and 30 s, --airtable-* override them, bad values exit 2") {
  pinsync::test::SandboxProcess defaults;
  Obj d = parse(http(defaults.base_url(), "GET", "/_sandbox/airtable/settings").body);
  CHECK(d->getValue<double>("requests_per_second") == 5);
  CHECK(d->getValue<double>("rate_limit_wait_seconds") == 30);
  // The default token reaches any base with both record scopes.
  put_table(defaults.base_url(), R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}}]})", "T", k_other_base);
  CHECK(http(defaults.base_url(), "PATCH", "/v0/" + k_other_base + "/T",
             R"({"records":[{"id":"rec00000000000001","fields":{"Name":"b"}}]})", bearer()).status == 200);

  pinsync::test::SandboxProcess custom({"--airtable-rate-limit-wait", "0.5", "--airtable-requests-per-second=2"});
  Obj c = parse(http(custom.base_url(), "GET", "/_sandbox/airtable/settings").body);
  CHECK(c->getValue<double>("requests_per_second") == 2);
  CHECK(c->getValue<double>("rate_limit_wait_seconds") == 0.5);
  CHECK(http(custom.base_url(), "POST", "/_sandbox/airtable/settings", R"({"requests_per_second":-1})").status == 400);
  CHECK(http(custom.base_url(), "POST", "/_sandbox/airtable/settings", R"({"bogus":1})").status == 400);

  std::string bin = std::string(PINSYNC_SANDBOX_BIN_DIR) + "/pinsync-sandbox";
  auto bad_scope = pinsync::test::run_process({bin, "--airtable-token", "patSecret123=data.records:eat"}, {},
                                              std::chrono::seconds(10));
  CHECK(bad_scope.exit_code == 2);
  CHECK_CONTAINS(bad_scope.err, "data.records:eat");
  CHECK_NOT_CONTAINS(bad_scope.err, "patSecret123");
  auto bad_wait = pinsync::test::run_process({bin, "--airtable-rate-limit-wait", "soon"}, {}, std::chrono::seconds(10));
  CHECK(bad_wait.exit_code == 2);
}

// Conformance of the emulated Sheets read quotas together: the per-project quota (its 429 body,
// who shares it, 0 = off), the per-user body left as recorded, the control route and the flag.
// No test waits for a minute: setting the quota through the control route restarts the windows.
#include "tests/support/checks.h"
#include <string>

#include "tests/sandbox/google/helpers.h"

using namespace google_test;

namespace {

constexpr const char* k_sa_a = "poller-a@pinsync-test.iam.gserviceaccount.com";
constexpr const char* k_sa_b = "poller-b@pinsync-test.iam.gserviceaccount.com";
constexpr const char* k_sa_other = "poller@other-project.iam.gserviceaccount.com";
constexpr const char* k_sa_no_project = "old-key@pinsync-test.iam.gserviceaccount.com";

// A public sheet the three service accounts are also shared on.
void put_quota_sheet(const std::string& base) {
  put_sheet(base, "quota",
            std::string(R"({"public":true,"sheets":{"Events":[["Event ID"]]},"shared_with":[")") + k_sa_a + "\",\"" +
                k_sa_b + "\",\"" + k_sa_other + "\"]}");
}

HttpReply read_with(const std::string& base, const Headers& headers, const std::string& query = "") {
  return http(base, "GET", "/v4/spreadsheets/quota/values/Events!A1" + query, "", headers);
}

std::string token_of(const std::string& base, const std::string& email, const std::string& project_id) {
  Claims c;
  c.iss = email;
  return sa_token(base, c, project_id);
}

HttpReply set_quota(const std::string& base, const std::string& body) {
  return http(base, "POST", "/_sandbox/google/quota", body);
}

// The recorded per-user 429 with its limit value set to `limit`.
Obj per_user_body(std::int64_t limit) {
  Obj expected = sample("sheets_error_429_resource_exhausted.json").extract<Obj>();
  expected->getObject("error")->getArray("details")->getObject(0)->getObject("metadata")->set("quota_limit_value",
                                                                                             std::to_string(limit));
  return expected;
}

// The recorded body as the per-project quota words it: the limit 'Read requests per minute',
// quota_limit ReadRequestsPerMinutePerProject, quota_unit 1/min/{project}.
Obj per_project_body(std::int64_t limit) {
  Obj expected = per_user_body(limit);
  Obj error = expected->getObject("error");
  error->set("message", std::string("Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                                    "minute' of service 'sheets.googleapis.com' for consumer "
                                    "'project_number:603366585132'."));
  Obj metadata = error->getArray("details")->getObject(0)->getObject("metadata");
  metadata->set("quota_limit", std::string("ReadRequestsPerMinutePerProject"));
  metadata->set("quota_unit", std::string("1/min/{project}"));
  return expected;
}

}  // namespace

TEST_CASE("project read quota: two accounts of one project share it and get its own 429; another project does not") {
  std::string base = fresh_sandbox();
  put_quota_sheet(base);
  std::string a = token_of(base, k_sa_a, k_sa_project);
  std::string b = token_of(base, k_sa_b, k_sa_project);
  std::string other = token_of(base, k_sa_other, "other-project");
  HttpReply set = set_quota(base, R"({"read_requests_per_minute":2,"read_requests_per_minute_per_project":3})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  CHECK(set.body == R"({"read_requests_per_minute":2,"read_requests_per_minute_per_project":3})");

  CHECK(read_with(base, bearer(a)).status == 200);
  CHECK(read_with(base, bearer(a)).status == 200);
  // a has used its own 2; the per-user body stays exactly the recorded one.
  HttpReply user_limited = read_with(base, bearer(a));
  REQUIRE(user_limited.status == 429);
  CHECK(canon(parse(user_limited.body)) == canon(per_user_body(2)));
  // Guards "a refused read counts in neither quota": a's refused read left the project at 2 of 3.
  CHECK(read_with(base, bearer(b)).status == 200);
  // b is under its own 2 (1 used), but the project's 3 are used up.
  HttpReply project_limited = read_with(base, bearer(b));
  REQUIRE(project_limited.status == 429);
  CHECK(project_limited.headers.count("retry-after") == 0);
  check_google_error(project_limited, 429, "RESOURCE_EXHAUSTED",
                     "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service "
                     "'sheets.googleapis.com' for consumer 'project_number:603366585132'.");
  Obj info = error_of(project_limited)->getArray("details")->getObject(0);
  CHECK(info->getValue<std::string>("reason") == "RATE_LIMIT_EXCEEDED");
  Obj metadata = info->getObject("metadata");
  CHECK(metadata->getValue<std::string>("quota_limit") == "ReadRequestsPerMinutePerProject");
  CHECK(metadata->getValue<std::string>("quota_unit") == "1/min/{project}");
  CHECK(metadata->get("quota_limit_value").isString());
  CHECK(metadata->getValue<std::string>("quota_limit_value") == "3");
  CHECK(canon(parse(project_limited.body)) == canon(per_project_body(3)));

  // Another project's account, and the API key (the default project), have their own 3.
  CHECK(read_with(base, bearer(other)).status == 200);
  CHECK(read_with(base, bearer(other)).status == 200);
  CHECK(read_with(base, {}, "?" + k_key).status == 200);
  // Writes are not reads: the project's used-up read quota does not stop them.
  CHECK(http(base, "PUT", "/v4/spreadsheets/quota/values/Events!A2?valueInputOption=RAW", R"({"values":[["E-1"]]})",
             bearer(b)).status == 200);
}

TEST_CASE("project read quota: API keys, OAuth users, key files without project_id share one project; 0 = off") {
  std::string base = fresh_sandbox();
  put_quota_sheet(base);
  HttpReply refreshed = post_form(base, "grant_type=refresh_token&client_id=sandbox-client.apps.googleusercontent.com"
                                        "&client_secret=client-secret-1&refresh_token=refresh-1");
  REQUIRE_MESSAGE(refreshed.status == 200, refreshed.body);
  std::string user = parse(refreshed.body)->getValue<std::string>("access_token");
  std::string no_project = token_of(base, k_sa_no_project, "");
  std::string in_project = token_of(base, k_sa_a, k_sa_project);
  REQUIRE(set_quota(base, R"({"read_requests_per_minute":5,"read_requests_per_minute_per_project":3})").status == 200);

  CHECK(read_with(base, {}, "?" + k_key).status == 200);
  CHECK(read_with(base, {{"x-goog-api-key", "extra-key"}}).status == 200);
  CHECK(read_with(base, bearer(user)).status == 200);
  HttpReply limited = read_with(base, bearer(no_project));
  REQUIRE(limited.status == 429);
  CHECK(canon(parse(limited.body)) == canon(per_project_body(3)));
  CHECK(read_with(base, bearer(in_project)).status == 200);

  // Turning the project quota off keeps the per-user limit that was not named.
  HttpReply off = set_quota(base, R"({"read_requests_per_minute_per_project":0})");
  REQUIRE_MESSAGE(off.status == 200, off.body);
  CHECK(off.body == R"({"read_requests_per_minute":5,"read_requests_per_minute_per_project":0})");
  for (int i = 0; i < 5; ++i) CHECK(read_with(base, {}, "?" + k_key).status == 200);
  CHECK(read_with(base, {}, "?" + k_key).status == 429);  // the per-user 5 still holds
  CHECK(read_with(base, bearer(user)).status == 200);
}

TEST_CASE("quota control route: both fields, either may be left out, bad values 400, reset restores startup") {
  std::string base = fresh_sandbox();
  CHECK(http(base, "GET", "/_sandbox/google/quota").body ==
        R"({"read_requests_per_minute":0,"read_requests_per_minute_per_project":0})");
  HttpReply only_user = set_quota(base, R"({"read_requests_per_minute":7})");
  CHECK(only_user.body == R"({"read_requests_per_minute":7,"read_requests_per_minute_per_project":0})");
  HttpReply only_project = set_quota(base, R"({"read_requests_per_minute_per_project":300})");
  CHECK(only_project.body == R"({"read_requests_per_minute":7,"read_requests_per_minute_per_project":300})");
  CHECK(http(base, "GET", "/_sandbox/google/quota").body == only_project.body);

  for (const char* bad : {R"({"read_requests_per_minute_per_project":-1})",
                          R"({"read_requests_per_minute_per_project":"9"})",
                          R"({"read_requests_per_minute_per_project":1.5})",
                          R"({"read_requests_per_minute":1,"read_requests_per_minute_per_project":null})"}) {
    HttpReply r = set_quota(base, bad);
    CHECK_MESSAGE(r.status == 400, bad);
    CHECK(parse(r.body)->getObject("error")->getObject("details")->getValue<std::string>("field") ==
          "read_requests_per_minute_per_project");
  }
  HttpReply empty = set_quota(base, "{}");
  CHECK(empty.status == 400);
  CHECK_CONTAINS(empty.body, "read_requests_per_minute_per_project");
  // A refused body changes nothing, not even the half that was valid.
  CHECK(http(base, "GET", "/_sandbox/google/quota").body == only_project.body);

  REQUIRE(http(base, "POST", "/_sandbox/google/reset").status == 200);
  CHECK(http(base, "GET", "/_sandbox/google/quota").body ==
        R"({"read_requests_per_minute":0,"read_requests_per_minute_per_project":0})");
}

TEST_CASE("startup flag: --sheets-project-read-quota-per-minute limits the project, and reset restores it") {
  pinsync::test::SandboxProcess sandbox({"--sheets-read-quota-per-minute", "2",
                                         "--sheets-project-read-quota-per-minute", "2",
                                         "--google-api-key", "second-key", "--google-api-key", "third-key"});
  std::string base = sandbox.base_url();
  put_quota_sheet(base);
  CHECK(http(base, "GET", "/_sandbox/google/quota").body ==
        R"({"read_requests_per_minute":2,"read_requests_per_minute_per_project":2})");
  // Three API keys of the default project, one read each: the third is over the project's 2.
  CHECK(read_with(base, {}, "?" + k_key).status == 200);
  CHECK(read_with(base, {}, "?key=second-key").status == 200);
  HttpReply limited = read_with(base, {}, "?key=third-key");
  REQUIRE(limited.status == 429);
  CHECK(canon(parse(limited.body)) == canon(per_project_body(2)));

  REQUIRE(set_quota(base, R"({"read_requests_per_minute":0,"read_requests_per_minute_per_project":0})").status == 200);
  REQUIRE(http(base, "POST", "/_sandbox/google/reset").status == 200);
  CHECK(http(base, "GET", "/_sandbox/google/quota").body ==
        R"({"read_requests_per_minute":2,"read_requests_per_minute_per_project":2})");
}

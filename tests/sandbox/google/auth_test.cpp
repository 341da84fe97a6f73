// Conformance of the emulated Google auth: API keys, the token endpoint (JWT-bearer and
// refresh_token grants and their flat errors), token expiry, scopes, sharing roles, the read
// quota's 429, the startup flags and request statistics.
#include "tests/support/checks.h"
#include <string>

#include "tests/sandbox/google/helpers.h"
#include "tests/support/temp_dir.h"

using namespace google_test;

namespace {

const std::string k_private_and_shared = std::string(R"({"sheets":{"Events":[["Event ID"],["E-1"]]},"shared_with":[")") +
                                         k_sa_email + "\"]}";

HttpReply read_events(const std::string& base, const std::string& id, const Headers& headers = {},
                      const std::string& query = "") {
  return http(base, "GET", "/v4/spreadsheets/" + id + "/values/Events!A1:B2" + query, "", headers);
}

HttpReply write_cell(const std::string& base, const std::string& id, const Headers& headers,
                     const std::string& query = "") {
  return http(base, "POST", "/v4/spreadsheets/" + id + "/values:batchUpdate" + query,
              R"({"valueInputOption":"RAW","data":[{"range":"Events!B2","values":[["P-1"]]}]})", headers);
}

HttpReply refresh_grant(const std::string& base, const std::string& id, const std::string& secret, const std::string& token) {
  return post_form(base, "grant_type=refresh_token&client_id=" + form_value(id) + "&client_secret=" + form_value(secret) +
                             "&refresh_token=" + form_value(token));
}

Claims timed(std::int64_t iat, std::int64_t exp) {
  Claims c;
  c.iat = iat;
  c.exp = exp;
  return c;
}

constexpr const char* k_client_id = "sandbox-client.apps.googleusercontent.com";

}  // namespace

TEST_CASE("API keys read public sheets only and can never write") {
  std::string base = fresh_sandbox();
  put_sheet(base, "public", R"({"public":true,"sheets":{"Events":[["Event ID"],["E-1"]]}})");
  put_sheet(base, "private", R"({"sheets":{"Events":[["Event ID"],["E-1"]]}})");
  CHECK(read_events(base, "public", {}, "?key=sandbox-google-key").status == 200);
  CHECK(read_events(base, "public", {{"x-goog-api-key", "extra-key"}}).status == 200);
  check_google_error(read_events(base, "private", {}, "?key=sandbox-google-key"), 403, "PERMISSION_DENIED",
                     "The caller does not have permission");
  HttpReply bad = read_events(base, "public", {}, "?key=wrong-key");
  check_google_error(bad, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
  CHECK(error_of(bad)->getArray("details")->getObject(0)->getValue<std::string>("reason") == "API_KEY_INVALID");
  CHECK_NOT_CONTAINS(bad.body, "wrong-key");
  check_google_error(read_events(base, "public"), 403, "PERMISSION_DENIED", "The request is missing a valid API key.");
  check_google_error(write_cell(base, "public", {}, "?key=sandbox-google-key"), 401, "UNAUTHENTICATED",
                     "API keys are not supported by this API. Expected OAuth2 access token or other authentication "
                     "credentials that assert a principal. See https://cloud.google.com/docs/authentication");
  check_google_error(write_cell(base, "public", {}), 401, "UNAUTHENTICATED",
                     "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
                     "or other valid authentication credential. See "
                     "https://developers.google.com/identity/sign-in/web/devconsole-project.");
}

TEST_CASE("service account: signed JWT exchanged at /token, shared sheet readable, unshared 403, unknown 404") {
  std::string base = fresh_sandbox();
  put_sheet(base, "shared", k_private_and_shared);
  put_sheet(base, "unshared", R"({"sheets":{"Events":[["x"]]},"shared_with":["someone-else@example.com"]})");
  register_account(base);
  HttpReply r = exchange_assertion(base, sign_assertion(base, Claims{}));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Obj body = parse(r.body);
  CHECK(body->getValue<std::string>("token_type") == "Bearer");
  CHECK(body->getValue<int>("expires_in") == 3599);
  CHECK(!body->has("refresh_token"));
  std::string token = body->getValue<std::string>("access_token");
  HttpReply ok = read_events(base, "shared", bearer(token));
  REQUIRE(ok.status == 200);
  CHECK(canon(parse(ok.body)->get("values")) == canon(parse_any(R"([["Event ID"],["E-1"]])")));
  CHECK(read_events(base, "shared", {}, "?access_token=" + token).status == 200);
  check_google_error(read_events(base, "unshared", bearer(token)), 403, "PERMISSION_DENIED", "The caller does not have permission");
  check_google_error(read_events(base, "nope", bearer(token)), 404, "NOT_FOUND", "Requested entity was not found.");
  CHECK(write_cell(base, "shared", bearer(token)).status == 200);
  CHECK(parse(http(base, "GET", "/_sandbox/sheets/shared").body)->getObject("sheets")->getArray("Events")->getArray(1)->get(1).toString() ==
        "P-1");
  check_google_error(read_events(base, "shared", bearer("ya29.made-up")), 401, "UNAUTHENTICATED",
                     "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                     "other valid authentication credential. See "
                     "https://developers.google.com/identity/sign-in/web/devconsole-project.");
}

TEST_CASE("token endpoint: bad assertions get Google's flat error JSON") {
  std::string base = fresh_sandbox();
  register_account(base);
  const std::string bad_times =
      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and "
      "exp values in the JWT claim.";
  std::int64_t now = now_seconds();
  SUBCASE("signed with another key") {
    check_oauth_error(exchange_assertion(base, sign_assertion(base, Claims{}, other_key_pem())), 400, "invalid_grant",
                      "Invalid JWT Signature.");
  }
  SUBCASE("tampered claims") {
    std::string jwt = sign_assertion(base, Claims{});
    jwt[jwt.find('.') + 5] ^= 1;
    CHECK(exchange_assertion(base, jwt).status == 400);
  }
  SUBCASE("expired assertion") {
    check_oauth_error(exchange_assertion(base, sign_assertion(base, timed(now - 7200, now - 3600))), 400,
                      "invalid_grant", bad_times);
  }
  SUBCASE("lifetime over an hour") {
    check_oauth_error(exchange_assertion(base, sign_assertion(base, timed(now, now + 3601))), 400, "invalid_grant",
                      bad_times);
  }
  SUBCASE("issued in the future") {
    check_oauth_error(exchange_assertion(base, sign_assertion(base, timed(now + 600, now + 1200))), 400,
                      "invalid_grant", bad_times);
  }
  SUBCASE("wrong audience") {
    Claims c;
    c.aud = "https://example.com/token";
    check_oauth_error(exchange_assertion(base, sign_assertion(base, c)), 400, "invalid_grant",
                      "Invalid JWT: Failed audience check. The right audience is " + base + "/token");
  }
  SUBCASE("Google's own token URI is an accepted audience") {
    Claims c;
    c.aud = "https://oauth2.googleapis.com/token";
    CHECK(exchange_assertion(base, sign_assertion(base, c)).status == 200);
  }
  SUBCASE("unknown account") {
    Claims c;
    c.iss = "stranger@elsewhere.iam.gserviceaccount.com";
    check_oauth_error(exchange_assertion(base, sign_assertion(base, c)), 400, "invalid_grant", "Invalid grant: account not found");
  }
  SUBCASE("missing scope") {
    Claims c;
    c.scope = "";
    check_oauth_error(exchange_assertion(base, sign_assertion(base, c)), 400, "invalid_scope", "Empty or missing scope not allowed.");
  }
  SUBCASE("grant type and assertion") {
    check_oauth_error(post_form(base, "grant_type=password"), 400, "unsupported_grant_type", "Invalid grant_type: password");
    check_oauth_error(post_form(base, "grant_type=" + form_value("urn:ietf:params:oauth:grant-type:jwt-bearer")), 400,
                      "invalid_request", "Missing required parameter: assertion");
    check_oauth_error(exchange_assertion(base, "not.a.jwt"), 400, "invalid_grant", "Invalid JWT Signature.");
  }
}

TEST_CASE("refresh_token grant: token acts as the client's user; client errors as Google sends them") {
  std::string base = fresh_sandbox();
  put_sheet(base, "user-sheet", R"({"sheets":{"Events":[["Event ID"]]},"shared_with":[{"email":"user@example.com","role":"writer"}]})");
  HttpReply r = refresh_grant(base, k_client_id, "client-secret-1", "refresh-1");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Obj body = parse(r.body);
  CHECK(body->getValue<std::string>("scope") == k_scope_rw);
  CHECK(body->getValue<std::string>("token_type") == "Bearer");
  CHECK(!body->has("refresh_token"));
  std::string token = body->getValue<std::string>("access_token");
  CHECK(read_events(base, "user-sheet", bearer(token)).status == 200);
  CHECK(write_cell(base, "user-sheet", bearer(token)).status == 200);

  check_oauth_error(refresh_grant(base, k_client_id, "wrong-secret", "refresh-1"), 401, "invalid_client", "Unauthorized");
  check_oauth_error(refresh_grant(base, "unknown.apps.googleusercontent.com", "s", "t"), 401, "invalid_client",
                    "The OAuth client was not found.");
  check_oauth_error(refresh_grant(base, k_client_id, "client-secret-1", "revoked"), 400, "invalid_grant",
                    "Token has been expired or revoked.");
  // RFC 6749 client authentication with HTTP Basic works too.
  HttpReply basic = http(base, "POST", "/token", "grant_type=refresh_token&refresh_token=refresh-1",
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"Authorization", "Basic c2FuZGJveC1jbGllbnQuYXBwcy5nb29nbGV1c2VyY29udGVudC5jb206Y2xpZW50LXNlY3JldC0x"}});
  CHECK(basic.status == 200);
}

TEST_CASE("expired access tokens get 401 UNAUTHENTICATED; a fresh exchange works again") {
  std::string base = fresh_sandbox();
  put_sheet(base, "shared", k_private_and_shared);
  std::string token = sa_token(base);
  REQUIRE(read_events(base, "shared", bearer(token)).status == 200);
  HttpReply expired = http(base, "POST", "/_sandbox/google/expire-tokens");
  CHECK(parse(expired.body)->getValue<int>("expired") == 1);
  HttpReply r = read_events(base, "shared", bearer(token));
  check_google_error(r, 401, "UNAUTHENTICATED",
                     "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                     "other valid authentication credential. See "
                     "https://developers.google.com/identity/sign-in/web/devconsole-project.");
  CHECK(r.headers.count("www-authenticate") == 1);
  std::string renewed = sa_token(base);
  CHECK(renewed != token);
  CHECK(read_events(base, "shared", bearer(renewed)).status == 200);
}

TEST_CASE("read-only scope and reader shares cannot write") {
  std::string base = fresh_sandbox();
  put_sheet(base, "roles", std::string(R"({"sheets":{"Events":[["Event ID"],["E-1"]]},"shared_with":[{"email":")") + k_sa_email +
                               R"(","role":"reader"}]})");
  std::string full = sa_token(base);
  CHECK(read_events(base, "roles", bearer(full)).status == 200);
  check_google_error(write_cell(base, "roles", bearer(full)), 403, "PERMISSION_DENIED", "The caller does not have permission");

  put_sheet(base, "roles", k_private_and_shared);  // now a writer share
  Claims ro;
  ro.scope = k_scope_ro;
  std::string readonly = sa_token(base, ro);
  CHECK(read_events(base, "roles", bearer(readonly)).status == 200);
  check_google_error(write_cell(base, "roles", bearer(readonly)), 403, "PERMISSION_DENIED",
                     "Request had insufficient authentication scopes.");
  CHECK(write_cell(base, "roles", bearer(full)).status == 200);

  Claims other;
  other.scope = "https://www.googleapis.com/auth/userinfo.email";
  check_google_error(read_events(base, "roles", bearer(sa_token(base, other))), 403, "PERMISSION_DENIED",
                     "Request had insufficient authentication scopes.");
}

TEST_CASE("read quota: 429 RESOURCE_EXHAUSTED exactly like the recorded body, per principal, batchGet counts once") {
  std::string base = fresh_sandbox();
  put_sheet(base, "quota", std::string(R"({"public":true,"sheets":{"Events":[["Event ID"]]},"shared_with":[")") + k_sa_email + "\"]}");
  std::string token = sa_token(base);
  REQUIRE(http(base, "POST", "/_sandbox/google/quota", R"({"read_requests_per_minute":2})").status == 200);
  CHECK(http(base, "GET", "/v4/spreadsheets/quota/values:batchGet?ranges=Events!A1&ranges=Events!A2", "", bearer(token)).status == 200);
  CHECK(write_cell(base, "quota", bearer(token)).status == 200);  // writes are not reads
  CHECK(read_events(base, "quota", bearer(token)).status == 200);
  HttpReply limited = read_events(base, "quota", bearer(token));
  REQUIRE(limited.status == 429);
  CHECK(limited.headers.count("retry-after") == 0);
  Obj expected = sample("sheets_error_429_resource_exhausted.json").extract<Obj>();
  expected->getObject("error")->getArray("details")->getObject(0)->getObject("metadata")->set("quota_limit_value", std::string("2"));
  CHECK(canon(parse(limited.body)) == canon(expected));
  // Another principal (the API key's project) has its own bucket.
  CHECK(read_events(base, "quota", {}, "?key=sandbox-google-key").status == 200);
  REQUIRE(http(base, "POST", "/_sandbox/google/quota", R"({"read_requests_per_minute":0})").status == 200);
  CHECK(read_events(base, "quota", bearer(token)).status == 200);
}

TEST_CASE("startup flags: --google-service-account, --google-token-ttl, --sheets-read-quota-per-minute") {
  pinsync::testing::TempDir dir;
  std::string key_file = dir.write("sa.json", key_file_json("https://oauth2.googleapis.com", "flag-sa@pinsync-test.iam.gserviceaccount.com")).string();
  pinsync::test::SandboxProcess sandbox({"--google-service-account", key_file, "--google-token-ttl", "120",
                                         "--sheets-read-quota-per-minute", "1"});
  std::string base = sandbox.base_url();
  put_sheet(base, "flags", R"({"sheets":{"Events":[["Event ID"]]},"shared_with":["flag-sa@pinsync-test.iam.gserviceaccount.com"]})");
  Claims c;
  c.iss = "flag-sa@pinsync-test.iam.gserviceaccount.com";
  HttpReply r = exchange_assertion(base, sign_assertion(base, c));  // no registration call: the flag did it
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(parse(r.body)->getValue<int>("expires_in") == 119);
  std::string token = parse(r.body)->getValue<std::string>("access_token");
  CHECK(read_events(base, "flags", bearer(token)).status == 200);
  CHECK(read_events(base, "flags", bearer(token)).status == 429);
  CHECK(parse(http(base, "GET", "/_sandbox/google/quota").body)->getValue<int>("read_requests_per_minute") == 1);

  // The routes are counted by template in /_sandbox/stats.
  std::string stats = http(base, "GET", "/_sandbox/stats").body;
  CHECK_CONTAINS(stats, R"({"method":"GET","route":"/v4/spreadsheets/{id}/values/{range}","status":200,"count":1})");
  CHECK_CONTAINS(stats, R"({"method":"GET","route":"/v4/spreadsheets/{id}/values/{range}","status":429,"count":1})");
  CHECK_CONTAINS(stats, R"({"method":"POST","route":"/token","status":200,"count":1})");
}

TEST_CASE("bad Google flags exit 2 with a message that never echoes the secret") {
  pinsync::testing::TempDir dir;
  std::string bin = std::string(PINSYNC_SANDBOX_BIN_DIR) + "/pinsync-sandbox";
  auto client = pinsync::test::run_process({bin, "--google-oauth-client", "id-only:super-secret-value"}, {}, std::chrono::seconds(20));
  CHECK(client.exit_code == 2);
  CHECK_CONTAINS(client.err, "--google-oauth-client");
  CHECK_NOT_CONTAINS(client.err, "super-secret-value");
  std::string not_a_key = dir.write("bad.json", R"({"type":"service_account","client_email":"x@y","private_key":"nope"})").string();
  auto sa = pinsync::test::run_process({bin, "--google-service-account", not_a_key}, {}, std::chrono::seconds(20));
  CHECK(sa.exit_code == 2);
  CHECK_CONTAINS(sa.err, "private_key");
  auto ttl = pinsync::test::run_process({bin, "--google-token-ttl", "0"}, {}, std::chrono::seconds(20));
  CHECK(ttl.exit_code == 2);
}

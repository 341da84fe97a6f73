#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "connectors/google_auth.h"
#include "tests/unit/connectors_google/google_test_util.h"

using namespace pinsync::testing::google;
using pinsync::ErrorKind;
using pinsync::connectors::GoogleSheetsConnector;
using pinsync::testing::TempDir;

namespace {


void queue_read(Harness& h) { h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_one_row))); }

// Verifies `jwt` with the test key's public half; returns the token (REQUIREs a valid signature).
Poco::JWT::Token verified(const std::string& jwt) {
  std::istringstream pub(test_key().public_pem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(&pub));
  Poco::JWT::Signer signer(key);
  signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  Poco::JWT::Token token;
  REQUIRE(signer.tryVerify(jwt, token));
  return token;
}

pinsync::connectors::GoogleSheetsSettings sa_settings(const TempDir& dir) {
  auto s = base_settings();
  s.auth.service_account_file = write_key_file(dir, k_email, k_token_uri);
  return s;
}

}  // namespace

TEST_CASE("auth: the service account posts an RS256 JWT with iss, scope, aud, iat, exp to token_uri") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Partner Events"}));
  queue_read(h);
  GoogleSheetsConnector connector(sa_settings(dir), h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);

  REQUIRE(h.requests().size() == 3);
  const auto& token_request = h.requests()[0];
  CHECK(token_request.method == "POST");
  CHECK(token_request.url == k_token_uri);
  CHECK(pinsync::testing::google::header(token_request, "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(form_value(token_request.body, "grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  const std::string jwt = form_value(token_request.body, "assertion");
  REQUIRE(std::count(jwt.begin(), jwt.end(), '.') == 2);

  const auto token = verified(jwt);
  CHECK(token.getAlgorithm() == "RS256");
  CHECK(token.getType() == "JWT");
  CHECK(token.header().getValue<std::string>("kid") == "kid-1234");
  CHECK(token.getIssuer() == k_email);
  CHECK(token.payload().getValue<std::string>("aud") == k_token_uri);
  CHECK(token.payload().getValue<std::string>("scope") == "https://www.googleapis.com/auth/spreadsheets.readonly");
  CHECK(token.payload().getValue<Poco::Int64>("iat") == h.clock.unix_seconds());
  CHECK(token.payload().getValue<Poco::Int64>("exp") == h.clock.unix_seconds() + 3600);

  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(pinsync::testing::google::header(h.requests()[i], "Authorization") == "Bearer ya29.FAKE-1");
    CHECK_NOT_CONTAINS(h.requests()[i].url, "key=");
  }
  // Neither the token nor the assertion reaches the log.
  CHECK_NOT_CONTAINS(h.log_text.str(), "ya29.FAKE-1");
  CHECK_NOT_CONTAINS(h.log_text.str(), jwt.substr(0, 40));
}

TEST_CASE("auth: a JWT signed with another key fails verification (the check above is real)") {
  auto key = pinsync::connectors::ServiceAccountKey{k_email, test_key().private_pem, "", k_token_uri, ""};
  auto jwt = pinsync::connectors::make_service_account_jwt(key, "s", std::chrono::system_clock::time_point{});
  REQUIRE(jwt.has_value());
  Poco::SharedPtr<Poco::Crypto::RSAKey> other(
      new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_1024, Poco::Crypto::RSAKey::EXP_LARGE));
  Poco::JWT::Signer signer(other);
  signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  Poco::JWT::Token token;
  CHECK_FALSE(signer.tryVerify(*jwt, token));
  // Claims from one JWT with the signature of another: the test key must reject it.
  auto other_jwt = pinsync::connectors::make_service_account_jwt(key, "t", std::chrono::system_clock::time_point{});
  REQUIRE(other_jwt.has_value());
  const std::string spliced = jwt->substr(0, jwt->rfind('.')) + other_jwt->substr(other_jwt->rfind('.'));
  std::istringstream pub(test_key().public_pem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> right(new Poco::Crypto::RSAKey(&pub));
  Poco::JWT::Signer right_signer(right);
  right_signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  CHECK(right_signer.tryVerify(*jwt, token));
  CHECK_FALSE(right_signer.tryVerify(spliced, token));
}

TEST_CASE("auth: write-back or ID assignment asks for the read-write scope") {
  Harness h;
  TempDir dir;
  auto settings = sa_settings(dir);
  settings.id_column = "ID";
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Partner Events"}));
  queue_read(h);
  GoogleSheetsConnector connector(settings, h.context());
  REQUIRE(connector.fetch().has_value());
  const auto token = verified(form_value(h.requests()[0].body, "assertion"));
  CHECK(token.payload().getValue<std::string>("scope") == "https://www.googleapis.com/auth/spreadsheets");
}

TEST_CASE("auth: the token is cached, then renewed shortly before it expires") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1", 3599));
  h.fake->reply(200, metadata({"Partner Events"}));
  queue_read(h);
  GoogleSheetsConnector connector(sa_settings(dir), h.context());
  REQUIRE(connector.fetch().has_value());

  // Second fetch: one request, no token request.
  queue_read(h);
  REQUIRE(connector.fetch().has_value());
  REQUIRE(h.requests().size() == 4);
  CHECK_CONTAINS(h.requests()[3].url, "values:batchGet");
  CHECK(pinsync::testing::google::header(h.requests()[3], "Authorization") == "Bearer ya29.FAKE-1");

  // Still 5 minutes and a second before expiry: cached.
  h.clock.advance(std::chrono::seconds{3599 - 301});
  queue_read(h);
  REQUIRE(connector.fetch().has_value());
  REQUIRE(h.requests().size() == 5);

  // Within the last 5 minutes: a new JWT (with the new iat) and a new token.
  h.clock.advance(std::chrono::seconds{2});
  h.fake->reply(200, token_body("ya29.FAKE-2"));
  queue_read(h);
  REQUIRE(connector.fetch().has_value());
  REQUIRE(h.requests().size() == 7);
  CHECK(h.requests()[5].url == k_token_uri);
  const auto token = verified(form_value(h.requests()[5].body, "assertion"));
  CHECK(token.payload().getValue<Poco::Int64>("iat") == h.clock.unix_seconds());
  CHECK(pinsync::testing::google::header(h.requests()[6], "Authorization") == "Bearer ya29.FAKE-2");
}

TEST_CASE("auth: a 401 drops the cached token and retries once with a fresh one") {
  Harness h;
  TempDir dir;
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(401, google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
  h.fake->reply(200, token_body("ya29.FAKE-2"));
  queue_read(h);
  GoogleSheetsConnector connector(sa_settings(dir), h.context());
  auto r = connector.fetch();
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  REQUIRE(h.requests().size() == 5);
  CHECK(h.requests()[3].url == k_token_uri);
  CHECK(pinsync::testing::google::header(h.requests()[4], "Authorization") == "Bearer ya29.FAKE-2");

  // Two 401s in a row: no retry storm, an auth error.
  h.fake->reply(401, google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
  h.fake->reply(200, token_body("ya29.FAKE-3"));
  h.fake->reply(401, google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
  auto again = connector.fetch();
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().kind == ErrorKind::auth);
  CHECK(h.requests().size() == 8);
}

TEST_CASE("auth: the refresh-token flow posts client id, secret and refresh token; secrets stay out of logs") {
  Harness h;
  auto settings = base_settings();
  settings.auth.oauth_client_id = "123-abc.apps.googleusercontent.com";
  settings.auth.oauth_client_secret = "GOCSPX-client-secret";
  settings.auth.oauth_refresh_token = "1//refresh-token-secret";
  settings.auth.oauth_token_uri = "http://127.0.0.1:8787/token";
  // The docs' refresh_token grant answer (expires_in 3920, a scope string).
  h.fake->reply(200, sample_item("google_oauth_token_endpoint_examples.json", 1, "/body"));
  h.fake->reply(200, metadata({"Partner Events"}));
  queue_read(h);
  GoogleSheetsConnector connector(settings, h.context());
  auto r = connector.fetch();
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  const auto& req = h.requests()[0];
  CHECK(req.method == "POST");
  CHECK(req.url == "http://127.0.0.1:8787/token");
  CHECK(form_value(req.body, "grant_type") == "refresh_token");
  CHECK(form_value(req.body, "client_id") == "123-abc.apps.googleusercontent.com");
  CHECK(form_value(req.body, "client_secret") == "GOCSPX-client-secret");
  CHECK(form_value(req.body, "refresh_token") == "1//refresh-token-secret");
  CHECK(pinsync::testing::google::header(h.requests()[1], "Authorization") == "Bearer FAKE-DOCS-EXAMPLE-ACCESS-TOKEN-2");
  const std::string log = h.log_text.str();
  CHECK_NOT_CONTAINS(log, "GOCSPX-client-secret");
  CHECK_NOT_CONTAINS(log, "1//refresh-token-secret");
  CHECK_CONTAINS(log, "POST");
}

TEST_CASE("auth: token endpoint errors (recorded bodies) are auth errors with a plain fix") {
  struct Case {
    std::size_t sample_index;
    bool service_account;
    const char* expected;
  };
  const Case cases[] = {
      {3, false, "check auth.oauth client_id and client_secret"},  // invalid_client Unauthorized
      {5, false, "the refresh token has expired or was revoked"},  // invalid_grant revoked
      {6, true, "create a new JSON key for the service account"},  // Invalid JWT Signature.
      {7, true, "this machine's clock is off"},                    // iat/exp out of range
  };
  for (const auto& c : cases) {
    CAPTURE(c.sample_index);
    Harness h;
    TempDir dir;
    auto settings = base_settings();
    if (c.service_account) {
      settings.auth.service_account_file = write_key_file(dir, k_email, k_token_uri);
    } else {
      settings.auth.oauth_client_id = "123-abc.apps.googleusercontent.com";
      settings.auth.oauth_client_secret = "GOCSPX-client-secret";
      settings.auth.oauth_refresh_token = "1//refresh-token-secret";
    }
    const auto status = std::stol(sample_item("google_oauth_token_endpoint_examples.json", c.sample_index, "/http_status"));
    h.fake->reply(status, sample_item("google_oauth_token_endpoint_examples.json", c.sample_index, "/body"));
    GoogleSheetsConnector connector(settings, h.context());
    auto r = connector.fetch();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::auth);
    CHECK(r.error().message.starts_with("Google refused the"));
    CHECK_CONTAINS(r.error().message, c.expected);
    CHECK_NOT_CONTAINS(r.error().message, "GOCSPX-client-secret");
    CHECK_NOT_CONTAINS(r.error().message, "1//refresh-token-secret");
    CHECK(h.requests().size() == 1);
  }
}

TEST_CASE("auth: a missing, malformed or unusable key file is a config error naming the path, never the key") {
  TempDir dir;
  struct Case {
    std::filesystem::path path;
    const char* expected;
  };
  const auto fake_key = dir.write("fake.json", sample("google_service_account_key_fake.json"));  // <REDACTED> key
  const Case cases[] = {
      {dir / "absent.json", "cannot be read"},
      {dir.write("junk.json", "not json {"), "is not a JSON object"},
      {dir.write("partial.json", R"({"type":"service_account","client_email":"a@b"})"), "lacks private_key, token_uri"},
      {dir.write("user.json", R"({"type":"authorized_user","client_id":"x"})"), "not a service-account key"},
      {fake_key, "is not an RSA private key"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    Harness h;
    auto settings = base_settings();
    settings.auth.service_account_file = c.path;
    GoogleSheetsConnector connector(settings, h.context());
    auto r = connector.fetch();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::config);
    CHECK_CONTAINS(r.error().message, c.path.string());
    CHECK_CONTAINS(r.error().message, c.expected);
    CHECK_NOT_CONTAINS(r.error().message, "PRIVATE KEY");
    CHECK(h.requests().empty());
  }
}

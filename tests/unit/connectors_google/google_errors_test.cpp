#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include "tests/unit/connectors_google/google_test_util.h"

using namespace pinsync::testing::google;
using pinsync::ErrorKind;
using pinsync::connectors::GoogleSheetsConnector;
using pinsync::testing::TempDir;

namespace {

std::string recorded_error(std::size_t index) { return sample_item("sheets_errors_recorded.json", index, "/body"); }

}  // namespace

TEST_CASE("errors: no credentials, or two kinds at once, is a config error before any request") {
  Harness h;
  auto none = base_settings();
  GoogleSheetsConnector a(none, h.context());
  auto r = a.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message.starts_with("no Google credentials configured"));

  auto both = key_settings();
  both.auth.oauth_refresh_token = "1//refresh-secret";
  GoogleSheetsConnector b(both, h.context());
  auto r2 = b.fetch();
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error().kind == ErrorKind::config);
  CHECK_CONTAINS(r2.error().message, "keep exactly one");
  CHECK_NOT_CONTAINS(r2.error().message, "1//refresh-secret");
  CHECK(h.requests().empty());
}

TEST_CASE("errors: 403 with a service account names the account to share the sheet with") {
  Harness h;
  TempDir dir;
  auto settings = base_settings();
  settings.auth.service_account_file = write_key_file(dir, k_email, k_token_uri);
  h.fake->reply(200, token_body("ya29.FAKE-1"));
  h.fake->reply(403, recorded_error(0));  // "The caller does not have permission"
  GoogleSheetsConnector connector(settings, h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK(r.error().message ==
        "Google answered 403 PERMISSION_DENIED — share the sheet with "
        "beta-sa@beta-project.iam.gserviceaccount.com");
}

TEST_CASE("errors: 403 with an API key says the sheet is private, without the key") {
  Harness h;
  h.fake->reply(403, recorded_error(0));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK(r.error().message.starts_with("Google answered 403 PERMISSION_DENIED"));
  CHECK_CONTAINS(r.error().message, "the sheet is private: publish it");
  CHECK_CONTAINS(r.error().message, "or use a service account");
  CHECK_NOT_CONTAINS(r.error().message, k_api_key);
}

TEST_CASE("errors: 403 SERVICE_DISABLED (recorded) says to enable the Sheets API") {
  Harness h;
  h.fake->reply(403, recorded_error(5));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(r.error().message, "not enabled");
}

TEST_CASE("errors: 404 (recorded) says the spreadsheet id was not found") {
  Harness h;
  h.fake->reply(404, recorded_error(1));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.starts_with("spreadsheet id 1AbCdEf not found"));
  CHECK_CONTAINS(r.error().message, "check spreadsheet_id");
}

TEST_CASE("errors: a sheet title that is not in the spreadsheet lists the sheets, without reading values") {
  Harness h;
  auto settings = key_settings();
  settings.sheet = "NOPE";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  GoogleSheetsConnector connector(settings, h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message ==
        "spreadsheet 1AbCdEf has no sheet 'NOPE' — its sheets are: 'Sheet1', 'finances', 'gacha'; set sheet "
        "(or range) to one of them");
  CHECK(h.requests().size() == 1);
}

TEST_CASE("errors: 400 Unable to parse range (recorded) says the range is wrong and lists the sheets") {
  Harness h;
  auto settings = key_settings();
  settings.sheet.clear();
  settings.range = "Sheet1!A5:F15";
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  h.fake->reply(400, recorded_error(2));
  GoogleSheetsConnector connector(settings, h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::config);
  CHECK(r.error().message.starts_with("Google answered 400 INVALID_ARGUMENT (Unable to parse range"));
  CHECK_CONTAINS(r.error().message, "the sheet or range is wrong");
  CHECK_CONTAINS(r.error().message, "'Sheet1', 'finances', 'gacha'");

  // The metadata is read again on the next pass: the sheet may have been renamed.
  h.fake->reply(200, sample("sheets_spreadsheets_get_metadata_trimmed.json"));
  h.fake->reply(200, batch_get(value_range("Sheet1!A5:F15", k_one_row)));
  REQUIRE(connector.fetch().has_value());
  CHECK_CONTAINS(h.requests()[2].url, "?fields=");
}

TEST_CASE("errors: 429 then 200 succeeds after a backoff of at least Retry-After") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(429, sample("sheets_error_429_resource_exhausted.json"), {{"retry-after", "7"}});
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_one_row)));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  CHECK(h.requests().size() == 3);
  CHECK(h.clock.slept() >= std::chrono::seconds{7});
  CHECK(h.clock.slept() <= std::chrono::seconds{8});
}

TEST_CASE("errors: 429 without Retry-After (as recorded) backs off exponentially, then gives up rate_limited") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  for (int i = 0; i < 5; ++i) h.fake->reply(429, sample("sheets_error_429_resource_exhausted.json"));
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::rate_limited);
  CHECK(r.error().retry_after.has_value());
  CHECK(r.error().message.starts_with("Google answered 429 RESOURCE_EXHAUSTED after 5 attempts"));
  CHECK(h.requests().size() == 6);
  // Full jitter: at most 1 + 2 + 4 + 8 seconds in total.
  CHECK(h.clock.slept() <= std::chrono::seconds{15});
}

TEST_CASE("errors: 503 is retried; transport failures end transient without the key in the message") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(503, google_error(503, "UNAVAILABLE", "The service is currently unavailable."));
  h.fake->reply(200, batch_get(value_range("'Partner Events'!A1:Z1000", k_one_row)));
  GoogleSheetsConnector connector(key_settings(), h.context());
  REQUIRE(connector.fetch().has_value());
  // The 503 is a warn line (it shows at the default level), the 200s debug lines.
  const std::string log = h.log_text.str();
  CHECK_CONTAINS(log, "warn  Google answered 503 ");
  CHECK_CONTAINS(log, "status=503");
  CHECK_NOT_CONTAINS(log, "Google answered 200");
  CHECK_NOT_CONTAINS(log, k_api_key);

  for (int i = 0; i < 5; ++i) h.fake->fail(ErrorKind::transient, pinsync::http::SendStage::not_sent);
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::transient);
  CHECK(r.error().message.starts_with("GET http://127.0.0.1:8787/v4/spreadsheets/1AbCdEf/values:batchGet"));
  CHECK_NOT_CONTAINS(r.error().message, k_api_key);
}

TEST_CASE("errors: 400 API key not valid is an auth error pointing at api_key") {
  Harness h;
  h.fake->reply(400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",
    "status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})");
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK_CONTAINS(r.error().message, "check auth.api_key");
  CHECK_NOT_CONTAINS(r.error().message, k_api_key);
}

TEST_CASE("errors: a stop during a backoff ends the read with the last answer and the attempts made") {
  Harness h;
  h.fake->reply(200, metadata({"Partner Events"}));
  h.fake->reply(503, google_error(503, "UNAVAILABLE", "The service is currently unavailable."));
  h.fake->on_send = [&](const pinsync::http::Request& r) {
    if (r.url.find("values:batchGet") != std::string::npos) h.clock.stop();
  };
  GoogleSheetsConnector connector(key_settings(), h.context());
  auto r = connector.fetch();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::transient);
  CHECK(r.error().message.starts_with("Google answered 503 UNAVAILABLE after 1 attempt ("));
  CHECK(h.requests().size() == 2);
}

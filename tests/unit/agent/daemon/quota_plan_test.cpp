// The quota plan: what a schedule asks of each API quota, and how intervals stretch so it fits.
#include <doctest/doctest.h>

#include "agent/daemon/quota_plan.h"

#include <string>
#include <vector>

#include "connectors/airtable_settings.h"
#include "connectors/csv.h"
#include "connectors/google_sheets_settings.h"
#include "tests/support/checks.h"
#include "tests/support/temp_dir.h"

using namespace pinsync;
using namespace pinsync::agent;
using namespace std::chrono_literals;
using pinsync::testing::TempDir;

namespace {

std::vector<QuotaDemand> sheets(int count, std::chrono::seconds interval, const std::string& user,
                                const std::string& project, const std::string& prefix) {
  std::vector<QuotaDemand> out;
  for (int i = 0; i < count; ++i) out.push_back({prefix + std::to_string(i), interval, 1, {user, project}});
  return out;
}

std::string key_file(const TempDir& dir, const std::string& name, const std::string& email, const std::string& project) {
  return dir.write(name, R"({"type":"service_account","project_id":")" + project +
                             R"(","private_key_id":"k1","private_key":"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n","client_email":")" +
                             email + R"(","token_uri":"http://127.0.0.1:9/token"})")
      .string();
}

}  // namespace

TEST_CASE("quota plan: 120 sheets every minute through one service account are read every 2m14s, and it says so") {
  const std::map<std::string, QuotaScope> scopes = {
      {"user", {"Google Sheets reads as sync@acme.iam.gserviceaccount.com (per user)", 60, "reads"}},
      {"project", {"Google Sheets reads of project acme (per project)", 300, "reads"}}};
  const auto demands = sheets(120, 60s, "user", "project", "partner-");
  const QuotaPlan plan = plan_quotas(demands, scopes);
  REQUIRE(plan.stretched.size() == 1);  // 120 reads/min is within the project's 300
  CHECK(plan.stretched[0].key == "user");
  // 120 reads/min against 54 (90 % of 60): every interval × 2.22, rounded up to whole seconds.
  CHECK(plan.interval_of("partner-0", 60s) == 134s);
  CHECK(plan.interval_of("partner-119", 60s) == 134s);
  const std::string message = plan.stretched[0].message();
  CHECK(message == "Google Sheets reads as sync@acme.iam.gserviceaccount.com (per user): 120 sources every 1m or more "
                   "need 120 reads/min; quota 60 (planned to 54): each is read every 2m14s instead (intervals × 2.2)");
  CHECK(plan.reasons.at("partner-7") == message);
  // What the plan promises: the stretched schedule fits the planned share.
  double per_minute = 0;
  for (const auto& d : demands) per_minute += 60.0 / static_cast<double>(plan.interval_of(d.source, d.interval).count());
  CHECK(per_minute <= 54.0);
}

TEST_CASE("quota plan: a schedule within every quota keeps its intervals and says nothing") {
  const std::map<std::string, QuotaScope> scopes = {{"user", {"u", 60, "reads"}}, {"project", {"p", 300, "reads"}}};
  const auto demands = sheets(50, 60s, "user", "project", "s");
  const QuotaPlan plan = plan_quotas(demands, scopes);
  CHECK(plan.stretched.empty());
  CHECK(plan.reasons.empty());
  CHECK(plan.interval_of("s3", 60s) == 60s);
  CHECK(plan.interval_of("not-planned", 45s) == 45s);
}

TEST_CASE("quota plan: accounts each within their own quota but together over the project's are slowed alike") {
  std::map<std::string, QuotaScope> scopes = {{"project", {"Google Sheets reads of project acme (per project)", 300, "reads"}}};
  std::vector<QuotaDemand> demands;
  for (int a = 0; a < 6; ++a) {
    const std::string user = "user" + std::to_string(a);
    scopes[user] = {user, 60, "reads"};
    for (auto& d : sheets(50, 60s, user, "project", user + "-")) demands.push_back(std::move(d));
  }
  const QuotaPlan plan = plan_quotas(demands, scopes);
  REQUIRE(plan.stretched.size() == 1);
  CHECK(plan.stretched[0].key == "project");
  CHECK(plan.stretched[0].needed_per_minute == doctest::Approx(300));
  CHECK(plan.interval_of("user0-0", 60s) == 67s);  // 300 / 270 = 1.11
  CHECK(plan.interval_of("user5-49", 60s) == 67s);
}

TEST_CASE("quota plan: a source on two stretched quotas takes the larger stretch; slower sources stay slower") {
  const std::map<std::string, QuotaScope> scopes = {{"a", {"A", 60, "reads"}}, {"b", {"B", 60, "reads"}}};
  std::vector<QuotaDemand> demands = {
      {"fast", 30s, 1, {"a", "b"}},  // 2/min on each
      {"slow", 120s, 1, {"a"}},      // 0.5/min on a
  };
  for (int i = 0; i < 100; ++i) demands.push_back({"b" + std::to_string(i), 60s, 1, {"b"}});
  const QuotaPlan plan = plan_quotas(demands, scopes);
  REQUIRE(plan.stretched.size() == 1);  // a needs 2.5/min: fits
  CHECK(plan.stretched[0].key == "b");  // b needs 102/min
  const double stretch = 102.0 / 54.0;
  CHECK(plan.interval_of("fast", 30s).count() == static_cast<long>(std::ceil(30 * stretch)));
  CHECK(plan.interval_of("slow", 120s) == 120s);
  CHECK(plan.interval_of("b0", 60s) > plan.interval_of("fast", 30s));
  CHECK(plan.reasons.contains("fast"));
  CHECK_FALSE(plan.reasons.contains("slow"));
}

TEST_CASE("quota plan from a config: identities and projects of Google sources, Airtable pages, CSV on none") {
  TempDir dir;
  Config config;
  config.google.requests_per_minute_per_user = 60;
  config.google.requests_per_minute_per_project = 100;  // a small project, to see it stretch
  auto google = [&](const std::string& name, const std::string& key) {
    SourceConfig s;
    s.name = name;
    s.poll_interval = 60s;
    connectors::GoogleSheetsSettings g;
    g.auth.service_account_file = key;
    s.settings = g;
    return s;
  };
  const auto sa1 = key_file(dir, "sa1.json", "one@acme.iam.gserviceaccount.com", "acme");
  const auto sa2 = key_file(dir, "sa2.json", "two@acme.iam.gserviceaccount.com", "acme");
  const auto sa3 = key_file(dir, "sa3.json", "three@other.iam.gserviceaccount.com", "other");
  for (int i = 0; i < 50; ++i) config.sources.push_back(google("one-" + std::to_string(i), sa1));
  for (int i = 0; i < 50; ++i) config.sources.push_back(google("two-" + std::to_string(i), sa2));
  config.sources.push_back(google("three", sa3));
  config.sources.push_back(google("unreadable-key", (dir / "missing.json").string()));
  SourceConfig oauth;
  oauth.name = "oauth";
  oauth.poll_interval = 60s;
  connectors::GoogleSheetsSettings og;
  og.auth.oauth_client_id = "123456789012-abcdef.apps.googleusercontent.com";
  oauth.settings = og;
  config.sources.push_back(oauth);
  SourceConfig airtable;
  airtable.name = "base";
  airtable.poll_interval = 1s;
  connectors::AirtableSettings at;
  at.base_id = "appBASE";
  at.token = "patSECRET.token-value";
  airtable.settings = at;
  config.sources.push_back(airtable);
  SourceConfig csv;
  csv.name = "file";
  csv.poll_interval = 1s;
  csv.settings = connectors::CsvSettings{};
  config.sources.push_back(csv);

  const QuotaInputs in = quota_inputs(config, [](const std::string& source) -> std::size_t {
    return source == "base" ? 250 : 0;
  });
  std::map<std::string, const QuotaDemand*> by_name;
  for (const auto& d : in.demands) by_name[d.source] = &d;
  CHECK_FALSE(by_name.contains("file"));            // CSV draws on no quota
  CHECK_FALSE(by_name.contains("unreadable-key"));  // its pass reports the file
  REQUIRE(by_name.contains("one-0"));
  CHECK(by_name["one-0"]->scopes == std::vector<std::string>{"google-user:one@acme.iam.gserviceaccount.com",
                                                             "google-project:acme"});
  CHECK(by_name["two-0"]->scopes[1] == "google-project:acme");
  CHECK(by_name["three"]->scopes[1] == "google-project:other");
  CHECK(by_name["oauth"]->scopes[1] == "google-project:123456789012");
  REQUIRE(by_name.contains("base"));
  CHECK(by_name["base"]->requests_per_pass == 3);  // 250 rows: three pages of 100
  CHECK(in.scopes.at("airtable-base:appBASE").per_minute == 300);
  CHECK(in.scopes.at("google-project:acme").per_minute == 100);
  for (const auto& [key, scope] : in.scopes) {
    CHECK_NOT_CONTAINS(key, "patSECRET");  // a token is named by its hash only
    CHECK_NOT_CONTAINS(scope.label, "patSECRET");
  }

  const QuotaPlan plan = plan_quotas(config, [](const std::string&) -> std::size_t { return 250; });
  // acme: 100 sheets a minute against 90 of 100; one@ and two@ alone need 50 of 54 each.
  CHECK(plan.interval_of("one-0", 60s) == 67s);
  CHECK(plan.interval_of("two-9", 60s) == 67s);
  CHECK(plan.interval_of("three", 60s) == 60s);
  // The base: 3 requests a second against 4.5 (90 % of 5): it fits.
  CHECK(plan.interval_of("base", 1s) == 1s);
  REQUIRE(plan.stretched.size() == 1);
  CHECK_CONTAINS(plan.stretched[0].message(), "Google Sheets reads of project acme (per project): 100 sources");
}

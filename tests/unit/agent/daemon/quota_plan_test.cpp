// The quota plan: what a schedule asks of each API quota, and how intervals stretch so it fits.
#include <doctest/doctest.h>

#include "agent/daemon/quota_plan.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
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

namespace {

// The reads a plan's schedule makes in its first `horizon`: each source's first pass (its
// first-pass requests), its second, then one every interval (no jitter), as (ms, reads).
std::vector<std::pair<std::int64_t, double>> planned_reads(const QuotaPlan& plan, std::span<const QuotaDemand> demands,
                                                           std::chrono::milliseconds horizon) {
  std::vector<std::pair<std::int64_t, double>> reads;
  for (const auto& d : demands) {
    const auto& passes = plan.first_passes.at(d.source);
    const std::chrono::milliseconds interval = plan.interval_of(d.source, d.interval);
    reads.emplace_back(passes.first.count(), d.first_pass_requests);
    for (auto at = passes.second.value_or(passes.first + interval); at < horizon; at += interval) {
      reads.emplace_back(at.count(), d.requests_per_pass);
    }
  }
  std::ranges::sort(reads);
  return reads;
}

// The most reads of any minute (a window opening at a read, as Google's quota counts).
double busiest_minute(const std::vector<std::pair<std::int64_t, double>>& reads) {
  double most = 0;
  for (std::size_t i = 0, j = 0; i < reads.size(); ++i) {
    double sum = 0;
    for (j = i; j < reads.size() && reads[j].first < reads[i].first + 60'000; ++j) sum += reads[j].second;
    most = std::max(most, sum);
  }
  return most;
}

}  // namespace

TEST_CASE("quota plan: the first round of 120 sheets (metadata and values: 240 reads) fits the quota, and so do the "
          "second passes after it") {
  const std::map<std::string, QuotaScope> scopes = {
      {"user", {"Google Sheets reads as sync@acme.iam.gserviceaccount.com (per user)", 60, "reads"}},
      {"project", {"Google Sheets reads of project acme (per project)", 300, "reads"}}};
  auto demands = sheets(120, 60s, "user", "project", "partner-");
  for (auto& d : demands) d.first_pass_requests = 2;
  const QuotaPlan plan = plan_quotas(demands, scopes);

  // 240 reads at 54 a minute: 4m27s; the first passes one every 2.2 s, in the config's order.
  REQUIRE(plan.long_first_rounds.size() == 1);  // the project's round (240 at 270/min) is shorter than 2m14s
  CHECK(plan.long_first_rounds[0].key == "user");
  CHECK(plan.long_first_rounds[0].length == 266'667ms);
  CHECK(plan.long_first_rounds[0].message() ==
        "Google Sheets reads as sync@acme.iam.gserviceaccount.com (per user): the first passes of 120 sources ask 240 "
        "reads (a new connector's first pass may ask more, such as a sheet's metadata); at 54/min they take 4m27s, and "
        "each source's second pass waits for them");
  CHECK(plan.first_passes.at("partner-0").first == 0ms);
  CHECK(plan.first_passes.at("partner-1").first == 2'223ms);
  CHECK(plan.first_passes.at("partner-119").first == 264'445ms);
  // The first sheet's second pass waits for the round's end instead of coming 2m14s after its first.
  REQUIRE(plan.first_passes.at("partner-0").second);
  CHECK(*plan.first_passes.at("partner-0").second == 266'667ms);
  // Then each in its place in the steady schedule: the second passes spread over an interval.
  REQUIRE(plan.first_passes.at("partner-60").second);
  CHECK(*plan.first_passes.at("partner-60").second == 266'667ms + 67'000ms);

  // What the plan promises: no minute of the first quarter hour asks more than the quota.
  const auto reads = planned_reads(plan, demands, 15min);
  CHECK(busiest_minute(reads) <= 60);
  // Without the round (every first pass spread over the interval, the second an interval after
  // it) the same sheets ask far more of some minute: what the plan is for.
  QuotaPlan unplanned = plan;
  for (std::size_t i = 0; i < demands.size(); ++i) {
    unplanned.first_passes[demands[i].source] = {std::chrono::milliseconds(134'000 * static_cast<std::int64_t>(i) / 120),
                                                 std::nullopt};
  }
  CHECK(busiest_minute(planned_reads(unplanned, demands, 15min)) > 90);
}

TEST_CASE("quota plan: a first round shorter than the interval spreads the first passes and leaves the rest alone") {
  const std::map<std::string, QuotaScope> scopes = {{"user", {"u", 60, "reads"}}, {"project", {"p", 300, "reads"}}};
  auto demands = sheets(10, 60s, "user", "project", "s");
  for (auto& d : demands) d.first_pass_requests = 2;
  const QuotaPlan plan = plan_quotas(demands, scopes);
  CHECK(plan.long_first_rounds.empty());  // 20 reads at 54/min: 23 s
  CHECK(plan.first_passes.at("s0").first == 0ms);
  CHECK(plan.first_passes.at("s9").first == 20'000ms);  // 18 reads before it
  for (const auto& d : demands) CHECK_FALSE(plan.first_passes.at(d.source).second);
  CHECK(busiest_minute(planned_reads(plan, demands, 10min)) <= 60);
}

TEST_CASE("quota plan: a source on two quotas waits for the later of its two first rounds") {
  const std::map<std::string, QuotaScope> scopes = {{"a", {"A", 60, "reads"}}, {"b", {"B", 60, "reads"}}};
  std::vector<QuotaDemand> demands;
  for (int i = 0; i < 20; ++i) demands.push_back({"b" + std::to_string(i), 60s, 1, {"b"}, 2});
  demands.push_back({"both", 60s, 1, {"a", "b"}, 2});  // first on a, 41st read of b's round
  const QuotaPlan plan = plan_quotas(demands, scopes);
  CHECK(plan.first_passes.at("both").first == 44'445ms);  // 40 reads at 54/min
  CHECK(busiest_minute(planned_reads(plan, demands, 10min)) <= 60);
  CHECK_FALSE(plan.first_passes.contains("nobody"));
}

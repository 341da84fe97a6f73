#include "agent/daemon/quota_plan.h"

#include <algorithm>
#include <cmath>
#include <variant>

#include "connectors/airtable_settings.h"
#include "connectors/google_auth.h"
#include "connectors/google_sheets_settings.h"
#include "core/hash.h"

namespace pinsync::agent {

namespace {

// "45s", "2m", "2m13s", "1h", "1h30m".
std::string span_text(std::chrono::seconds s) {
  const auto total = s.count();
  const auto h = total / 3600, m = total % 3600 / 60, sec = total % 60;
  std::string out;
  if (h > 0) out += std::to_string(h) + "h";
  if (m > 0) out += std::to_string(m) + "m";
  if (sec > 0 || out.empty()) out += std::to_string(sec) + "s";
  return out;
}

std::string rate_text(double per_minute) {
  const double rounded = std::round(per_minute * 10) / 10;
  std::string text = std::to_string(rounded);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

std::chrono::seconds stretched(std::chrono::seconds interval, double factor) {
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(static_cast<double>(interval.count()) * factor)));
}

// A name for a secret that is not the secret: its hash's first 8 hex digits.
std::string fingerprint(std::string_view secret) { return sha256_hex(secret).substr(0, 8); }

}  // namespace

std::string StretchedScope::message() const {
  return scope.label + ": " + std::to_string(sources) + (sources == 1 ? " source" : " sources") + " every " +
         span_text(shortest_configured) + (sources == 1 ? "" : " or more") + " need " + rate_text(needed_per_minute) +
         " " + scope.unit + "/min; quota " + rate_text(scope.per_minute) + " (planned to " +
         rate_text(scope.per_minute * k_quota_headroom) + "): " + (sources == 1 ? "it is" : "each is") +
         " read every " + span_text(shortest_effective) + " instead" +
         (stretch > 1 && sources > 1 ? " (intervals × " + rate_text(stretch) + ")" : "");
}

std::chrono::seconds QuotaPlan::interval_of(const std::string& source, std::chrono::seconds configured) const {
  const auto it = intervals.find(source);
  return it == intervals.end() ? configured : it->second;
}

QuotaPlan plan_quotas(std::span<const QuotaDemand> demands, const std::map<std::string, QuotaScope>& scopes) {
  QuotaPlan plan;
  // What each scope's sources ask for at their configured intervals.
  std::map<std::string, StretchedScope> use;
  for (const auto& d : demands) {
    if (d.interval.count() <= 0) continue;
    for (const auto& key : d.scopes) {
      const auto scope = scopes.find(key);
      if (scope == scopes.end()) continue;
      auto& u = use[key];
      u.key = key;
      u.scope = scope->second;
      ++u.sources;
      u.needed_per_minute += d.requests_per_pass * 60.0 / static_cast<double>(d.interval.count());
      if (u.shortest_configured.count() == 0 || d.interval < u.shortest_configured) u.shortest_configured = d.interval;
    }
  }
  // Every source of a scope that asks too much is slowed by the same factor: the scope's
  // demand falls to what it allows, and the fastest source stays the fastest.
  for (auto& [key, u] : use) {
    const double allowed = u.scope.per_minute * k_quota_headroom;
    if (allowed <= 0 || u.needed_per_minute <= allowed) continue;
    u.stretch = u.needed_per_minute / allowed;
    u.shortest_effective = stretched(u.shortest_configured, u.stretch);
    plan.stretched.push_back(u);
  }
  // A source on several scopes takes the largest factor among them (the others then get
  // a little more room than they need).
  for (const auto& d : demands) {
    const StretchedScope* worst = nullptr;
    for (const auto& s : plan.stretched) {
      if (std::ranges::find(d.scopes, s.key) != d.scopes.end() && (!worst || s.stretch > worst->stretch)) worst = &s;
    }
    plan.intervals[d.source] = worst ? stretched(d.interval, worst->stretch) : d.interval;
    if (worst) plan.reasons[d.source] = worst->message();
  }
  return plan;
}

QuotaInputs quota_inputs(const Config& config, const std::function<std::size_t(const std::string&)>& known_rows) {
  QuotaInputs in;
  const double user = static_cast<double>(config.google.requests_per_minute_per_user);
  const double project = static_cast<double>(config.google.requests_per_minute_per_project);
  const double base = static_cast<double>(config.airtable.requests_per_second_per_base) * 60;
  const double token = static_cast<double>(config.airtable.requests_per_second_per_token) * 60;
  for (const auto& source : config.sources) {
    QuotaDemand d{source.name, source.poll_interval, 1, {}};
    if (const auto* g = std::get_if<connectors::GoogleSheetsSettings>(&source.settings)) {
      const auto& auth = g->auth;
      std::string who, project_id;
      if (!auth.service_account_file.empty()) {
        const auto key = connectors::load_service_account_key(auth.service_account_file);
        if (!key) continue;
        who = key->client_email;
        project_id = key->project_id.empty() ? "(unnamed) of " + key->client_email : key->project_id;
      } else if (!auth.oauth_client_id.empty()) {
        who = "the OAuth client " + auth.oauth_client_id;
        // An OAuth client id starts with its project's number: 1234567890-abc….apps.googleusercontent.com.
        project_id = auth.oauth_client_id.substr(0, auth.oauth_client_id.find('-'));
      } else if (!auth.api_key.empty()) {
        who = "API key " + fingerprint(auth.api_key);
        project_id = "(unnamed) of API key " + fingerprint(auth.api_key);
      } else {
        continue;
      }
      const std::string user_key = "google-user:" + who;
      const std::string project_key = "google-project:" + project_id;
      in.scopes.try_emplace(user_key, QuotaScope{"Google Sheets reads as " + who + " (per user)", user, "reads"});
      in.scopes.try_emplace(project_key,
                            QuotaScope{"Google Sheets reads of project " + project_id + " (per project)", project, "reads"});
      d.scopes = {user_key, project_key};
      // Behind the change gate a sheet's values are read only when it changed, and at least
      // every full_scan_interval: the plan counts the reads it can be sure of (changes are
      // paced as they come).
      if (g->change_gate && source.full_scan_interval > source.poll_interval) {
        d.requests_per_pass = static_cast<double>(source.poll_interval.count()) /
                              static_cast<double>(source.full_scan_interval.count());
      }
    } else if (const auto* a = std::get_if<connectors::AirtableSettings>(&source.settings)) {
      d.requests_per_pass = std::max<double>(1.0, std::ceil(static_cast<double>(known_rows(source.name)) / 100.0));
      const std::string base_key = "airtable-base:" + a->base_id;
      const std::string token_key = "airtable-token:" + fingerprint(a->token);
      in.scopes.try_emplace(base_key, QuotaScope{"Airtable requests to base " + a->base_id + " (per base)", base, "requests"});
      in.scopes.try_emplace(token_key, QuotaScope{"Airtable requests with token " + fingerprint(a->token) + " (per token)",
                                                  token, "requests"});
      d.scopes = {base_key, token_key};
    } else {
      continue;
    }
    in.demands.push_back(std::move(d));
  }
  return in;
}

QuotaPlan plan_quotas(const Config& config, const std::function<std::size_t(const std::string&)>& known_rows) {
  const QuotaInputs in = quota_inputs(config, known_rows);
  return plan_quotas(in.demands, in.scopes);
}

}  // namespace pinsync::agent

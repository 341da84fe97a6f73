#include "agent/daemon/quota_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "agent/config/sources.h"

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

// Calls `f(demand, key, scope)` for each scope a polled demand draws on (a demand without an
// interval, or a scope the map does not know, is left out), in the demands' order.
template <typename F>
void for_each_use(std::span<const QuotaDemand> demands, const std::map<std::string, QuotaScope>& scopes, F&& f) {
  for (const auto& d : demands) {
    if (d.interval.count() <= 0) continue;
    for (const auto& key : d.scopes) {
      if (const auto scope = scopes.find(key); scope != scopes.end()) f(d, key, scope->second);
    }
  }
}

// The first round of every quota (FirstRound): its sources' first passes one after another
// at the planned rate, in the order of the demands; a source whose place in the steady
// schedule after the round lies more than an interval after its first pass waits for it.
void plan_first_rounds(QuotaPlan& plan, std::span<const QuotaDemand> demands,
                       const std::map<std::string, QuotaScope>& scopes) {
  using std::chrono::milliseconds;
  struct Member {
    const QuotaDemand* demand;
    double before;  // what the round's earlier first passes ask
  };
  std::map<std::string, FirstRound> rounds;
  std::map<std::string, std::vector<Member>> members;
  for_each_use(demands, scopes, [&](const QuotaDemand& d, const std::string& key, const QuotaScope& scope) {
    auto& r = rounds[key];
    r.key = key;
    r.scope = scope;
    members[key].push_back({&d, r.requests});
    ++r.sources;
    r.requests += d.first_pass_requests;
  });
  // A source's two times, the latest over its quotas.
  std::map<std::string, std::pair<milliseconds, milliseconds>> latest;  // first, second
  for (auto& [key, r] : rounds) {
    const double per_ms = r.scope.per_minute * k_quota_headroom / 60'000.0;
    if (per_ms <= 0 || r.requests <= 0) continue;
    const auto after = [per_ms](double requests) {
      return milliseconds(static_cast<std::int64_t>(std::ceil(requests / per_ms)));
    };
    r.length = after(r.requests);
    auto shortest = milliseconds::max();
    for (const auto& m : members[key]) {
      const milliseconds interval = plan.interval_of(m.demand->source, m.demand->interval);
      shortest = std::min(shortest, interval);
      const milliseconds first = after(m.before);
      // As far into its interval after the round as its first pass was into the round.
      const auto place = milliseconds(static_cast<std::int64_t>(
          std::ceil(static_cast<double>(interval.count()) * m.before / r.requests)));
      const milliseconds second = std::max(first + interval, r.length + place);
      auto [it, fresh] = latest.try_emplace(m.demand->source, first, second);
      if (!fresh) it->second = {std::max(it->second.first, first), std::max(it->second.second, second)};
    }
    if (r.length > shortest) plan.long_first_rounds.push_back(r);
  }
  for (const auto& d : demands) {
    const auto it = latest.find(d.source);
    if (it == latest.end()) continue;
    const auto [first, second] = it->second;
    FirstPasses passes{first, std::nullopt};
    if (second > first + milliseconds(plan.interval_of(d.source, d.interval))) passes.second = second;
    plan.first_passes[d.source] = passes;
  }
}

}  // namespace

std::string StretchedScope::message() const {
  return scope.label + ": " + std::to_string(sources) + (sources == 1 ? " source" : " sources") + " every " +
         span_text(shortest_configured) + (sources == 1 ? "" : " or more") + " need " + rate_text(needed_per_minute) +
         " " + scope.unit + "/min; quota " + rate_text(scope.per_minute) + " (planned to " +
         rate_text(scope.per_minute * k_quota_headroom) + "): " + (sources == 1 ? "it is" : "each is") +
         " read every " + span_text(shortest_effective) + " instead" +
         (stretch > 1 && sources > 1 ? " (intervals × " + rate_text(stretch) + ")" : "");
}

std::string FirstRound::message() const {
  return scope.label + ": the first passes of " + std::to_string(sources) + (sources == 1 ? " source" : " sources") +
         " ask " + rate_text(requests) + " " + scope.unit + " (a new connector's first pass may ask more, such as a " +
         "sheet's metadata); at " + rate_text(scope.per_minute * k_quota_headroom) + "/min they take " +
         span_text(std::chrono::ceil<std::chrono::seconds>(length)) + ", and each source's second pass waits for them";
}

std::chrono::seconds QuotaPlan::interval_of(const std::string& source, std::chrono::seconds configured) const {
  const auto it = intervals.find(source);
  return it == intervals.end() ? configured : it->second;
}

QuotaPlan plan_quotas(std::span<const QuotaDemand> demands, const std::map<std::string, QuotaScope>& scopes) {
  QuotaPlan plan;
  // What each scope's sources ask for at their configured intervals.
  std::map<std::string, StretchedScope> use;
  for_each_use(demands, scopes, [&](const QuotaDemand& d, const std::string& key, const QuotaScope& scope) {
    auto& u = use[key];
    u.key = key;
    u.scope = scope;
    ++u.sources;
    u.needed_per_minute += d.requests_per_pass * 60.0 / static_cast<double>(d.interval.count());
    if (u.shortest_configured.count() == 0 || d.interval < u.shortest_configured) u.shortest_configured = d.interval;
  });
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
  plan_first_rounds(plan, demands, scopes);
  return plan;
}

QuotaInputs quota_inputs(const Config& config, const KnownRowCount& known_rows) {
  QuotaInputs in;
  for (const auto& source : config.sources) {
    auto use = quota_use(config, source, known_rows);
    if (!use) continue;
    QuotaDemand d{source.name, source.poll_interval, use->requests_per_pass, {}, use->first_pass_requests};
    for (auto& [key, scope] : use->scopes) {
      in.scopes.try_emplace(key, std::move(scope));
      d.scopes.push_back(key);
    }
    in.demands.push_back(std::move(d));
  }
  return in;
}

QuotaPlan plan_quotas(const Config& config, const KnownRowCount& known_rows) {
  const QuotaInputs in = quota_inputs(config, known_rows);
  return plan_quotas(in.demands, in.scopes);
}

}  // namespace pinsync::agent

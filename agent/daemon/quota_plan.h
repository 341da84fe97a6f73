// Quota-aware polling: what the schedule asks of each API quota, and how far poll intervals
// stretch so that it fits. A Google service account reads 60 times a minute at most (per user)
// and a project 300 times (Airtable: 5 requests a second per base, 50 per token); 120 sheets
// polled every minute through one account cannot all be read, and would only meet 429s. The
// plan is made before the first pass (start, reload, `pinsync check`): every source drawing
// on a quota that its schedule exceeds is read less often, by the same factor for all of them
// (fair: none starves), and the plan says so in words an operator can act on.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/config/quota.h"

namespace pinsync::agent {

// The share of a quota the plan fills: the rest is for what no schedule foresees (the
// metadata read of a new connector, write-back checks, manual resyncs).
inline constexpr double k_quota_headroom = 0.9;

// What one source asks of the quotas it draws on.
struct QuotaDemand {
  std::string source;
  std::chrono::seconds interval{0};  // its configured poll_interval
  double requests_per_pass = 1;
  std::vector<std::string> scopes;   // keys into the scopes map
};

// A quota the schedule asks too much of.
struct StretchedScope {
  std::string key;
  QuotaScope scope;
  std::size_t sources = 0;        // drawing on it
  double needed_per_minute = 0;   // at the configured intervals
  double stretch = 1;             // the factor its sources' intervals are multiplied by
  std::chrono::seconds shortest_configured{0};
  std::chrono::seconds shortest_effective{0};
  // "Google Sheets reads of … (per user): 120 sources every 1m need 120 reads/min; quota 60
  // (planned to 54): each is read every 2m13s instead"
  std::string message() const;
};

struct QuotaPlan {
  // Every source of the demands, with the interval it is polled at (configured × the largest
  // stretch of its scopes; the configured one when none is stretched).
  std::map<std::string, std::chrono::seconds> intervals;
  // Why, for each source whose interval was stretched: its scopes' messages, joined.
  std::map<std::string, std::string> reasons;
  std::vector<StretchedScope> stretched;  // by key

  // The effective interval of `source`, or `configured` when the plan does not know it.
  std::chrono::seconds interval_of(const std::string& source, std::chrono::seconds configured) const;
};

// Plans `demands` against `scopes`. A demand naming an unknown scope ignores it. Intervals
// are rounded up to whole seconds.
QuotaPlan plan_quotas(std::span<const QuotaDemand> demands, const std::map<std::string, QuotaScope>& scopes);

// The demands and scopes of a config's sources, as each source's kind says (quota_use() in
// agent/config/sources.h: a Google sheet one read a pass against its identity's quota and
// its project's, an Airtable table a request per 100 `known_rows` against its base's and its
// token's). A source that draws on no quota (CSV) or whose quota cannot be told (an
// unreadable key file: its pass reports the file) is left out.
struct QuotaInputs {
  std::vector<QuotaDemand> demands;
  std::map<std::string, QuotaScope> scopes;
};
QuotaInputs quota_inputs(const Config& config, const KnownRowCount& known_rows);

// quota_inputs, then plan_quotas.
QuotaPlan plan_quotas(const Config& config, const KnownRowCount& known_rows);

}  // namespace pinsync::agent

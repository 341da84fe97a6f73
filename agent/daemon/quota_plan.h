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
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "agent/config/config.h"

namespace pinsync::agent {

// The share of a quota the plan fills: the rest is for what no schedule foresees (the
// metadata read of a new connector, write-back checks, manual resyncs).
inline constexpr double k_quota_headroom = 0.9;

// One quota: a name an operator recognises and its size.
struct QuotaScope {
  std::string label;         // "Google Sheets reads of sync@acme.iam.gserviceaccount.com (per user)"
  double per_minute = 0;     // requests a minute it allows
  std::string unit = "reads";  // what it counts, for messages ("reads", "requests")
};

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

// The demands and scopes of a config's sources: each Google sheet one read a pass against its
// identity's per-user quota and its project's — behind the change gate, only its full reads,
// one every full_scan_interval — (a service account's project_id; an OAuth
// client's project number, the prefix of its client id; an API key is its own project), each
// Airtable table one request a pass per 100 known rows (`known_rows(source)`, at least one)
// against its base's and its token's quota; CSV sources draw on none. A service-account key
// file that cannot be read leaves that source out (its pass reports the file).
struct QuotaInputs {
  std::vector<QuotaDemand> demands;
  std::map<std::string, QuotaScope> scopes;
};
QuotaInputs quota_inputs(const Config& config, const std::function<std::size_t(const std::string&)>& known_rows);

// quota_inputs, then plan_quotas.
QuotaPlan plan_quotas(const Config& config, const std::function<std::size_t(const std::string&)>& known_rows);

}  // namespace pinsync::agent

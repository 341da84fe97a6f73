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
#include <optional>
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
  double first_pass_requests = 1;    // the first pass of a new connector (QuotaUse)
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

// The first round of a quota: a first pass may ask more than later ones (a Google sheet's
// also reads its metadata), so 120 sheets of one account ask 240 reads at once, more than
// four minutes of a 60-a-minute quota. Spread over one interval like every other source, the
// round would overrun the quota and the early sheets' second passes would pile onto its
// late first ones, a backlog the steady schedule's headroom drains only slowly. Planned, the
// sources of the quota take their first passes one after another at the planned rate, and
// each one's second pass waits for the round's end, at its own place in the steady schedule.
struct FirstRound {
  std::string key;
  QuotaScope scope;
  std::size_t sources = 0;
  double requests = 0;                  // what the first passes ask in all
  std::chrono::milliseconds length{0};  // at the planned rate
  // "Google Sheets reads as … (per user): the first passes of 120 sources ask 240 reads (a
  // new connector's first pass may ask more); at 54/min they take 4m27s"
  std::string message() const;
};

// When one source's first two passes go, counted from the plan's start.
struct FirstPasses {
  std::chrono::milliseconds first{0};
  // Its second pass, when the first round puts it later than an interval after the first.
  std::optional<std::chrono::milliseconds> second;
};

struct QuotaPlan {
  // Every source of the demands, with the interval it is polled at (configured × the largest
  // stretch of its scopes; the configured one when none is stretched).
  std::map<std::string, std::chrono::seconds> intervals;
  // Why, for each source whose interval was stretched: its scopes' messages, joined.
  std::map<std::string, std::string> reasons;
  std::vector<StretchedScope> stretched;  // by key
  // Each source drawing on a quota: when its first passes go (a source on several quotas
  // waits for the latest of them).
  std::map<std::string, FirstPasses> first_passes;
  // The quotas whose first round outlasts the shortest interval of their sources (the ones
  // an operator would wonder about: why a source was not read in its first interval).
  std::vector<FirstRound> long_first_rounds;  // by key

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

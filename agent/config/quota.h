// What a source asks of the API quotas it draws on, as its kind says (SourceKind::quota_use,
// quota_use() in sources.h): the plain types the agent's quota plan (agent/daemon/quota_plan.h)
// plans polling with.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace pinsync::agent {

// One quota: a name an operator recognises and its size.
struct QuotaScope {
  std::string label;         // "Google Sheets reads of sync@acme.iam.gserviceaccount.com (per user)"
  double per_minute = 0;     // requests a minute it allows
  std::string unit = "reads";  // what it counts, for messages ("reads", "requests")
};

// What one pass of a source asks: `requests_per_pass` of each quota in `scopes`, keyed so that
// the sources sharing a quota (one service account, one Airtable base) meet under one key.
struct QuotaUse {
  double requests_per_pass = 1;
  // What the first pass of a new connector (after a start or a reload) asks, which may be
  // more: a Google sheet's first pass also reads the spreadsheet's metadata, and a gated one
  // reads every value.
  double first_pass_requests = 1;
  std::vector<std::pair<std::string, QuotaScope>> scopes;  // key, quota
};

// How many rows the state holds for a source, by its name (a paged API reads more pages
// for more rows).
using KnownRowCount = std::function<std::size_t(const std::string& source)>;

}  // namespace pinsync::agent

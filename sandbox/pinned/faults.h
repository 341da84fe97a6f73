// Fault injection and runtime knobs of the emulated Pinned Events API: injected 500s and 429s,
// added latency, drop-after-commit, bad answers, a per-key requests-per-second limit and the
// idempotency TTLs. Set from command-line flags at start and changed at runtime through
// POST /_sandbox/faults.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include <optional>
#include <string_view>

#include <Poco/JSON/Object.h>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// An answer that is not what the API documents, given after the API did its work (a create
// is stored and its Idempotency-Key remembers the real answer): what a broken proxy or a
// half-deployed server sends. See docs/sandbox.md for each kind on each route.
enum class BadAnswer { truncated_json, html_502, wrong_types, empty_body, missing_id };

struct FaultSettings {
  double error_rate = 0.0;              // fraction of API requests answered 500 internal_error
  double rate_limited_rate = 0.0;       // fraction answered 429 rate_limited (Retry-After: 1)
  double latency_ms = 0.0;              // added to every API request's processing
  double latency_spike_rate = 0.0;      // fraction of API requests delayed by latency_spike_ms more
  double latency_spike_ms = 0.0;        // a spike: e.g. longer than the client's timeout
  double drop_after_commit_rate = 0.0;  // fraction of committed creates/updates never answered
  std::int64_t rate_limit_per_second = 0;  // per API key; 0 = no limit
  double idempotency_ttl_seconds = 900.0;  // lifetime of a succeeded Idempotency-Key entry
  double in_progress_ttl_seconds = 45.0;   // lifetime of an in-progress entry
  // Bad answers of POST/PATCH events, GET channels and GET classifications (successes only):
  double truncated_json_rate = 0.0;  // the body cut in half
  double html_502_rate = 0.0;        // a gateway's HTML 502 page instead
  double wrong_types_rate = 0.0;     // ids as strings ("abc"), slugs as numbers
  double empty_201_rate = 0.0;       // the success status with an empty body
  double missing_id_rate = 0.0;      // the doc(s) without "id" (classifications: without "slug")
  std::string bad_answer_match;      // only requests whose body contains this ("" = any)
  std::int64_t bad_answer_limit = 0; // at most this many bad answers, then none (0 = no limit)
};

struct FaultsProblem {
  std::string field;
  std::string issue;
};

// Returns `base` with the given subset of settings applied, or the first unknown key, wrong
// type or out-of-range value (rates in [0,1], latency in [0,60000] ms, others ≥ 0).
std::expected<FaultSettings, FaultsProblem> apply_fault_patch(FaultSettings base,
                                                              const Poco::JSON::Object& patch);

// Returns all settings as one JSON object with the keys POST /_sandbox/faults accepts.
std::string to_json(const FaultSettings& settings);

struct RateDecision {
  bool limited = false;     // a limit is configured: emit the X-RateLimit-* headers
  bool allowed = true;      // false: answer 429
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_seconds = 0;  // whole seconds (≥ 1) until the window restarts
};

// The live settings plus the state they drive (random rolls, rate windows). Thread-safe.
class Faults {
 public:
  // `seed` makes the random rolls reproducible.
  Faults(FaultSettings startup, std::uint64_t seed);

  // Returns the current settings.
  FaultSettings settings() const;
  // Applies a subset of settings atomically (see apply_fault_patch). Returns the new settings,
  // or the problem, leaving the settings unchanged.
  std::expected<FaultSettings, FaultsProblem> apply(const Poco::JSON::Object& patch);
  // Restores the startup settings and forgets all rate windows.
  void reset();

  // Returns true with probability `rate` (always for 1.0, never for 0.0).
  bool roll(double rate);
  // Decides whether the successful answer to a request with `request_body` is spoiled:
  // returns the kind (the first of the five rates that rolls, in declaration order), or
  // nullopt when the body does not contain bad_answer_match, the limit is used up or no
  // rate rolls. Each kind returned counts against bad_answer_limit.
  std::optional<BadAnswer> pick_bad_answer(std::string_view request_body);
  // Counts one request against `bucket`'s one-second window and returns the verdict.
  RateDecision take_rate_token(const std::string& bucket);
  // Sleeps the configured latency without holding any lock, counted from the call against the
  // settings of the moment: apply() or reset() lowering latency_ms shortens sleeps under way.
  // Returns early when stop() is called.
  void sleep_latency();
  // Wakes every sleeper and makes later sleeps return at once (server shutdown).
  void stop();

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    std::int64_t used = 0;
  };

  const FaultSettings m_startup;
  mutable std::mutex m_mutex;
  FaultSettings m_settings;
  std::mt19937_64 m_random;
  std::map<std::string, Window> m_windows;
  std::int64_t m_bad_answers_given = 0;  // since the settings were last applied or reset
  bool m_stopping = false;
  std::condition_variable m_stop_cv;  // stop(), apply() and reset() wake the sleepers
};

// Rewrites `answer` (a 2xx of `route_template`, e.g. "/api/public/v1/channels") as `kind`:
// truncated_json keeps the status and half the body; html_502 is a 502 text/html page;
// wrong_types turns every "id" into "abc" (classifications: every "slug" into 42);
// empty_body keeps the status with no body; missing_id drops "id" from the doc or docs
// (classifications: "slug"). The rest of the answer (headers) is kept.
void spoil_answer(BadAnswer kind, std::string_view route_template, Response& answer);

}  // namespace pinsync_sandbox

// When to try a failed request again: exponential backoff with full jitter and a cap,
// never earlier than the server's Retry-After. Used by the retry loop of every API
// (core/http_retry.h) and by the agent's retry queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace pinsync {

// How a wait is drawn below its ceiling.
enum class Jitter {
  full,  // uniformly from [0, ceiling]: many clients retrying at once spread out
  none,  // the ceiling itself, for an API that documents fixed waits (Airtable: 1, 2, 4 s)
};

struct RetryPolicy {
  int max_attempts = 4;  // including the first
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds cap{8'000};
  Jitter jitter = Jitter::full;
};

class Backoff {
 public:
  explicit Backoff(RetryPolicy policy, std::uint64_t seed = std::random_device{}());
  // Returns the wait before retry number `retry` (1 = first retry): with Jitter::full a
  // uniform draw from [0, min(cap, base * 2^(retry-1))], with Jitter::none that ceiling;
  // raised to `retry_after` when that is later.
  std::chrono::milliseconds delay(int retry, std::optional<std::chrono::seconds> retry_after);
  const RetryPolicy& policy() const { return m_policy; }

 private:
  RetryPolicy m_policy;
  std::mt19937_64 m_rng;
};

}  // namespace pinsync

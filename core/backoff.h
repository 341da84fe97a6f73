// When to try a failed request again: exponential backoff with full jitter and a cap,
// never earlier than the server's Retry-After.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace pinsync::agent {

struct RetryPolicy {
  int max_attempts = 4;  // including the first
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds cap{8'000};
};

class Backoff {
 public:
  explicit Backoff(RetryPolicy policy, std::uint64_t seed = std::random_device{}());
  // Returns the wait before retry number `retry` (1 = first retry): a uniform draw
  // from [0, min(cap, base * 2^(retry-1))], raised to `retry_after` when that is later.
  std::chrono::milliseconds delay(int retry, std::optional<std::chrono::seconds> retry_after);
  const RetryPolicy& policy() const { return m_policy; }

 private:
  RetryPolicy m_policy;
  std::mt19937_64 m_rng;
};

}  // namespace pinsync::agent

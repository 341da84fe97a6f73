// The one error type of pinsync: what went wrong, how to react, and where it came from.
// Anything the outside world can cause is returned as std::expected<T, Error>; the kind
// decides the reaction (the rule per kind is on each enumerator below; the retry queue and
// the pausing of a refused source are described in ARCHITECTURE.md, "One pass").
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace pinsync {

enum class ErrorKind {
  transient,     // 5xx, connection reset: retry with backoff
  timeout,       // no answer in time: retry, the outcome may be unknown
  rate_limited,  // 429: retry no earlier than retry_after
  auth,          // 401/403: stop the source, tell the operator
  not_found,     // 404
  invalid,       // 400 or bad input: report against the row, do not retry
  conflict,      // 409
  config,        // configuration problem: fail at start
  internal,      // a bug or an impossible state
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  std::optional<std::chrono::seconds> retry_after = std::nullopt;

  // Returns a copy whose message is "context: message".
  Error with_context(std::string_view context) const;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message)});
}

}  // namespace pinsync

// Always-on invariant check: for programming errors, never for input.
#define PINSYNC_ASSERT(cond)                                                    \
  do {                                                                          \
    if (!(cond)) ::pinsync::detail::assert_failed(#cond, __FILE__, __LINE__);   \
  } while (false)

namespace pinsync::detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line);
}

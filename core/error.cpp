#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace pinsync {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::transient: return "transient";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::auth: return "auth";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::invalid: return "invalid";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::config: return "config";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

Error Error::with_context(std::string_view context) const {
  Error copy = *this;
  copy.message = std::string(context) + ": " + message;
  return copy;
}

namespace detail {
void assert_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "pinsync: internal error: assertion %s failed at %s:%d\n", expr, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace pinsync

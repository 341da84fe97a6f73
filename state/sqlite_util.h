// Helpers shared by the SQLite store's files: turning SQLiteCpp exceptions into Error
// with the state file and the failed action named, plus a fix where one is known.
// Internal to state/.
#pragma once

#include <exception>
#include <string_view>

#include "core/error.h"

namespace pinsync::state {

// Returns Error{internal} "<label>: <doing>: <what SQLite said>[ — <fix>]", where label
// is "state file /path". `e` may be any exception; SQLite ones get a fix by error code.
Error sqlite_failure(std::string_view label, std::string_view doing, const std::exception& e);

// Returns `value` cut to at most `max_bytes` without splitting a UTF-8 character.
std::string_view cut_utf8(std::string_view value, std::size_t max_bytes);

}  // namespace pinsync::state

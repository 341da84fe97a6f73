// The exit codes of every pinsync command, and the one rule that picks them: from an
// Error, from a pass's report, and the more serious of two. README's exit-code table is
// checked against k_exit_codes by a test.
#pragma once

#include <string_view>

#include "agent/sync/pass_types.h"
#include "core/error.h"

namespace pinsync::agent {

enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_failure = 1,        // unexpected failure, a source that could not be synced
  k_exit_usage = 2,          // bad command line
  k_exit_config = 3,         // configuration error
  k_exit_auth = 4,           // Pinned Events refused the key (401/403) or a source refused access
  k_exit_rows_failed = 5,    // the pass finished but rows are invalid, failed, dead or held back
};

struct ExitCodeInfo {
  ExitCode code;
  int rank;                 // worse() keeps the higher rank
  std::string_view meaning; // as README's table says it
};

// Every exit code, in numeric order, with its rank and meaning.
inline constexpr ExitCodeInfo k_exit_codes[] = {
    {k_exit_ok, 0, "success: every source synced, nothing left to look at"},
    {k_exit_failure, 3, "unexpected failure, or a source could not be synced (unreachable, stopped)"},
    {k_exit_usage, 2, "bad command line"},
    {k_exit_config, 5, "configuration error (the message names file, line and key)"},
    {k_exit_auth, 4, "access refused: Pinned Events refused the API key or its scopes, or a source refused access"},
    {k_exit_rows_failed, 1, "the pass finished, but rows are left invalid, failed, dead or held, or the read looked suspect"},
};

// The exit code an Error calls for: config 3, auth 4, anything else 1.
int exit_code_for(const Error& e);
// The exit code a pass's report calls for: its stop's Error when it stopped (a refused
// key is auth even when it paused the source), 5 when it is not clean, else 0.
int exit_code_for(const PassReport& report);
// The more serious of two exit codes: config, then auth, then failure, then usage, then
// rows; an unknown code counts as failure.
int worse(int a, int b);

}  // namespace pinsync::agent

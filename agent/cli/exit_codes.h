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
  std::string_view meaning; // README's exit-code table says exactly this
};

// Every exit code, in numeric order, with its rank and meaning.
inline constexpr ExitCodeInfo k_exit_codes[] = {
    {k_exit_ok, 0, "all good"},
    {k_exit_failure, 3,
     "unexpected failure, a source or the API could not be reached, or another pinsync holds the state file"},
    {k_exit_usage, 2, "bad command line (including a `resync --row` ID that no row has)"},
    {k_exit_config, 5, "configuration error (including a mapped column missing from a sheet)"},
    {k_exit_auth, 4,
     "access refused: the API key is invalid, lacks a scope or channel access (the source is paused), or a source "
     "refused access"},
    {k_exit_rows_failed, 1,
     "the pass finished but rows are left invalid, failed or dead, or a suspect read held back its removals (see "
     "`pinsync errors`)"},
};

// The exit code an Error calls for: config 3, auth 4, anything else 1.
int exit_code_for(const Error& e);
// The exit code a pass's report calls for: auth for a refused key (even when it paused the
// source), usage when a resync named unknown rows, its stop's Error when it stopped, 5
// when it is not clean (rows invalid, failed or dead, a suspect read), else 0.
int exit_code_for(const PassReport& report);
// The more serious of two exit codes: config, then auth, then failure, then usage, then
// rows; an unknown code counts as failure.
int worse(int a, int b);

}  // namespace pinsync::agent

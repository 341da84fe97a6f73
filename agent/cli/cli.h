// The pinsync command line: parses arguments and runs one subcommand.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace pinsync::agent {

// Exit codes, documented in README.
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_failure = 1,        // unexpected failure
  k_exit_usage = 2,          // bad command line
  k_exit_config = 3,         // configuration error
  k_exit_auth = 4,           // Pinned Events refused the key (401/403) or a source refused access
  k_exit_rows_failed = 5,    // the pass finished but rows are invalid or failed
};

// Runs the command line `args` (without the program name). Returns the exit code.
int run_cli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

// The pinsync command line: parses arguments and runs one subcommand.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace pinsync::agent {

// Runs the command line `args` (without the program name). Returns the exit code
// (exit_codes.h).
int run_cli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

#include "agent/cli.h"

namespace pinsync::agent {

namespace {
constexpr std::string_view k_usage =
    "usage: pinsync COMMAND --config FILE [options]\n"
    "\n"
    "commands: sync, plan, status, errors, channels, classifications, check\n"
    "Run 'pinsync COMMAND --help' for the options of one command.\n";
}

int run_cli(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << k_usage;
    return k_exit_usage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << k_usage;
    return k_exit_ok;
  }
  if (args[0] == "--version") {
    out << "pinsync 0.1.0\n";
    return k_exit_ok;
  }
  err << "pinsync: unknown command '" << args[0] << "'\n" << k_usage;
  return k_exit_usage;
}

}  // namespace pinsync::agent

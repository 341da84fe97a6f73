#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

#include "agent/cli/cli.h"
#include "agent/cli/exit_codes.h"

int main(int argc, char** argv) {
  try {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    return pinsync::agent::run_cli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "pinsync: error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "pinsync: error: unexpected failure\n";
  }
  return pinsync::agent::k_exit_failure;
}

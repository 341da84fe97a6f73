#include "agent/cli/forget.h"

#include <unistd.h>

#include <iostream>
#include <string>

#include "agent/cli/exit_codes.h"
#include "state/store.h"

namespace pinsync::agent {

int command_forget(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  const std::string& name = options.source;
  if (name.empty()) {
    err << "pinsync forget: --source NAME is required\n";
    return k_exit_usage;
  }
  if (config.find_source(name) != nullptr) {
    err << "pinsync forget: " << name << " is still a source in the config; remove it from sources: first "
        << "(forgetting a source that is still synced would create a second event for every row)\n";
    return k_exit_usage;
  }
  auto opened = open_session(config, options, err, StoreAccess::write);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  auto rows = session->store()->rows(name);
  if (!rows) {
    err << "pinsync forget: " << rows.error().message << '\n';
    return k_exit_failure;
  }
  if (rows->empty()) {
    out << "the state file holds nothing of a source named " << name << "\n";
    return k_exit_ok;
  }
  std::size_t with_event = 0;
  for (const auto& r : *rows) with_event += r.event_id ? 1 : 0;
  out << name << ": " << rows->size() << " rows (" << with_event
      << " with an event) will be forgotten; their events in Pinned Events stay as they are\n";
  if (!options.yes) {
    if (::isatty(STDIN_FILENO) == 0) {
      err << "pinsync forget: not confirmed; run it on a terminal, or add --yes\n";
      return k_exit_usage;
    }
    out << "type the source's name to confirm: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != name) {
      err << "pinsync forget: not confirmed; nothing was changed\n";
      return k_exit_usage;
    }
  }
  if (auto done = session->store()->forget_source(name); !done) {
    err << "pinsync forget: " << done.error().message << '\n';
    return k_exit_failure;
  }
  out << name << ": forgotten\n";
  return k_exit_ok;
}

}  // namespace pinsync::agent

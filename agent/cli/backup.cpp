#include "agent/cli/backup.h"

#include "agent/cli/exit_codes.h"

namespace pinsync::agent {

int command_backup(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  if (options.backup_to.empty()) {
    err << "pinsync backup: --to FILE is required (a new file; a backup never overwrites one)\n";
    return k_exit_usage;
  }
  // Read access takes no lock: the running agent keeps its lock and goes on writing.
  auto opened = open_session(config, options, err, StoreAccess::read);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  if (session->store() == nullptr) {
    err << "pinsync backup: there is no state file yet at " << config.state_path.string() << '\n';
    return k_exit_failure;
  }
  auto rows = session->store()->backup_to(options.backup_to);
  if (!rows) {
    err << "pinsync backup: " << rows.error().message << '\n';
    return rows.error().kind == ErrorKind::invalid ? k_exit_usage : k_exit_failure;
  }
  out << "backed up " << *rows << " rows to " << options.backup_to.string()
      << " (mode 0600, checked). To restore: stop pinsync, put the copy at state.path, start it.\n";
  return k_exit_ok;
}

}  // namespace pinsync::agent

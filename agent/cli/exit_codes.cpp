#include "agent/cli/exit_codes.h"

namespace pinsync::agent {

namespace {

int rank(int code) {
  for (const auto& info : k_exit_codes) {
    if (info.code == code) return info.rank;
  }
  return k_exit_codes[k_exit_failure].rank;
}

}  // namespace

int exit_code_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::config: return k_exit_config;
    case ErrorKind::auth: return k_exit_auth;
    default: return k_exit_failure;
  }
}

int exit_code_for(const PassReport& report) {
  if (report.key_refused) return k_exit_auth;
  if (report.operator_pause) return k_exit_ok;  // paused on purpose: nothing went wrong
  if (!report.unknown_rows.empty()) return k_exit_usage;  // resync --row named a row no one knows
  if (report.stopped) return exit_code_for(*report.stopped);
  return report.clean() ? k_exit_ok : k_exit_rows_failed;
}

int worse(int a, int b) { return rank(b) > rank(a) ? b : a; }

}  // namespace pinsync::agent

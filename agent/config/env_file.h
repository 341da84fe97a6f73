// Reading an environment file (`pinsync --env-file FILE`) by the rules systemd applies to a
// unit's EnvironmentFile=, so that `pinsync check --env-file /etc/pinsync/pinsync.env` sees
// the same variables as the service. The rules are in docs/reference/env-file.md §1-§4.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pinsync::agent {

struct EnvFile {
  // In file order; a name assigned twice appears once, with its last value.
  std::vector<std::pair<std::string, std::string>> variables;
  // Assignments systemd ignores (a name that is not a variable name), as
  // "ORIGIN:LINE: …" lines for the caller to print. Never contain a value.
  std::vector<std::string> ignored;
};

// Parses `text`, read from `origin` (a path, or "standard input"). Error{config} naming
// origin:line when a name or a value is not valid UTF-8 or holds a NUL byte (systemd refuses
// such a file too). Error messages never contain a value.
Result<EnvFile> parse_env_file(std::string_view text, const std::string& origin);

}  // namespace pinsync::agent

// Loading config.yaml: read the file, expand ${VAR} references, validate every section.
// The one way into a Config; the YAML reading behind it is internal to agent/config/.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "core/error.h"

namespace pinsync::agent {

// Loads and validates `file`, expanding ${VAR} from the environment through `getenv`.
// Returns the config, or an Error of kind config whose message starts with
// "file:line: key.path: " and says what is wrong and how to fix it.
Result<Config> load_config(const std::filesystem::path& file);

// Returns the names of every ${VAR} the YAML file refers to (comments excluded), in file
// order without repeats, for `pinsync check`; Error{config} when the file cannot be read
// or parsed.
Result<std::vector<std::string>> env_references(const std::filesystem::path& file);

// As above, with ${VAR} expanded through `env` instead of the process environment.
// Error messages never contain a value that came from `env`.
Result<Config> load_config(const std::filesystem::path& file, const EnvLookup& env);

// As above for a command that uses only the parts in `needs`: a ${VAR} left unset in
// another part is listed in Config::unset_variables (its values are placeholders) instead
// of failing. Every other problem fails as above, wherever it is; an unset variable in a
// needed part fails with the same "file:line: path: environment variable NAME is not set"
// message. With needs.everything this is load_config(file, env).
Result<Config> load_config(const std::filesystem::path& file, const EnvLookup& env, const ConfigNeeds& needs);

// Looks ${VAR} up in the process environment (what load_config(file) uses).
EnvLookup process_environment();

}  // namespace pinsync::agent

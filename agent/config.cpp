// Placeholder until the config loader lands.
#include "agent/config.h"

namespace pinsync::agent {

const SourceConfig* Config::find_source(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<Config> load_config(const std::filesystem::path& file) {
  return fail(ErrorKind::config, file.string() + ": configuration loading is not built yet");
}

}  // namespace pinsync::agent

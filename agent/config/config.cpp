#include "agent/config/config.h"

namespace pinsync::agent {

const SourceConfig* Config::find_source(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace pinsync::agent

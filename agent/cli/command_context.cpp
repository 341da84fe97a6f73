#include "agent/cli/command_context.h"

#include "core/datetime.h"

namespace pinsync::agent {

void write_time(json::Writer& w, std::int64_t unix_seconds) {
  if (unix_seconds <= 0) w.null();
  else w.value(format_utc(unix_seconds));
}

std::vector<const SourceConfig*> selected_sources(const Config& config, const CommandOptions& options) {
  std::vector<const SourceConfig*> out;
  for (const auto& s : config.sources) {
    if (options.source.empty() || s.name == options.source) out.push_back(&s);
  }
  return out;
}

Result<std::unique_ptr<Session>> open_session(const Config& config, const CommandOptions& options,
                                              std::ostream& err, StoreAccess access) {
  auto session = Session::open(config, err, access, options.world);
  if (!session) err << "pinsync: " << session.error().message << '\n';
  return session;
}

}  // namespace pinsync::agent

// `pinsync check`: a preflight checklist, one line per check with ok / FAIL / warn, what
// was checked and, when it failed, the fix. Nothing is written anywhere: scopes are
// probed with requests Pinned Events refuses (an empty create, an update of event 0).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "agent/cli/command_context.h"
#include "agent/config/config.h"
#include "agent/sync/session.h"
#include "core/error.h"

namespace pinsync::agent {

enum class CheckResult { ok, fail, warn };

struct CheckItem {
  CheckResult result = CheckResult::ok;
  std::string what;  // "acme: channel 42 is accessible"
  std::string fix;   // for fail/warn: what to do, or what is lost ("" for ok)
  int exit_code = 0; // for fail: the exit code it calls for (exit_codes.h); 0 otherwise
};

// Returns the line printed for `item`: "ok    what", "FAIL  what — fix", "warn  what — fix".
std::string check_line(const CheckItem& item);

// The scopes pinsync asks for, in the order they are checked, and what each is for.
struct ScopeNeed {
  std::string_view scope;
  bool required;
  std::string_view without;  // what fails or is lost without it
};
inline constexpr ScopeNeed k_scope_needs[] = {
    {"channels:read", true, "pinsync cannot list channels or check channel access"},
    {"events:create", true, "no event can be created"},
    {"events:update", true, "edited rows cannot update their events"},
    {"events:read", false,
     "creates in doubt past the idempotency window are held for review instead of looked up, and resync --force "
     "re-sends every row instead of only those that drifted"},
};

// Checks the environment variables `file` refers to and that it loads. Writes each line to
// `out` as it is known and returns the items (the config's own error last when it fails).
std::vector<CheckItem> check_config_file(const std::filesystem::path& file, std::ostream& out);

// Runs every check of a loaded config — env vars, the config, the API key, each scope,
// classifications, then per selected source: channel access, mapped classification slugs,
// source read, mapped columns, write-back columns — writing each line to `out` as it is
// known. Returns the items.
std::vector<CheckItem> run_checks(const Config& config, const CommandOptions& options, Session& session,
                                  std::ostream& out);

// `pinsync check`: runs every check. Returns the worst exit code the failed checks call for.
int command_check(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err);

// `pinsync check` when the config did not load: the env var lines and the config error.
// Returns k_exit_config.
int command_check_unloaded(const std::filesystem::path& file, std::ostream& out, std::ostream& err);

}  // namespace pinsync::agent

#include "agent/cli/pause.h"

#include <chrono>

#include "agent/cli/agent_client.h"
#include "agent/cli/exit_codes.h"
#include "core/datetime.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

enum class Change { pause, resume };

constexpr const char* k_default_reason = "paused with pinsync pause";

std::string said(Change change, const std::string& source, bool via_agent) {
  return source + (change == Change::pause ? ": paused" : ": resumed") +
         (via_agent ? " (by the running agent)" : " (in the state file; no agent is running)");
}

// With no agent answering: the change goes straight into the state file, which the state
// lock keeps to one pinsync at a time.
int change_locally(const Config& config, const CommandOptions& options, Change change, std::ostream& out,
                   std::ostream& err) {
  auto opened = open_session(config, options, err, StoreAccess::write);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  auto& store = *session->store();
  if (change == Change::pause) {
    const std::string reason = options.reason.empty() ? k_default_reason : options.reason;
    if (auto r = store.set_pause(options.source, reason, "", state::PausedBy::operator_); !r) {
      err << "pinsync pause: " << r.error().message << '\n';
      return k_exit_failure;
    }
    session->log().info("source paused by an operator", {{"source", options.source}, {"reason", reason}});
  } else {
    auto was = store.pause(options.source);
    if (!was) {
      err << "pinsync resume: " << was.error().message << '\n';
      return k_exit_failure;
    }
    if (!*was) {
      out << options.source << ": was not paused\n";
      return k_exit_ok;
    }
    if (auto r = store.clear_pause(options.source); !r) {
      err << "pinsync resume: " << r.error().message << '\n';
      return k_exit_failure;
    }
    session->log().info("source resumed by an operator", {{"source", options.source}});
  }
  out << said(change, options.source, false) << '\n';
  return k_exit_ok;
}

int apply_change(const Config& config, const CommandOptions& options, Change change, std::ostream& out,
                 std::ostream& err) {
  const char* command = change == Change::pause ? "pause" : "resume";
  if (options.source.empty()) {
    err << "pinsync " << command << ": --source NAME is required (one partner at a time)\n";
    return k_exit_usage;
  }
  if (config.agent.admin_port) {
    json::Writer body;
    body.begin_object().key("source").value(options.source);
    if (change == Change::pause) body.key("reason").value(options.reason.empty() ? k_default_reason : options.reason);
    body.end_object();
    auto answer = ask_agent(*config.agent.admin_port, change == Change::pause ? "/pause" : "/resume", body.str(),
                            std::chrono::seconds(30));
    if (!answer) {
      err << "pinsync " << command << ": " << answer.error().message << '\n';
      return k_exit_failure;
    }
    if (*answer) {
      if ((*answer)->status != 200) {
        err << "pinsync " << command << ": the agent answered " << (*answer)->status << ": "
            << agent_error_text(**answer) << '\n';
        return k_exit_failure;
      }
      out << said(change, options.source, true) << '\n';
      return k_exit_ok;
    }
  }
  return change_locally(config, options, change, out, err);
}

}  // namespace

int command_pause(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  return apply_change(config, options, Change::pause, out, err);
}

int command_resume(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  return apply_change(config, options, Change::resume, out, err);
}

}  // namespace pinsync::agent

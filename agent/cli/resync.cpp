#include "agent/cli/resync.h"

#include <chrono>
#include <optional>

#include "agent/cli/agent_client.h"
#include "agent/cli/exit_codes.h"
#include "agent/sync/report.h"
#include "agent/sync/session.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

// A resync of a large source can take a while; the agent answers when it is done.
constexpr int k_resync_timeout_seconds = 1800;

// Prints what each pass did (or the JSON of every report) and returns the exit code the
// worst of them calls for.
int print_reports(const std::vector<PassReport>& reports, const CommandOptions& options, bool via_agent,
                  std::ostream& out) {
  int code = k_exit_ok;
  for (const auto& r : reports) code = worse(code, exit_code_for(r));
  if (options.json) {
    out << reports_json(reports) << '\n';
  } else {
    if (via_agent) out << "(by the running agent)\n";
    for (const auto& r : reports) out << report_text(r, PassMode::apply);
  }
  return code;
}

}  // namespace

int command_resync(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  const std::string_view command = options.resync.recover ? "pinsync recover: " : "pinsync resync: ";
  json::Writer body;
  body.begin_object().key("source").value(options.source).key("rows").begin_array();
  for (const auto& id : options.resync.rows) body.value(id);
  body.end_array().key("dead").value(options.resync.dead).key("recreate").value(options.resync.recreate);
  if (options.resync.forget) body.key("forget").value(true);  // an older agent refuses the key: never ignored
  body.key("force").value(options.resync.force);
  body.key("accept_removals").value(options.resync.accept_removals);
  // Sent only when asked: an older agent refuses the keys, never ignores them.
  if (options.resync.recover) body.key("recover").value(true);
  if (options.resync.accept_new_state) body.key("accept_new_state").value(true);
  body.end_object();

  if (config.agent.admin_port && !options.local) {
    auto answer = ask_agent(*config.agent.admin_port, "/resync", body.str(),
                            std::chrono::seconds(k_resync_timeout_seconds));
    if (!answer) {
      err << command << answer.error().message << '\n';
      return k_exit_failure;
    }
    if (*answer) {
      const auto& a = **answer;
      if (a.status != 200) {
        err << "pinsync resync: the agent answered " << a.status << ": " << agent_error_text(a) << '\n';
        return k_exit_failure;
      }
      auto reports = reports_from_json(a.body);
      if (!reports) {
        err << "pinsync resync: cannot read the agent's answer: " << reports.error().message << '\n';
        return k_exit_failure;
      }
      return print_reports(*reports, options, true, out);
    }
    // A configured agent that does not answer has crashed or was stopped: running the pass
    // here quietly would hide that.
    err << command << "NO AGENT ANSWERS on 127.0.0.1:" << *config.agent.admin_port
        << " (agent.admin_listen) — the agent is not running: check `systemctl status pinsync` and its log.\n"
           "To run this pass here instead, add --local (safe: the state lock refuses if an agent still runs).\n";
    return k_exit_failure;
  }

  // No agent (admin endpoint off, or --local): run the pass here, like sync but with the
  // resync options.
  auto session = Session::open(config, err, StoreAccess::write, options.world);
  if (!session) {
    err << command << session.error().message << '\n';
    return exit_code_for(session.error());
  }
  std::vector<PassReport> reports;
  for (const auto& source : config.sources) {
    if (!options.source.empty() && source.name != options.source) continue;
    reports.push_back(
        (*session)->sync_source(source, PassMode::apply, options.resync.recover ? "recover" : "resync",
                                manual_pass(options.resync)));
  }
  return print_reports(reports, options, false, out);
}

int command_recover(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  if (options.source.empty()) {
    err << "pinsync recover: --source NAME is required (the source whose state was lost or put back)\n";
    return k_exit_usage;
  }
  CommandOptions recover = options;
  recover.resync.recover = true;
  return command_resync(config, recover, out, err);
}

}  // namespace pinsync::agent

// `pinsync run`: a plain signal-driven main loop rather than Poco's ServerApplication,
// whose own option parsing and daemonizing would fight the CLI's command table. The
// signals are blocked in every thread and taken here with sigwaitinfo, so no handler
// runs inside a pass.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "agent/cli/run.h"

#include "agent/cli/exit_codes.h"
#include "agent/daemon/admin.h"
#include "agent/daemon/daemon.h"

namespace pinsync::agent {

namespace {

// In-flight requests get this long after SIGTERM; the rest of the 10 s budget is margin.
constexpr std::chrono::milliseconds k_stop_grace{5000};

}  // namespace

int command_run(const Config& config, const CommandOptions& options, std::ostream& /*out*/, std::ostream& err) {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&signals, s);
  // Before any thread starts, so every thread inherits the mask.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto daemon = Daemon::start(config, err, DaemonSeams{options.world, {}});
  if (!daemon) {
    err << "pinsync run: " << daemon.error().message << '\n';
    return exit_code_for(daemon.error());
  }
  Daemon& agent = **daemon;
  std::unique_ptr<AdminServer> admin;
  if (config.agent.admin_port) {
    auto started = AdminServer::start(*config.agent.admin_port, agent);
    if (!started) {
      agent.log().error("cannot start the admin endpoint",
                        {{"port", *config.agent.admin_port}, {"reason", started.error().message}});
      agent.stop(k_stop_grace);
      err << "pinsync run: " << started.error().message << '\n';
      return k_exit_config;
    }
    admin = std::move(*started);
    agent.log().info("admin endpoint on " + admin->url());
    agent.set_status_page(admin->url() + "/");
  }
  agent.log().info("agent running", {{"pid", ::getpid()}, {"sources", config.sources.size()}});

  while (true) {
    // Sleeps until a signal comes: the agent's work runs on the scheduler's threads, and an
    // idle agent should not wake for nothing.
    const int sig = sigwaitinfo(&signals, nullptr);
    if (sig < 0) continue;  // EINTR
    if (sig == SIGHUP) {
      agent.log().info("SIGHUP: reloading the config", {{"file", options.config_path.string()}});
      (void)agent.reload(options.config_path);
    } else if (sig == SIGUSR1) {
      agent.log().info("SIGUSR1: resyncing every source");
      agent.resync_all();
    } else {
      agent.log().info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
  }
  // Workers first: their exit wakes any POST /resync still waiting, so the server's
  // threads can finish.
  if (!agent.stop(k_stop_grace)) {
    // A request is still on the wire: its outbox entry makes abandoning it safe (the next
    // run resends it with the same Idempotency-Key).
    agent.log().warn("a pass was still in a request; abandoning it (the outbox resends it on the next run)");
    std::fflush(nullptr);
    std::_Exit(k_exit_ok);
  }
  if (admin) admin->stop();
  agent.log().info("stopped");
  return k_exit_ok;
}

}  // namespace pinsync::agent

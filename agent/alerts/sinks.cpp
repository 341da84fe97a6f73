// The two ways an alert leaves pinsync: a Slack-compatible webhook and a local command.
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#include "agent/alerts/alerts.h"
#include "core/json_writer.h"

extern char** environ;

namespace pinsync::agent {

namespace {

class WebhookSink final : public AlertSink {
 public:
  WebhookSink(std::string url, std::chrono::seconds timeout, TransportFactory transports)
      : m_url(std::move(url)), m_timeout(timeout), m_transports(std::move(transports)) {}

  Result<void> deliver(const Alert& alert) override {
    json::Writer w;
    w.begin_object().key("text").value(alert.text).end_object();
    http::Request request;
    request.method = "POST";
    request.url = m_url;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = w.take();
    request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(m_timeout);
    auto transport = m_transports();
    std::string why;
    // One retry: a chat service's blip should not lose the message, and a pass must not
    // wait on a dead webhook for long.
    for (int attempt = 1; attempt <= 2; ++attempt) {
      auto response = transport->send(request);
      if (response && response->status >= 200 && response->status < 300) return {};
      // The URL is the credential: messages name the status, never the address.
      why = response ? "the alert webhook answered HTTP " + std::to_string(response->status)
                     : "the alert webhook could not be reached (" + std::string(to_string(response.error().error.kind)) + ")";
      if (response && response->status < 500 && response->status != 429) break;
    }
    return fail(ErrorKind::transient, why + " — check alerts.webhook_url");
  }

 private:
  std::string m_url;
  std::chrono::seconds m_timeout;
  TransportFactory m_transports;
};

// What an alert command may see of the agent's environment: enough to find programs and
// speak the locale, never the agent's keys and tokens (which a command written for a chat
// service has no use for; what it needs goes into the command or a file it reads).
constexpr std::string_view k_passed_environment[] = {"PATH=", "HOME=", "LANG=", "LC_ALL=", "TZ="};

class CommandSink final : public AlertSink {
 public:
  CommandSink(std::string command, std::chrono::seconds timeout, Clock& clock)
      : m_command(std::move(command)), m_timeout(timeout), m_clock(clock) {}

  Result<void> deliver(const Alert& alert) override {
    // The text goes in through an anonymous in-memory file rather than a pipe: the command
    // may never read it, and a pipe would then need SIGPIPE handling in every thread.
    const int input = ::memfd_create("pinsync-alert", MFD_CLOEXEC);
    if (input < 0) return fail(ErrorKind::internal, "alert command: cannot create its input");
    const std::string& text = alert.text;
    if (::write(input, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::lseek(input, 0, SEEK_SET) != 0) {
      ::close(input);
      return fail(ErrorKind::internal, "alert command: cannot write its input");
    }
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      for (const auto passed : k_passed_environment) {
        if (entry.starts_with(passed)) env_text.emplace_back(entry);
      }
    }
    env_text.push_back("PINSYNC_ALERT_TEXT=" + alert.text);
    env_text.push_back("PINSYNC_ALERT_SOURCE=" + alert.source);
    env_text.push_back("PINSYNC_ALERT_KIND=" + alert.kind);
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", cmd = m_command;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO);
    // The agent blocks its signals in every thread; the command starts with none blocked,
    // in a process group of its own, so a timeout or shutdown ends it with everything it
    // started (a `sleep 60 &` would otherwise outlive the agent).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(input);
    if (rc != 0) return fail(ErrorKind::internal, "alert command: /bin/sh could not be started");

    const auto status = wait_for(pid);
    if (!status) return std::unexpected(status.error());
    // The command is done; anything it left running in the background goes with it.
    ::kill(-pid, SIGKILL);
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return {};
    const std::string how = WIFEXITED(*status) ? "exited with " + std::to_string(WEXITSTATUS(*status))
                                               : "was killed by signal " + std::to_string(WTERMSIG(*status));
    return fail(ErrorKind::transient, "alert command " + how + " — check alerts.command");
  }

 private:
  // Waits until the command `pid` ends, the timeout passes or the clock is stopped. Returns
  // its wait status; Error{timeout} or Error{transient} (the agent stops) after killing its
  // process group, Error{internal} when it cannot be waited for.
  Result<int> wait_for(pid_t pid) {
    // A child cannot be waited for with a timeout: a thread waits for it and says when it
    // ended, while this one waits on the clock, which the timeout or the agent's stop ends.
    std::mutex mutex;
    std::condition_variable_any ended;
    bool done = false;
    bool lost = false;
    int status = 0;
    std::thread reaper;
    try {
      reaper = std::thread([&] {
        int st = 0;
        pid_t r = -1;
        do {
          r = ::waitpid(pid, &st, 0);
        } while (r < 0 && errno == EINTR);
        {
          std::lock_guard lock(mutex);
          done = true;
          lost = r != pid;
          status = st;
        }
        ended.notify_all();
      });
    } catch (const std::system_error&) {
      end_group(pid);
      return fail(ErrorKind::internal, "alert command: cannot wait for the command");
    }
    std::unique_lock lock(mutex);
    const Wake wake = m_clock.wait_until(lock, ended, m_clock.monotonic() + m_timeout, [&] { return done; });
    lock.unlock();
    // Not done: the command and everything it started go, and the reaper then returns.
    if (wake != Wake::ready) ::kill(-pid, SIGKILL);
    reaper.join();
    if (wake == Wake::deadline) {
      return fail(ErrorKind::timeout, "alert command did not finish within " + std::to_string(m_timeout.count()) +
                                          "s and was killed — check alerts.command");
    }
    if (wake == Wake::stopped) {
      return fail(ErrorKind::transient, "alert command was stopped: the agent is shutting down");
    }
    if (lost) return fail(ErrorKind::internal, "alert command: lost track of the command");
    return status;
  }

  // Kills the command's whole process group and reaps the command.
  static void end_group(pid_t pid) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }

  std::string m_command;
  std::chrono::seconds m_timeout;
  Clock& m_clock;
};

}  // namespace

std::unique_ptr<AlertSink> make_webhook_sink(std::string url, std::chrono::seconds timeout, TransportFactory transports) {
  return std::make_unique<WebhookSink>(std::move(url), timeout, std::move(transports));
}

std::unique_ptr<AlertSink> make_command_sink(std::string command, std::chrono::seconds timeout, Clock& clock) {
  return std::make_unique<CommandSink>(std::move(command), timeout, clock);
}

}  // namespace pinsync::agent

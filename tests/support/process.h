// Test support for end-to-end tests: start pinsync-sandbox on a free loopback port, send one
// HTTP request, and run a program to completion with a timeout. All three ignore SIGPIPE in
// the test process (a peer closing early must fail a test, not kill it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pinsync::test {

// Starts PINSYNC_BIN_DIR/pinsync-sandbox --listen 127.0.0.1:0 [extra args], reads its first stdout
// line "listening on http://127.0.0.1:NNNN" and keeps draining its stdout/stderr so it never
// blocks. The constructor throws std::runtime_error (with the sandbox's stderr) when that line
// does not come within 10 s. The destructor sends SIGTERM and waits, with SIGKILL after 5 s;
// when the sandbox then exits non-zero (a crash, a sanitizer report) it prints the exit code and
// the tail of the sandbox's stderr to the test's stderr.
class SandboxProcess {
 public:
  explicit SandboxProcess(std::vector<std::string> extra_args = {});
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  // Returns the port the sandbox listens on.
  int port() const { return m_port; }
  // Returns "http://127.0.0.1:N".
  std::string base_url() const;
  // Returns the sandbox's process id.
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
  int m_port = 0;
  int m_out_fd = -1;
  int m_err_fd = -1;
  std::thread m_drain;
  std::mutex m_stderr_mutex;
  std::string m_stderr_tail;  // last 64 KiB of the sandbox's stderr
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool no_response = false;  // the server closed the connection without answering
};

// Sends one request over a new Poco::Net::HTTPClientSession (30 s timeout). A non-empty body is
// sent as application/json unless `headers` names a Content-Type. Returns the reply; sets
// no_response when the connection ended before any response byte. Throws std::runtime_error
// when the server cannot be reached or does not answer in time.
HttpReply http(const std::string& base_url, const std::string& method, const std::string& path_and_query,
               const std::string& body = "", const std::vector<std::pair<std::string, std::string>>& headers = {});

struct ProcessResult {
  int exit_code = -1;  // exit status; 128+N when killed by signal N; -1 on timeout or spawn failure
  std::string out;
  std::string err;
};

// Runs argv (argv[0] searched on PATH; no shell) to completion with `env` added to (or
// overriding) the current environment and `stdin_text` as its stdin. Kills it after `timeout`
// and reports exit_code -1 then. Never throws for a failing program; a program that cannot be
// started reports exit_code -1 with the reason in err. pinsync's output is also saved for the
// secrets scan (artifacts.h), here and in BackgroundProcess.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          std::chrono::seconds timeout = std::chrono::seconds(120),
                          const std::string& stdin_text = "");

// As run_process, but checks `kill_when` every ~20 ms while the program runs and kills it
// with SIGKILL (exit_code 137) as soon as it returns true: a crash at a chosen moment.
ProcessResult run_process_killed_when(const std::vector<std::string>& argv,
                                      const std::vector<std::pair<std::string, std::string>>& env,
                                      const std::function<bool()>& kill_when,
                                      std::chrono::seconds timeout = std::chrono::seconds(120));

// Starts argv (argv[0] searched on PATH; no shell) in the background with `env` added to (or
// overriding) the current environment and /dev/null as stdin, and keeps draining its stdout
// and stderr into buffers the test can read. The destructor kills it (SIGKILL) if it still
// runs. Throws std::runtime_error when it cannot be started.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::vector<std::pair<std::string, std::string>>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return m_pid; }
  // Returns its stdout / stderr so far.
  std::string out() const;
  std::string err() const;
  // Sends `sig` without waiting.
  void signal(int sig) const;
  // Returns the exit code (128+N when killed by signal N) once it has exited, else nullopt.
  std::optional<int> exit_code();
  // Sends `sig` and waits up to `timeout`. Returns the exit code, or -1 when it did not
  // exit in time (it is then killed with SIGKILL).
  int stop(int sig, std::chrono::milliseconds timeout);
  // Waits until stderr or stdout contains `needle` or the process exits. Returns true when
  // the text came within `timeout`.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  std::string m_program;  // argv[0]
  pid_t m_pid = -1;
  int m_out_fd = -1;
  int m_err_fd = -1;
  std::optional<int> m_exit;
  std::thread m_drain;
  mutable std::mutex m_mutex;
  std::string m_out;
  std::string m_err;
};

// The URL of the admin endpoint ("http://127.0.0.1:PORT") of `agent`, a `pinsync run`, once
// its log says where it listens (within `timeout`); nullopt when it exits or stays silent.
std::optional<std::string> admin_url(const BackgroundProcess& agent,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Polls `condition` every 50 ms until it holds or `timeout` passes (for conditions in
// another process, which no clock of ours can advance). Returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace pinsync::test

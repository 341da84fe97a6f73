#include "tests/support/process.h"

#include <functional>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <istream>
#include <mutex>
#include <optional>
#include <regex>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "tests/support/artifacts.h"

extern char** environ;

namespace pinsync::test {

namespace {

using Clock = std::chrono::steady_clock;

void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

struct Pipe {
  int read_end = -1;
  int write_end = -1;
};

Pipe make_pipe() {
  int fds[2];
  // O_CLOEXEC: a child spawned concurrently by another test thread must not inherit our ends.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  return {fds[0], fds[1]};
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available from `fd` into `out`. Returns false at end of file (or error).
bool read_some(int fd, std::string& out) {
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// posix_spawnp with stdin/stdout/stderr connected to the given fds. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& argv, char** envp, int in_fd, int out_fd, int err_fd,
            std::string& error) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` until `deadline`. Returns the exit code, or nullopt if it is still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<std::string> merged_env(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool overridden = std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; });
    if (!overridden) env_strings.push_back(std::move(entry));
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  return env_strings;
}

struct Spawned {
  pid_t pid = -1;
  int out_fd = -1;  // non-blocking read ends of the child's stdout and stderr
  int err_fd = -1;
};

// Starts `argv` with stdin from /dev/null and stdout/stderr on pipes. Throws
// std::runtime_error naming `who` when it cannot be started.
Spawned spawn_piped(const std::vector<std::string>& argv, char** envp, const std::string& who) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::string spawn_error;
  Spawned child;
  child.pid = spawn(argv, envp, null_in, out.write_end, err.write_end, spawn_error);
  ::close(null_in);
  close_fd(out.write_end);
  close_fd(err.write_end);
  child.out_fd = out.read_end;
  child.err_fd = err.read_end;
  if (child.pid < 0) {
    close_fd(child.out_fd);
    close_fd(child.err_fd);
    throw std::runtime_error(who + ": " + spawn_error);
  }
  set_nonblocking(child.out_fd);
  set_nonblocking(child.err_fd);
  return child;
}

}  // namespace


SandboxProcess::SandboxProcess(std::vector<std::string> extra_args) {
  ignore_sigpipe();
  std::vector<std::string> argv = {std::string(PINSYNC_SANDBOX_BIN_DIR) + "/pinsync-sandbox", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());

  const Spawned child = spawn_piped(argv, environ, "SandboxProcess (is the pinsync-sandbox target built?)");
  m_pid = child.pid;
  m_out_fd = child.out_fd;
  m_err_fd = child.err_fd;

  std::string out_text, err_text;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  bool stdout_open = true;
  while (out_text.find('\n') == std::string::npos && stdout_open && Clock::now() < deadline) {
    pollfd fds[2] = {{m_out_fd, POLLIN, 0}, {m_err_fd, POLLIN, 0}};
    ::poll(fds, 2, 50);
    stdout_open = read_some(m_out_fd, out_text);
    read_some(m_err_fd, err_text);
  }
  const std::string prefix = "listening on http://127.0.0.1:";
  std::string first_line = out_text.substr(0, out_text.find('\n'));
  bool ok = out_text.find('\n') != std::string::npos && first_line.rfind(prefix, 0) == 0;
  if (ok) {
    try {
      m_port = std::stoi(first_line.substr(prefix.size()));
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || m_port <= 0) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    close_fd(m_out_fd);
    close_fd(m_err_fd);
    throw std::runtime_error("SandboxProcess: pinsync-sandbox did not print \"" + prefix +
                             "PORT\" within 10 s; stdout: \"" + first_line + "\"; stderr: \"" + err_text + "\"");
  }
  {
    std::lock_guard lock(m_stderr_mutex);
    m_stderr_tail = err_text;
  }
  m_drain = std::thread([this] {
    bool out_open = true, err_open = true;
    std::string sink, err_chunk;
    while (out_open || err_open) {
      pollfd fds[2] = {{out_open ? m_out_fd : -1, POLLIN, 0}, {err_open ? m_err_fd : -1, POLLIN, 0}};
      ::poll(fds, 2, 200);
      if (out_open) out_open = read_some(m_out_fd, sink);
      if (err_open) err_open = read_some(m_err_fd, err_chunk);
      sink.clear();
      if (!err_chunk.empty()) {
        std::lock_guard lock(m_stderr_mutex);
        m_stderr_tail += err_chunk;
        constexpr std::size_t k_keep = 64 * 1024;
        if (m_stderr_tail.size() > k_keep) m_stderr_tail.erase(0, m_stderr_tail.size() - k_keep);
        err_chunk.clear();
      }
    }
  });
}

SandboxProcess::~SandboxProcess() {
  std::optional<int> exit_code;
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    exit_code = wait_until(m_pid, Clock::now() + std::chrono::seconds(5));
    if (!exit_code) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
  }
  // The pipes reach end of file once the sandbox is gone, which ends the drain thread.
  if (m_drain.joinable()) m_drain.join();
  close_fd(m_out_fd);
  close_fd(m_err_fd);
  if (!exit_code || *exit_code != 0) {
    std::lock_guard lock(m_stderr_mutex);
    std::fprintf(stderr, "SandboxProcess: pinsync-sandbox (pid %d) %s; its stderr:\n%s\n", static_cast<int>(m_pid),
                 exit_code ? ("exited with code " + std::to_string(*exit_code)).c_str() : "ignored SIGTERM for 5 s",
                 m_stderr_tail.c_str());
  }
}

std::string SandboxProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

HttpReply http(const std::string& base_url, const std::string& method, const std::string& path_and_query,
               const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  ignore_sigpipe();
  Poco::URI base(base_url);
  Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(method, path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    request.add(name, value);
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    has_content_type = has_content_type || lower == "content-type";
  }
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!has_content_type && !body.empty()) request.setContentType("application/json");
  }
  HttpReply reply;
  try {
    std::ostream& os = session.sendRequest(request);
    os.write(body.data(), static_cast<std::streamsize>(body.size()));
    Poco::Net::HTTPResponse response;
    std::istream& is = session.receiveResponse(response);
    reply.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      auto [it, inserted] = reply.headers.emplace(lower, value);
      if (!inserted) it->second += ", " + value;
    }
    Poco::StreamCopier::copyToString(is, reply.body);
  } catch (const Poco::Net::NoMessageException&) {
    reply.no_response = true;  // end of stream before a status line
  } catch (const Poco::Net::ConnectionResetException&) {
    reply.no_response = true;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("http " + method + " " + path_and_query + ": " + e.displayText());
  }
  return reply;
}

namespace {

ProcessResult run(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                  std::chrono::seconds timeout, const std::string& stdin_text, const std::function<bool()>& kill_when) {
  ignore_sigpipe();
  ProcessResult result;
  if (argv.empty()) {
    result.err = "run_process: empty argv";
    return result;
  }
  auto env_strings = merged_env(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  pid_t pid = spawn(argv, envp.data(), in.read_end, out.write_end, err.write_end, result.err);
  close_fd(in.read_end);
  close_fd(out.write_end);
  close_fd(err.write_end);
  if (pid < 0) {
    close_fd(in.write_end);
    close_fd(out.read_end);
    close_fd(err.read_end);
    return result;
  }
  set_nonblocking(in.write_end);
  set_nonblocking(out.read_end);
  set_nonblocking(err.read_end);

  auto deadline = Clock::now() + timeout;
  std::size_t written = 0;
  if (stdin_text.empty()) close_fd(in.write_end);
  bool out_open = true, err_open = true;
  std::optional<int> exit_code;
  while (Clock::now() < deadline) {
    pollfd fds[3] = {{out_open ? out.read_end : -1, POLLIN, 0},
                     {err_open ? err.read_end : -1, POLLIN, 0},
                     {in.write_end, POLLOUT, 0}};
    ::poll(fds, 3, 20);
    if (in.write_end >= 0) {
      ssize_t n = ::write(in.write_end, stdin_text.data() + written, stdin_text.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (written == stdin_text.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) close_fd(in.write_end);
    }
    if (out_open) out_open = read_some(out.read_end, result.out);
    if (err_open) err_open = read_some(err.read_end, result.err);
    // Checked every round: a grandchild may keep the pipes open after the child has exited.
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exit_code = decode_status(status);
      read_some(out.read_end, result.out);
      read_some(err.read_end, result.err);
      break;
    }
    if (kill_when && kill_when()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      exit_code = decode_status(status);
      break;
    }
  }
  if (!exit_code) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    result.exit_code = -1;
  } else {
    result.exit_code = *exit_code;
  }
  close_fd(in.write_end);
  close_fd(out.read_end);
  close_fd(err.read_end);
  keep_pinsync_output(argv.front(), result.out, result.err);
  return result;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env, std::chrono::seconds timeout,
                          const std::string& stdin_text) {
  return run(argv, env, timeout, stdin_text, {});
}

ProcessResult run_process_killed_when(const std::vector<std::string>& argv,
                                      const std::vector<std::pair<std::string, std::string>>& env,
                                      const std::function<bool()>& kill_when, std::chrono::seconds timeout) {
  return run(argv, env, timeout, "", kill_when);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<std::pair<std::string, std::string>>& env) {
  ignore_sigpipe();
  if (argv.empty()) throw std::runtime_error("BackgroundProcess: empty argv");
  auto env_strings = merged_env(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const Spawned child = spawn_piped(argv, envp.data(), "BackgroundProcess");
  m_program = argv.front();
  m_pid = child.pid;
  m_out_fd = child.out_fd;
  m_err_fd = child.err_fd;
  m_drain = std::thread([this] {
    bool out_open = true, err_open = true;
    std::string out_chunk, err_chunk;
    while (out_open || err_open) {
      pollfd fds[2] = {{out_open ? m_out_fd : -1, POLLIN, 0}, {err_open ? m_err_fd : -1, POLLIN, 0}};
      ::poll(fds, 2, 100);
      if (out_open) out_open = read_some(m_out_fd, out_chunk);
      if (err_open) err_open = read_some(m_err_fd, err_chunk);
      std::lock_guard lock(m_mutex);
      m_out += out_chunk;
      m_err += err_chunk;
      out_chunk.clear();
      err_chunk.clear();
    }
  });
}

BackgroundProcess::~BackgroundProcess() {
  if (!m_exit && m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  if (m_drain.joinable()) m_drain.join();
  close_fd(m_out_fd);
  close_fd(m_err_fd);
  keep_pinsync_output(m_program, m_out, m_err);
}

std::string BackgroundProcess::out() const {
  std::lock_guard lock(m_mutex);
  return m_out;
}

std::string BackgroundProcess::err() const {
  std::lock_guard lock(m_mutex);
  return m_err;
}

void BackgroundProcess::signal(int sig) const {
  if (m_pid > 0) ::kill(m_pid, sig);
}

std::optional<int> BackgroundProcess::exit_code() {
  if (!m_exit) m_exit = wait_until(m_pid, Clock::now());
  return m_exit;
}

int BackgroundProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (exit_code()) return *m_exit;
  ::kill(m_pid, sig);
  m_exit = wait_until(m_pid, Clock::now() + timeout);
  if (!m_exit) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_exit = -1;
  }
  return *m_exit;
}

bool BackgroundProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(m_mutex);
      if (m_err.find(needle) != std::string::npos || m_out.find(needle) != std::string::npos) return true;
    }
    siginfo_t info{};
    // WNOWAIT: only peeks, so exit_code()/stop() still collect the status.
    if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == m_pid) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace pinsync::test

namespace pinsync::test {

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::optional<std::string> admin_url(const BackgroundProcess& agent, std::chrono::milliseconds timeout) {
  if (!agent.wait_for_output("admin endpoint on http://127.0.0.1:", timeout)) return std::nullopt;
  const std::string err = agent.err();
  std::smatch found;
  if (!std::regex_search(err, found, std::regex("admin endpoint on (http://127\\.0\\.0\\.1:[0-9]+)"))) return std::nullopt;
  return found[1].str();
}

}  // namespace pinsync::test

// The sandbox as a process: its first stdout line, clean exit on SIGTERM/SIGINT (even with
// requests in flight), loopback-only listening, --help, concurrent and keep-alive clients.
#include "tests/support/checks.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "tests/sandbox/pinned/helpers.h"

using namespace sandbox_test;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

const std::string k_sandbox = std::string(PINSYNC_SANDBOX_BIN_DIR) + "/pinsync-sandbox";

// A sandbox started by hand, so a test can signal it and read its exit status itself.
struct RawSandbox {
  pid_t pid = -1;
  int out_fd = -1;
  std::string first_line;

  explicit RawSandbox(std::vector<std::string> extra) {
    std::vector<std::string> argv = {k_sandbox, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    REQUIRE(::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_fd = fds[0];
    std::string out;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (out.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(out_fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    first_line = out.substr(0, out.find('\n'));
  }

  // Returns the exit code after `sig`, or -1 if the process has not exited within 5 s.
  int stop_with(int sig) {
    ::kill(pid, sig);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

  std::string base_url() const { return "http://" + first_line.substr(std::string("listening on http://").size()); }

  ~RawSandbox() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out_fd >= 0) ::close(out_fd);
  }
};

}  // namespace

TEST_CASE("the first stdout line is exactly 'listening on http://127.0.0.1:PORT'") {
  RawSandbox sandbox({});
  CHECK(std::regex_match(sandbox.first_line, std::regex(R"(listening on http://127\.0\.0\.1:[1-9][0-9]*)")));
  CHECK(http(sandbox.base_url(), "GET", "/api/public/v1/channels", "", bearer()).status == 200);
}

TEST_CASE("SIGTERM stops the sandbox with exit code 0, even with a request sleeping in latency") {
  RawSandbox sandbox({"--latency-ms", "30000"});
  REQUIRE(!sandbox.first_line.empty());
  std::string base = sandbox.base_url();
  auto in_flight = std::async(std::launch::async, [base] {
    try {
      return http(base, "GET", "/api/public/v1/channels", "", bearer());
    } catch (const std::exception&) {
      return HttpReply{};  // a connection aborted by the shutdown is fine
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto started = Clock::now();
  CHECK(sandbox.stop_with(SIGTERM) == 0);
  CHECK(Clock::now() - started < std::chrono::seconds(3));
  in_flight.get();
}

TEST_CASE("SIGINT stops the sandbox with exit code 0") {
  RawSandbox sandbox({});
  REQUIRE(!sandbox.first_line.empty());
  CHECK(sandbox.stop_with(SIGINT) == 0);
}

TEST_CASE("only loopback addresses are accepted for --listen") {
  for (const char* addr : {"0.0.0.0:0", "192.168.1.5:8080", "[::]:0"}) {
    auto r = pinsync::test::run_process({k_sandbox, "--listen", addr}, {}, std::chrono::seconds(10));
    CHECK_MESSAGE(r.exit_code == 2, addr);
    CHECK_CONTAINS(r.err, "loopback");
    CHECK_NOT_CONTAINS(r.out, "listening");
  }
  auto bad_flag = pinsync::test::run_process({k_sandbox, "--error-rate", "2"}, {}, std::chrono::seconds(10));
  CHECK(bad_flag.exit_code == 2);
  CHECK_CONTAINS(bad_flag.err, "--error-rate");
}

TEST_CASE("--help documents the flags and control routes") {
  auto r = pinsync::test::run_process({k_sandbox, "--help"}, {}, std::chrono::seconds(10));
  CHECK(r.exit_code == 0);
  for (const char* word : {"--listen", "--key", "--rate-limit", "--latency-ms", "--error-rate", "--rate-limited-rate",
                           "--drop-after-commit-rate", "--idempotency-ttl-seconds", "--in-progress-ttl-seconds",
                           "/_sandbox/faults"}) {
    CHECK_CONTAINS(r.out, word);
  }
}

TEST_CASE("concurrent clients: every create gets its own id, none lost") {
  std::string base = fresh_sandbox();
  constexpr int k_threads = 8, k_each = 25;
  std::vector<std::future<std::vector<int>>> workers;
  for (int t = 0; t < k_threads; ++t) {
    workers.push_back(std::async(std::launch::async, [base, t] {
      std::vector<int> ids;
      for (int i = 0; i < k_each; ++i) {
        std::string key = "row-" + std::to_string(t) + "-" + std::to_string(i);
        HttpReply r = post_event(base, minimal_event_text(), with(bearer(), "Idempotency-Key", key));
        ids.push_back(r.status == 201 ? parse(r.body)->getObject("doc")->getValue<int>("id") : -r.status);
      }
      return ids;
    }));
  }
  std::set<int> ids;
  for (auto& w : workers) {
    for (int id : w.get()) ids.insert(id);
  }
  CHECK(ids.size() == k_threads * k_each);
  CHECK(*ids.begin() == 1);
  CHECK(*ids.rbegin() == k_threads * k_each);
  CHECK(stored_events(base)->size() == k_threads * k_each);
}

TEST_CASE("keep-alive: one connection serves several requests") {
  std::string base = fresh_sandbox();
  Poco::URI uri(base);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setKeepAlive(true);
  std::set<std::string> request_ids;
  for (int i = 0; i < 5; ++i) {
    Poco::Net::HTTPRequest request("GET", "/api/public/v1/channels", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.set("Authorization", "Bearer sandbox-key");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& is = session.receiveResponse(response);
    std::string body;
    Poco::StreamCopier::copyToString(is, body);
    CHECK(response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
    CHECK(response.getKeepAlive());
    request_ids.insert(response.get("x-request-id"));
  }
  CHECK(request_ids.size() == 5);  // every response has its own request id
}

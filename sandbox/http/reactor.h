// How the sandbox holds many clients at once, as a real HTTP server does: one thread waits
// (epoll) on the listening socket and on every idle keep-alive connection, and hands a
// connection on which a request has begun to arrive to one of a fixed pool of workers, which
// serves it and gives it back. An idle connection costs a descriptor and a little memory,
// never a thread, so a thousand idle clients do not starve the active ones.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/Net/StreamSocket.h>

namespace pinsync_sandbox {

// One accepted connection, as the protocol above the reactor sees it.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Serves what waits on the connection: a request that has begun to arrive, requests the
  // client sent right behind it, or the client's close. Returns true to keep the connection
  // for a later request, false to close it. Never throws.
  virtual bool serve() = 0;
  // Ends the connection at once (from another thread, on stop): a serve() blocked on it
  // returns. Never throws.
  virtual void abort() = 0;
};

struct ReactorOptions {
  int workers = 32;                                   // threads that serve requests
  std::chrono::seconds idle_timeout{60};              // an idle keep-alive connection is closed after this
  std::chrono::seconds io_timeout{30};                // a started request must go on arriving within this
  std::size_t max_connections = 4096;                 // beyond this, new connections are closed at once
};

class Reactor {
 public:
  // Makes the handler of a newly accepted connection (blocking, with the I/O timeouts set).
  using MakeHandler = std::function<std::unique_ptr<ConnectionHandler>(const Poco::Net::StreamSocket&)>;

  Reactor(ReactorOptions options, MakeHandler make);
  // Stops, as stop().
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Starts waiting on `listen_fd` (bound and listening; the reactor makes it non-blocking but
  // never closes it) and starts the workers. Returns a message when epoll cannot be set up.
  std::expected<void, std::string> start(int listen_fd);
  // Stops accepting, aborts every open connection and joins every thread. Idempotent.
  void stop();

 private:
  struct Connection {
    std::unique_ptr<ConnectionHandler> handler;
    int fd = -1;
    bool busy = false;  // with a worker, or queued for one; not watched by epoll meanwhile
    std::chrono::steady_clock::time_point last_active;
  };

  void loop();
  void work();
  void accept_all();
  void dispatch(std::uint64_t id);
  // Closes connections idle for longer than the idle timeout; listens again after a
  // descriptor shortage. On the loop's thread.
  void sweep();
  // Watches the connection for its next request again (one-shot), or closes it.
  void give_back(std::uint64_t id, bool keep);
  void erase_locked(std::uint64_t id);

  ReactorOptions m_options;
  MakeHandler m_make;
  int m_epoll = -1;
  int m_wake = -1;    // eventfd: ends the loop's wait on stop
  int m_listen = -1;
  bool m_listening = false;  // the listening socket is watched (not after EMFILE, until the next sweep)
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> m_connections;
  std::deque<std::uint64_t> m_ready;  // connections with a request waiting, oldest first
  std::uint64_t m_next_id = 0;
  bool m_stopping = false;
  bool m_started = false;
  std::thread m_loop;
  std::vector<std::thread> m_workers;
};

}  // namespace pinsync_sandbox

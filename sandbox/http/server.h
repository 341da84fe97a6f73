// The sandbox's HTTP server: one loopback port, Poco's HTTP parsing over an event-driven
// connection reactor (reactor.h: idle keep-alive connections hold no thread), and a router
// that hands each request to the Service owning its path prefix.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class Reactor;

// An idle keep-alive connection is closed after this (nginx's default is 75 s); a request
// that has begun must go on arriving within k_io_timeout.
inline constexpr std::chrono::seconds k_idle_timeout{60};
inline constexpr std::chrono::seconds k_io_timeout{30};

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback only; options.cpp refuses anything else
  std::uint16_t port = 0;          // 0: the kernel picks a free port
  int threads = 32;                // threads serving requests; idle connections hold none
  bool verbose = false;            // one stderr line per request
  std::function<void()> on_accept;  // called for each connection a client opens (stats)
};

class Server {
 public:
  // `services` must outlive the server; a path goes to the service with the longest matching prefix.
  Server(std::vector<Service*> services, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts serving. Returns the bound port, or a message when the address
  // cannot be bound.
  std::expected<std::uint16_t, std::string> start();
  // Stops accepting, aborts open connections and waits for the handler threads. Idempotent.
  void stop();

 private:
  struct Shared;

  std::vector<Service*> m_services;
  ServerOptions m_options;
  std::unique_ptr<Shared> m_shared;    // the router, handler and listening socket
  std::unique_ptr<Reactor> m_reactor;  // stopped before m_shared goes
};

}  // namespace pinsync_sandbox

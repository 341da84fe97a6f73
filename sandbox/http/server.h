// The sandbox's HTTP server: one loopback port, a Poco HTTPServer with its own thread pool and
// keep-alive, and a router that hands each request to the Service owning its path prefix.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/http/types.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace pinsync_sandbox {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback only; options.cpp refuses anything else
  std::uint16_t port = 0;          // 0: the kernel picks a free port
  int threads = 32;                // connection threads (each keep-alive connection holds one)
  bool verbose = false;            // one stderr line per request
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
  std::vector<Service*> m_services;
  ServerOptions m_options;
  std::unique_ptr<Poco::ThreadPool> m_pool;
  std::unique_ptr<Poco::Net::HTTPServer> m_server;
};

}  // namespace pinsync_sandbox

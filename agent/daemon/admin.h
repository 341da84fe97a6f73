// The admin endpoint of `pinsync run`: a small HTTP server on loopback only, with
// /healthz, /status (JSON), /metrics (Prometheus text), POST /resync and an HTML page.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agent/daemon/daemon.h"
#include "core/error.h"

namespace Poco::Net {
class HTTPServer;
}

namespace pinsync::agent {

class AdminServer {
 public:
  // Listens on `listen` ("127.0.0.1:PORT"; PORT 0 picks a free port). Returns the running
  // server, or Error{config} when the address is not loopback or cannot be bound.
  // `daemon` must outlive the server.
  static Result<std::unique_ptr<AdminServer>> start(std::string_view listen, Daemon& daemon);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Returns "http://127.0.0.1:PORT" with the port actually bound.
  std::string url() const;
  // Stops accepting connections and waits for running requests (safe to call twice).
  void stop();

 private:
  AdminServer() = default;
  std::unique_ptr<Poco::Net::HTTPServer> m_server;
  int m_port = 0;
};

}  // namespace pinsync::agent

// The admin endpoint of `pinsync run`: a small HTTP server on loopback only, with
// /healthz, /status (JSON), /metrics (Prometheus text), POST /resync and an HTML page.
// A web page open in the operator's browser must not be able to use it: requests naming a
// host other than loopback (DNS rebinding) or carrying another site's Origin are refused,
// and POST needs Content-Type: application/json, which no page can send cross-site without
// a preflight the endpoint never grants.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/daemon/daemon.h"
#include "core/error.h"

namespace pinsync::agent {

// What admin_refusal() looks at of one request.
struct AdminRequest {
  std::string method;
  std::string path;                        // without the query
  std::optional<std::string> host;         // the Host header, when sent
  std::optional<std::string> origin;       // the Origin header, when sent
  std::string content_type;                // "" when none
  std::optional<std::int64_t> content_length;  // nullopt for a chunked or unknown length
};

// Largest POST body the endpoint reads; a resync request is a few dozen bytes.
inline constexpr std::int64_t k_admin_max_body = 64 * 1024;

// Why `request` must not be served, as an HTTP status and a message; nullopt when it may
// be. Refuses: a Host that is not 127.0.0.1, localhost or [::1] (with any port), 421; an
// Origin that is not http://127.0.0.1, http://localhost or http://[::1] (any port), 403;
// a POST whose Content-Type is not application/json, 415; a declared body over
// k_admin_max_body, 413.
struct AdminRefusal {
  int status = 0;
  std::string message;
};
std::optional<AdminRefusal> admin_refusal(const AdminRequest& request);

// One answer of the endpoint, before it goes on the wire.
struct AdminAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string allow;  // the Allow header of a 405; "" otherwise
};

// Answers `method` on `path` (without the query) with `body` (what a POST sent, at most
// k_admin_max_body bytes) from `daemon`, for a request admin_refusal() let through:
// GET or HEAD /healthz, /status (JSON), /metrics (Prometheus text), / (HTML); POST /resync
// (waits for the passes; their reports as JSON), /pause, /resume ({"source","paused"}).
// Errors are {"error": message}: 400 for a body the route does not take, 404 for an
// unknown source or path, 405 (with `allow`) for a wrong method, 503 when the agent cannot
// do it now (stopping or reloading, the store's error).
AdminAnswer admin_answer(Daemon& daemon, std::string_view method, std::string_view path, std::string_view body);

class AdminServer {
 public:
  // Listens on 127.0.0.1:`port` (0 picks a free port). Returns the running server, or
  // Error{config} when the port cannot be bound. `daemon` must outlive the server.
  static Result<std::unique_ptr<AdminServer>> start(std::uint16_t port, Daemon& daemon);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Returns "http://127.0.0.1:PORT" with the port actually bound.
  std::string url() const;
  // Stops accepting connections and waits for running requests (safe to call twice).
  void stop();

 private:
  AdminServer() = default;
  class Listener;  // admin.cpp
  std::unique_ptr<Listener> m_listener;
  int m_port = 0;
};

}  // namespace pinsync::agent

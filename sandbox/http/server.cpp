#include "sandbox/http/server.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "sandbox/http/error_envelope.h"
#include "sandbox/http/reactor.h"

namespace pinsync_sandbox {

namespace {

// Bodies beyond this are not even drained: the connection is closed instead.
constexpr std::size_t k_max_drain_bytes = 64 * 1024 * 1024;

class Router {
 public:
  Router(std::vector<Service*> services, bool verbose) : m_services(std::move(services)), m_verbose(verbose) {
    std::sort(m_services.begin(), m_services.end(),
              [](const Service* a, const Service* b) { return a->prefix().size() > b->prefix().size(); });
    std::random_device rd;
    m_id_prefix = rd();
  }

  Service* find(std::string_view path) const {
    for (Service* s : m_services) {
      std::string_view prefix = s->prefix();
      if (path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
        return s;
      }
    }
    return nullptr;
  }

  std::string next_request_id() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "req_%08x%08llx", m_id_prefix,
                  static_cast<unsigned long long>(m_counter.fetch_add(1, std::memory_order_relaxed)));
    return buf;
  }

  bool verbose() const { return m_verbose; }

 private:
  std::vector<Service*> m_services;
  bool m_verbose;
  unsigned m_id_prefix = 0;
  std::atomic<std::uint64_t> m_counter{1};
};

// Reads at most `limit` bytes into `req.body`; a longer body is drained (so the client can
// read the 413) and flagged. Returns false when the body is too long even to drain.
bool read_body(Poco::Net::HTTPServerRequest& request, Request& req, std::size_t limit) {
  // HTTP/1.1: a request with neither Content-Length nor chunked encoding has no body, and Poco
  // would otherwise read until the client closes.
  if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) return true;
  std::istream& in = request.stream();
  char buf[16384];
  std::size_t total = 0;
  while (in) {
    in.read(buf, sizeof buf);
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    total += n;
    if (total <= limit) {
      req.body.append(buf, n);
    } else {
      req.body_too_large = true;
      req.body.clear();
      if (total > std::max(limit, k_max_drain_bytes)) return false;
    }
  }
  return true;
}

void lower_headers(const Poco::Net::HTTPServerRequest& request, Request& req) {
  for (const auto& [name, value] : request) {
    auto [it, inserted] = req.headers.emplace(ascii_lower(name), value);
    if (!inserted) it->second += ", " + value;
  }
}

void drop_connection(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  // Close without a status line: the client sees the connection end with no response at all,
  // exactly what a network cut after the server committed looks like.
  response.setKeepAlive(false);
  try {
    static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().shutdown();
  } catch (const Poco::Exception&) {
    // The client may already be gone; the connection is closed either way.
  }
}

// Turns one parsed request into the owning Service's response. Shared by every connection.
class Handler {
 public:
  explicit Handler(Router& router) : m_router(router) {}

  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    auto started = std::chrono::steady_clock::now();
    Request req;
    req.request_id = m_router.next_request_id();
    req.method = request.getMethod();
    Response res;
    try {
      Poco::URI uri(request.getURI());
      req.path = uri.getPath();
      for (auto& [name, value] : uri.getQueryParameters()) {
        req.query[name] = value;
        req.query_list.emplace_back(name, value);
      }
      lower_headers(request, req);
      const bool control = req.path.starts_with("/_sandbox/");
      if (!read_body(request, req, control ? k_max_control_body_bytes : k_max_body_bytes)) {
        response.setKeepAlive(false);
      }
      Service* service = m_router.find(req.path);
      res = service ? service->handle(req)
                    : api_error(req, 404, "not_found", "No such route: " + req.method + " " + req.path);
    } catch (const std::exception& e) {
      // A malformed request line (bad percent-encoding) or a bug: answer, never crash.
      res = api_error(req, 400, "invalid_request", std::string("Malformed request: ") + e.what());
    }
    if (res.delivery == Delivery::drop_connection) {
      drop_connection(request, response);
    } else {
      send(response, req, res);
    }
    if (m_router.verbose()) {
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      std::fprintf(stderr, "%s %s %d %.1fms %s\n", req.method.c_str(), req.path.c_str(),
                   res.delivery == Delivery::drop_connection ? 0 : res.status, ms, req.request_id.c_str());
    }
  }

 private:
  static void send(Poco::Net::HTTPServerResponse& response, const Request& req, const Response& res) {
    try {
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(res.status));
      for (const auto& [name, value] : res.headers) response.set(name, value);
      response.set("x-request-id", req.request_id);
      response.setContentType(res.content_type);
      response.sendBuffer(res.body.data(), res.body.size());
    } catch (const Poco::Exception&) {
      // The client went away mid-response; nothing left to tell it.
    }
  }

  Router& m_router;
};

// One client connection: Poco's HTTP session (its buffer carries a request the client sent
// right behind the last one) and the request loop of Poco's HTTPServerConnection, run only
// while requests are waiting; between them the reactor watches the connection, not a thread.
class HttpConnection final : public ConnectionHandler {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params, Handler& handler)
      : m_session(socket, params), m_params(std::move(params)), m_handler(handler) {}

  bool serve() override {
    try {
      do {
        if (!m_session.hasMoreRequests()) return false;  // ready at once: the reactor saw bytes or the close
        if (!serve_one()) return false;
      } while (m_session.buffered() > 0);
      return true;
    } catch (const std::exception&) {
      return false;  // the client went away or timed out mid-request
    }
  }

  void abort() override {
    try {
      m_session.socket().shutdown();
    } catch (const Poco::Exception&) {
      // Already closed.
    }
  }

 private:
  // HTTPSession keeps buffered() to itself; the reactor must know whether a pipelined
  // request already sits in the buffer, where epoll cannot see it.
  class Session final : public Poco::Net::HTTPServerSession {
   public:
    using HTTPServerSession::HTTPServerSession;
    using Poco::Net::HTTPSession::buffered;
  };

  // Returns true when the connection stays open for another request.
  bool serve_one() {
    try {
      Poco::Net::HTTPServerResponseImpl response(m_session);
      Poco::Net::HTTPServerRequestImpl request(response, m_session, m_params);
      response.setDate(Poco::Timestamp());
      response.setVersion(request.getVersion());
      response.setKeepAlive(m_params->getKeepAlive() && request.getKeepAlive() && m_session.canKeepAlive());
      if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
        response.sendContinue();
      }
      m_handler.handle(request, response);
      m_session.setKeepAlive(m_params->getKeepAlive() && response.getKeepAlive() && m_session.canKeepAlive());
      return m_session.getKeepAlive();
    } catch (const Poco::Net::NoMessageException&) {
      return false;  // the client closed between requests
    } catch (const Poco::Net::MessageException&) {
      send_bad_request();  // not HTTP: answer once, then close
      return false;
    }
  }

  void send_bad_request() {
    try {
      Poco::Net::HTTPServerResponseImpl response(m_session);
      response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
      response.setKeepAlive(false);
      response.send();
    } catch (const Poco::Exception&) {
      // The client is gone.
    }
  }

  Session m_session;
  Poco::Net::HTTPServerParams::Ptr m_params;
  Handler& m_handler;
};

}  // namespace

// Everything the connections share: the router, the request handler and Poco's parameters.
struct Server::Shared {
  Shared(std::vector<Service*> services, bool verbose) : router(std::move(services), verbose), handler(router) {}
  Router router;
  Handler handler;
  Poco::Net::HTTPServerParams::Ptr params;
  Poco::Net::ServerSocket socket;
};

Server::Server(std::vector<Service*> services, ServerOptions options)
    : m_services(std::move(services)), m_options(std::move(options)) {}

Server::~Server() { stop(); }

std::expected<std::uint16_t, std::string> Server::start() {
  const std::string where = m_options.host + ":" + std::to_string(m_options.port);
  try {
    m_shared = std::make_unique<Shared>(m_services, m_options.verbose);
    auto& socket = m_shared->socket;
    socket.bind(Poco::Net::SocketAddress(m_options.host, m_options.port), true);
    socket.listen(1024);
    const auto port = socket.address().port();

    m_shared->params = new Poco::Net::HTTPServerParams;
    m_shared->params->setKeepAlive(true);
    m_shared->params->setMaxKeepAliveRequests(0);  // unlimited
    m_shared->params->setTimeout(Poco::Timespan(k_io_timeout.count(), 0));
    m_shared->params->setKeepAliveTimeout(Poco::Timespan(k_idle_timeout.count(), 0));

    ReactorOptions reactor;
    reactor.workers = m_options.threads;
    // As many connections as descriptors allow, less a margin for everything else.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
      reactor.max_connections = std::max<std::size_t>(64, static_cast<std::size_t>(files.rlim_cur) - 64);
    }
    reactor.idle_timeout = k_idle_timeout;
    reactor.io_timeout = k_io_timeout;
    Shared* shared = m_shared.get();
    m_reactor = std::make_unique<Reactor>(reactor, [shared, on_accept = m_options.on_accept](const Poco::Net::StreamSocket& s) {
      if (on_accept) on_accept();
      return std::make_unique<HttpConnection>(s, shared->params, shared->handler);
    });
    if (auto started = m_reactor->start(socket.impl()->sockfd()); !started) {
      m_reactor.reset();
      return std::unexpected("cannot serve on " + where + ": " + started.error());
    }
    return port;
  } catch (const Poco::Exception& e) {
    return std::unexpected("cannot listen on " + where + ": " + e.displayText());
  }
}

void Server::stop() {
  if (m_reactor) {
    m_reactor->stop();
    m_reactor.reset();
  }
  m_shared.reset();
}

}  // namespace pinsync_sandbox

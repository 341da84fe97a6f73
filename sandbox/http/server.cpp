#include "sandbox/http/server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "sandbox/http/error_envelope.h"

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
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto [it, inserted] = req.headers.emplace(lower, value);
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

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Router& router) : m_router(router) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
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

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(std::vector<Service*> services, bool verbose) : m_router(std::move(services), verbose) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(m_router);
  }

 private:
  Router m_router;
};

}  // namespace

Server::Server(std::vector<Service*> services, ServerOptions options)
    : m_services(std::move(services)), m_options(std::move(options)) {}

Server::~Server() { stop(); }

std::expected<std::uint16_t, std::string> Server::start() {
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(m_options.host, m_options.port), true);
    socket.listen(1024);
    auto port = socket.address().port();

    auto* params = new Poco::Net::HTTPServerParams;  // reference-counted by HTTPServer
    params->setMaxThreads(m_options.threads);
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    params->setServerName("pinsync-sandbox");

    m_pool = std::make_unique<Poco::ThreadPool>(2, m_options.threads + 2, 60);
    m_server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(m_services, m_options.verbose), *m_pool,
                                                       socket, params);
    m_server->start();
    return port;
  } catch (const Poco::Exception& e) {
    return std::unexpected("cannot listen on " + m_options.host + ":" + std::to_string(m_options.port) + ": " +
                           e.displayText());
  }
}

void Server::stop() {
  if (m_server) {
    m_server->stopAll(true);
    m_server.reset();
  }
  if (m_pool) {
    m_pool->joinAll();
    m_pool.reset();
  }
}

}  // namespace pinsync_sandbox

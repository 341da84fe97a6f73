#include "agent/daemon/admin.h"

#include <charconv>
#include <istream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include "agent/daemon/render.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& type,
          const std::string& body) {
  response.setStatus(status);
  response.setContentType(type);
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.set("Cache-Control", "no-store");
  response.send() << body;
}

void send_error(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& message) {
  json::Writer w;
  w.begin_object().key("error").value(message).end_object();
  send(response, status, "application/json", w.take());
}

// POST /resync body: {"source":"acme","row":"E-1","force":false,"accept_removals":false},
// each optional.
Result<ResyncRequest> parse_resync(const std::string& body) {
  ResyncRequest request;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return request;
  try {
    auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    if (object->has("source")) request.source = object->getValue<std::string>("source");
    if (object->has("row")) request.row = object->getValue<std::string>("row");
    if (object->has("force")) request.force = object->getValue<bool>("force");
    if (object->has("accept_removals")) request.accept_removals = object->getValue<bool>("accept_removals");
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::invalid, "POST /resync: the body must be a JSON object like "
                                    "{\"source\":\"acme\",\"row\":\"E-1\",\"force\":false} (" + e.displayText() + ")");
  } catch (const std::exception& e) {
    return fail(ErrorKind::invalid, std::string("POST /resync: the body must be a JSON object (") + e.what() + ")");
  }
  return request;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Daemon& daemon) : m_daemon(daemon) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      route(request, response);
    } catch (const Poco::Exception& e) {
      m_daemon.log().warn("admin request failed", {{"path", request.getURI()}, {"reason", e.displayText()}});
    } catch (const std::exception& e) {
      m_daemon.log().warn("admin request failed", {{"path", request.getURI()}, {"reason", e.what()}});
    }
  }

 private:
  void route(HTTPServerRequest& request, HTTPServerResponse& response) {
    const std::string path = request.getURI().substr(0, request.getURI().find('?'));
    const std::string& method = request.getMethod();
    const bool get = method == "GET" || method == "HEAD";
    if (path == "/healthz" && get) return send(response, HTTPResponse::HTTP_OK, "text/plain", "ok\n");
    if (path == "/status" && get) {
      return send(response, HTTPResponse::HTTP_OK, "application/json", status_json(m_daemon.status()));
    }
    if (path == "/metrics" && get) {
      return send(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                  metrics_text(m_daemon.status()));
    }
    if (path == "/" && get) {
      return send(response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8", status_html(m_daemon.status()));
    }
    if (path == "/resync" && method == "POST") {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      auto parsed = parse_resync(body);
      if (!parsed) return send_error(response, HTTPResponse::HTTP_BAD_REQUEST, parsed.error().message);
      m_daemon.log().info("resync requested", {{"source", parsed->source}, {"row", parsed->row},
                                              {"force", parsed->force ? "true" : "false"}});
      auto reports = m_daemon.resync(*parsed);
      if (!reports) {
        const auto status = reports.error().kind == ErrorKind::invalid ? HTTPResponse::HTTP_NOT_FOUND
                                                                       : HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        return send_error(response, status, reports.error().message);
      }
      return send(response, HTTPResponse::HTTP_OK, "application/json", reports_json(*reports));
    }
    if (path == "/healthz" || path == "/status" || path == "/metrics" || path == "/" || path == "/resync") {
      return send_error(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
    }
    send_error(response, HTTPResponse::HTTP_NOT_FOUND,
               "no such page " + path + "; try /, /healthz, /status, /metrics or POST /resync");
  }

  Daemon& m_daemon;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Daemon& daemon) : m_daemon(daemon) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(m_daemon);
  }

 private:
  Daemon& m_daemon;
};

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::start(std::string_view listen, Daemon& daemon) {
  const auto colon = listen.rfind(':');
  const std::string_view host = colon == std::string_view::npos ? listen : listen.substr(0, colon);
  int port = -1;
  if (colon != std::string_view::npos) {
    const auto digits = listen.substr(colon + 1);
    std::from_chars(digits.data(), digits.data() + digits.size(), port);
  }
  if ((host != "127.0.0.1" && host != "localhost" && host != "::1" && host != "[::1]") || port < 0 || port > 65535) {
    return fail(ErrorKind::config, "agent.admin_listen \"" + std::string(listen) +
                                       "\": use 127.0.0.1:PORT (loopback only), or off to disable the endpoint");
  }
  std::unique_ptr<AdminServer> server(new AdminServer());
  try {
    const std::string bind_host = host == "localhost" ? "127.0.0.1" : (host == "[::1]" ? "::1" : std::string(host));
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(bind_host, static_cast<Poco::UInt16>(port)), 16);
    server->m_port = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    server->m_server = std::make_unique<Poco::Net::HTTPServer>(new Factory(daemon), socket, params);
    server->m_server->start();
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::config, "agent.admin_listen " + std::string(listen) + ": cannot listen (" +
                                       e.displayText() + "); pick a free port or write off");
  }
  return server;
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::stop() {
  if (m_server) {
    // stopAll(true) closes connections at once: a resync still waiting must not hold SIGTERM.
    m_server->stopAll(true);
    m_server.reset();
  }
}

std::string AdminServer::url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

}  // namespace pinsync::agent

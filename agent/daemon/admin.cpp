#include "agent/daemon/admin.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <istream>
#include <sstream>
#include <system_error>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnectionFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/ThreadPool.h>

#include "agent/daemon/page.h"
#include "agent/daemon/render.h"
#include "core/build_info.h"
#include "core/json_writer.h"
#include "core/process_stats.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

// Refused bodies up to this size are read and dropped before the answer.
constexpr std::int64_t k_admin_drain_limit = 1024 * 1024;

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& type,
          const std::string& body) {
  response.setStatusAndReason(status);
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

// POST /resync body: {"source":"acme","rows":["E-1","E-2"],"dead":false,"force":false,
// "accept_removals":false,"recover":false,"accept_new_state":false}, each optional ("row":"E-1" is one row). Messages name the key
// and what it should be, never a C++ type.
Result<ResyncRequest> parse_resync(const std::string& body) {
  ResyncRequest request;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return request;
  const std::string example =
      " — send a JSON object like {\"source\":\"acme\",\"rows\":[\"E-1\"],\"dead\":false,\"force\":false}";
  Poco::JSON::Object::Ptr object;
  try {
    const auto parsed = Poco::JSON::Parser().parse(body);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return fail(ErrorKind::invalid, "POST /resync: the body is not a JSON object" + example);
    object = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return fail(ErrorKind::invalid, "POST /resync: the body is not valid JSON" + example);
  }
  for (const auto& [name, value] : *object) {
    if (name == "source" || name == "row") {
      if (!value.isString()) return fail(ErrorKind::invalid, "POST /resync: \"" + name + "\" must be a string" + example);
      if (name == "source") request.source = value.extract<std::string>();
      else request.ask.rows.push_back(value.extract<std::string>());
    } else if (name == "rows") {
      const auto list = object->getArray(name);
      if (!list) return fail(ErrorKind::invalid, "POST /resync: \"rows\" must be a list of row IDs" + example);
      for (std::size_t i = 0; i < list->size(); ++i) {
        const auto id = list->get(static_cast<unsigned>(i));
        if (!id.isString()) return fail(ErrorKind::invalid, "POST /resync: \"rows\" must hold only strings" + example);
        request.ask.rows.push_back(id.extract<std::string>());
      }
    } else if (name == "force" || name == "accept_removals" || name == "dead" || name == "recreate" ||
               name == "forget" || name == "recover" || name == "accept_new_state") {
      if (!value.isBoolean()) return fail(ErrorKind::invalid, "POST /resync: \"" + name + "\" must be true or false" + example);
      (name == "force"              ? request.ask.force
       : name == "dead"             ? request.ask.dead
       : name == "recreate"         ? request.ask.recreate
       : name == "forget"           ? request.ask.forget
       : name == "recover"          ? request.ask.recover
       : name == "accept_new_state" ? request.ask.accept_new_state
                                    : request.ask.accept_removals) = value.extract<bool>();
    } else {
      return fail(ErrorKind::invalid, "POST /resync: unknown key \"" + name +
                                          "\" (the keys are source, rows, row, dead, recreate, forget, force, "
                                          "accept_removals, recover and accept_new_state)");
    }
  }
  if (request.ask.recreate && request.ask.forget) {
    return fail(ErrorKind::invalid, "POST /resync: \"recreate\" and \"forget\" together — choose one");
  }
  if (request.ask.forget && request.ask.rows.empty()) {
    return fail(ErrorKind::invalid, "POST /resync: \"forget\" needs \"rows\": the rows whose deleted events are let go");
  }
  return request;
}

// POST /pause body {"source":"acme","reason":"…"} (reason optional) and POST /resume body
// {"source":"acme"}: the source and, for a pause, why.
struct SourceChange {
  std::string source;
  std::string reason;
};

Result<SourceChange> parse_source_change(const std::string& path, const std::string& body) {
  const bool pause = path == "/pause";
  const std::string example = pause ? R"( — send a JSON object like {"source":"acme","reason":"partner asked to stop"})"
                                    : R"( — send a JSON object like {"source":"acme"})";
  Poco::JSON::Object::Ptr object;
  try {
    const auto parsed = Poco::JSON::Parser().parse(body);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return fail(ErrorKind::invalid, "POST " + path + ": the body is not a JSON object" + example);
    object = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return fail(ErrorKind::invalid, "POST " + path + ": the body is not valid JSON" + example);
  }
  SourceChange change;
  for (const auto& [name, value] : *object) {
    if (name != "source" && !(pause && name == "reason")) {
      return fail(ErrorKind::invalid, "POST " + path + ": unknown key \"" + name + "\"" + example);
    }
    if (!value.isString()) return fail(ErrorKind::invalid, "POST " + path + ": \"" + name + "\" must be a string" + example);
    (name == "source" ? change.source : change.reason) = value.extract<std::string>();
  }
  if (change.source.empty()) return fail(ErrorKind::invalid, "POST " + path + ": \"source\" is required" + example);
  if (pause && change.reason.empty()) change.reason = "paused through the admin endpoint";
  return change;
}

// "127.0.0.1:8765" → "127.0.0.1"; "[::1]:8765" → "[::1]"; a name without a port as is.
std::string_view host_of(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  const auto colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

bool loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || text::iequals(host, "localhost");
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
    AdminRequest facts{method, path, std::nullopt, std::nullopt, request.getContentType(), std::nullopt};
    if (request.has("Host")) facts.host = request.get("Host");
    if (request.has("Origin")) facts.origin = request.get("Origin");
    if (request.getContentLength64() != HTTPServerRequest::UNKNOWN_CONTENT_LENGTH) {
      facts.content_length = request.getContentLength64();
    }
    if (auto refusal = admin_refusal(facts)) {
      m_daemon.log().warn("admin request refused", {{"method", method}, {"path", path}, {"reason", refusal->message}});
      // A body of moderate size is read and dropped, so the client gets its answer instead
      // of a reset connection; a larger one is cut off unread.
      if (facts.content_length && *facts.content_length <= k_admin_drain_limit) {
        request.stream().ignore(static_cast<std::streamsize>(*facts.content_length));
      }
      response.setKeepAlive(false);
      return send_error(response, static_cast<HTTPResponse::HTTPStatus>(refusal->status), refusal->message);
    }
    std::string body;
    if (method == "POST" && (path == "/resync" || path == "/pause" || path == "/resume")) {
      // At most one byte past the limit is read: a chunked body that runs on is refused,
      // never stored.
      body.assign(static_cast<std::size_t>(k_admin_max_body) + 1, '\0');
      request.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
      body.resize(static_cast<std::size_t>(request.stream().gcount()));
      if (static_cast<std::int64_t>(body.size()) > k_admin_max_body) {
        return send_error(response, HTTPResponse::HTTP_REQUESTENTITYTOOLARGE,
                          "POST " + path + ": the body is larger than " + std::to_string(k_admin_max_body) + " bytes");
      }
    }
    const AdminAnswer answer = admin_answer(m_daemon, method, path, body);
    if (!answer.allow.empty()) response.set("Allow", answer.allow);
    send(response, static_cast<HTTPResponse::HTTPStatus>(answer.status), answer.content_type, answer.body);
  }

  Daemon& m_daemon;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Daemon& daemon) : m_daemon(daemon) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(m_daemon);
  }
  // Shuts every open connection down (as HTTPServer::stopAll(true) does).
  void abort_connections() {
    bool abort_current = true;
    serverStopped.notify(this, abort_current);
  }

 private:
  Daemon& m_daemon;
};

}  // namespace

namespace {

AdminAnswer json_answer(int status, std::string body) { return {status, "application/json", std::move(body), ""}; }

AdminAnswer error_answer(int status, const std::string& message) {
  json::Writer w;
  w.begin_object().key("error").value(message).end_object();
  return json_answer(status, w.take());
}

AdminAnswer not_allowed(std::string_view method, std::string_view path, std::string allow) {
  AdminAnswer a = error_answer(405, std::string(method) + " is not allowed on " + std::string(path));
  a.allow = std::move(allow);
  return a;
}

// Why the daemon could not do it: 404 for an unknown source, 503 otherwise (stopping, the
// store's error).
AdminAnswer refused_by_daemon(const Error& error) {
  return error_answer(error.kind == ErrorKind::invalid ? 404 : 503, error.message);
}

AdminAnswer change_source(Daemon& daemon, const std::string& path, const std::string& body) {
  auto parsed = parse_source_change(path, body);
  if (!parsed) return error_answer(400, parsed.error().message);
  bool paused = true;
  if (path == "/pause") {
    if (auto r = daemon.pause(parsed->source, parsed->reason); !r) return refused_by_daemon(r.error());
  } else {
    if (auto was = daemon.resume(parsed->source); !was) return refused_by_daemon(was.error());
    paused = false;
  }
  json::Writer w;
  w.begin_object().key("source").value(parsed->source).key("paused").value(paused).end_object();
  return json_answer(200, w.take());
}

AdminAnswer resync(Daemon& daemon, const std::string& body) {
  auto parsed = parse_resync(body);
  if (!parsed) return error_answer(400, parsed.error().message);
  std::string rows;
  for (const auto& id : parsed->ask.rows) rows += (rows.empty() ? "" : ",") + id;
  daemon.log().info("resync requested", {{"source", parsed->source}, {"rows", rows},
                                        {"dead", parsed->ask.dead ? "true" : "false"},
                                        {"force", parsed->ask.force ? "true" : "false"}});
  auto reports = daemon.resync(*parsed);
  if (!reports) return refused_by_daemon(reports.error());
  return json_answer(200, reports_json(*reports));
}

}  // namespace

AdminAnswer admin_answer(Daemon& daemon, std::string_view method, std::string_view path, std::string_view body) {
  const bool get = method == "GET" || method == "HEAD";
  const bool post_route = path == "/resync" || path == "/pause" || path == "/resume";
  const bool get_route = path == "/healthz" || path == "/status" || path == "/metrics" || path == "/";
  if (post_route && method != "POST") return not_allowed(method, path, "POST");
  if (get_route && !get) return not_allowed(method, path, "GET, HEAD");
  if (path == "/healthz") return {200, "text/plain", "ok\n", ""};
  if (path == "/status") return json_answer(200, status_json(daemon.status(), daemon.reload_status()));
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            metrics_text(daemon.status(), AgentFacts{std::string(build_info::version()),
                                                     std::string(build_info::revision()), daemon.started_at(),
                                                     read_process_stats(), daemon.reload_status()}),
            ""};
  }
  if (path == "/") {
    const PageFacts facts{std::string(build_info::version()), daemon.started_at(), daemon.now()};
    return {200, "text/html; charset=utf-8", status_html(daemon.status(), daemon.reload_status(), facts), ""};
  }
  if (path == "/resync") return resync(daemon, std::string(body));
  if (post_route) return change_source(daemon, std::string(path), std::string(body));
  return error_answer(404, "no such page " + std::string(path) +
                               "; try /, /healthz, /status, /metrics, or POST /resync, /pause, /resume");
}

std::optional<AdminRefusal> admin_refusal(const AdminRequest& request) {
  if (request.host && !loopback_host(host_of(*request.host))) {
    return AdminRefusal{421, "the admin endpoint answers only to 127.0.0.1, localhost or [::1], not to Host " +
                                 *request.host};
  }
  if (request.origin) {
    const std::string_view origin = *request.origin;
    if (!origin.starts_with("http://") || !loopback_host(host_of(origin.substr(7)))) {
      return AdminRefusal{403, "requests from other sites are refused (Origin " + *request.origin + ")"};
    }
  }
  if (request.method == "POST") {
    const std::string_view type = text::trim(std::string_view(request.content_type).substr(
        0, std::min(request.content_type.size(), request.content_type.find(';'))));
    if (!text::iequals(type, "application/json")) {
      return AdminRefusal{415, "POST " + request.path + " needs Content-Type: application/json"};
    }
    if (request.content_length && *request.content_length > k_admin_max_body) {
      return AdminRefusal{413, "POST " + request.path + ": the body is larger than " +
                                   std::to_string(k_admin_max_body) + " bytes"};
    }
  }
  return std::nullopt;
}

// Poco's HTTPServer, but for its accept loop: Poco's TCPServer polls its socket every
// 250 ms to see whether it should stop, four wake-ups a second of an otherwise idle agent.
// Here one thread waits in accept() until a client connects or stop() shuts the socket
// down; Poco's dispatcher and connections serve each request as HTTPServer does.
class AdminServer::Listener {
 public:
  Listener(Poco::Net::ServerSocket socket, Daemon& daemon)
      : m_socket(std::move(socket)), m_handlers(new Factory(daemon)), m_factory(m_handlers) {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    m_dispatcher = new Poco::Net::TCPServerDispatcher(new Poco::Net::HTTPServerConnectionFactory(params, m_factory),
                                                      Poco::ThreadPool::defaultPool(), params);
    m_acceptor = std::thread([this] { accept_all(); });
  }
  ~Listener() {
    m_stopping = true;
    ::shutdown(m_socket.impl()->sockfd(), SHUT_RDWR);  // accept() returns (EINVAL)
    m_acceptor.join();
    // Connections are closed at once: a resync still waiting must not hold SIGTERM.
    m_handlers->abort_connections();
    m_dispatcher->stop();
    // Poco's stop() misses a dispatcher thread that was between its check of "stopped" and
    // its wait for the next connection (just done with one, say an answered resync): that
    // thread sleeps the idle time, 10 s, and the process's exit waits for it. So it is
    // woken again until no dispatcher thread is left — at most a second; by then the agent
    // has stopped, so no handler still waits on it.
    const auto patience = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (m_dispatcher->currentThreads() > 0 && std::chrono::steady_clock::now() < patience) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      m_dispatcher->stop();
    }
    m_dispatcher->release();
    m_socket.close();
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  void accept_all() {
    while (!m_stopping) {
      try {
        Poco::Net::StreamSocket client = m_socket.acceptConnection();
        if (m_stopping) return;
        m_dispatcher->enqueue(client);
      } catch (const Poco::Exception&) {
        // Shut down by stop(), or out of descriptors for a moment: not a busy loop either way.
        if (!m_stopping) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  Poco::Net::ServerSocket m_socket;
  Factory* m_handlers;  // owned by m_factory
  Poco::Net::HTTPRequestHandlerFactory::Ptr m_factory;
  Poco::Net::TCPServerDispatcher* m_dispatcher = nullptr;  // reference-counted: release()d
  std::atomic<bool> m_stopping{false};
  std::thread m_acceptor;
};

Result<std::unique_ptr<AdminServer>> AdminServer::start(std::uint16_t port, Daemon& daemon) {
  std::unique_ptr<AdminServer> server(new AdminServer());
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), 16);
    server->m_port = socket.address().port();
    server->m_listener = std::make_unique<Listener>(std::move(socket), daemon);
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::config, "agent.admin_listen 127.0.0.1:" + std::to_string(port) + ": cannot listen (" +
                                       e.displayText() + "); pick a free port or write off");
  } catch (const std::system_error& e) {  // no thread for the listener
    return fail(ErrorKind::internal, "agent.admin_listen: cannot start the admin endpoint (" + std::string(e.what()) + ")");
  }
  return server;
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::stop() { m_listener.reset(); }

std::string AdminServer::url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

}  // namespace pinsync::agent

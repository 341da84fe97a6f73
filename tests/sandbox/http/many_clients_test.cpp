// The sandbox's server with many clients at once, as a real HTTP server behaves: idle
// keep-alive connections and connections that never send hold no worker, so active clients
// are answered while hundreds of others stay connected. Guards against a server that holds
// one of its 32 threads per keep-alive connection for 5 s, under which 50 clients starved
// each other.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <barrier>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include "tests/support/process.h"

using pinsync::test::SandboxProcess;
using namespace std::chrono_literals;

namespace {

constexpr int k_clients = 200;
// Generous: a request that waits this long was starved, however slow the machine.
const Poco::Timespan k_timeout(20, 0);

std::string minimal_event(int n) {
  return R"({"channelId":42,"title":"Client )" + std::to_string(n) +
         R"(","startAt":"2026-06-01T20:00:00+02:00","timezone":"Europe/Madrid","classifications":["music"],)"
         R"("status":"draft","approxLocation":{"city":{"placeId":"place-valencia","name":"Valencia","countryCode":"ES"}}})";
}

// What one answer said, for the checks on the test's thread.
struct Answer {
  int status = 0;
  bool keep_alive = false;
  std::string request_id;
  std::int64_t event_id = 0;
  std::string error;  // what went wrong, "" when an answer came
};

// A create on the client's own keep-alive connection.
Answer create(Poco::Net::HTTPClientSession& session, int client, int round) {
  Answer a;
  try {
    const std::string body = minimal_event(client * 10 + round);
    Poco::Net::HTTPRequest request("POST", "/api/public/v1/events", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.set("Authorization", "Bearer sandbox-key");
    request.set("Idempotency-Key", "many-" + std::to_string(client) + "-" + std::to_string(round));
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    a.status = response.getStatus();
    a.keep_alive = response.getKeepAlive();
    a.request_id = response.get("x-request-id", "");
    if (a.status == 201) {
      auto doc = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>()->getObject("doc");
      a.event_id = doc->getValue<std::int64_t>("id");
    }
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  return a;
}

// Connections clients opened since the sandbox started, the asking one included.
int connections(const std::string& base) {
  const auto reply = pinsync::test::http(base, "GET", "/_sandbox/stats");
  REQUIRE(reply.status == 200);
  return Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>()->getValue<int>("connections");
}

int stored_events(const std::string& base) {
  const auto reply = pinsync::test::http(base, "GET", "/_sandbox/events");
  REQUIRE(reply.status == 200);
  return static_cast<int>(Poco::JSON::Parser()
                              .parse(reply.body)
                              .extract<Poco::JSON::Object::Ptr>()
                              ->getArray("events")
                              ->size());
}

}  // namespace

TEST_CASE("200 concurrent keep-alive clients are all answered, each on its one connection") {
  SandboxProcess sandbox;
  // Every client connects and is answered once, then waits, connected and idle, until all
  // 200 have their first answer, and sends its second request on the same connection. A
  // server that holds a thread per idle connection cannot answer the 33rd client until
  // another's keep-alive runs out, and then has closed the connections the second round needs.
  std::barrier between_rounds(k_clients);
  std::vector<Answer> first(k_clients), second(k_clients);
  std::vector<int> ports_before(k_clients), ports_after(k_clients);
  std::vector<std::thread> clients;
  for (int c = 0; c < k_clients; ++c) {
    clients.emplace_back([&, c] {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(sandbox.port()));
      session.setKeepAlive(true);
      session.setTimeout(k_timeout);
      first[c] = create(session, c, 1);
      ports_before[c] = first[c].error.empty() ? session.socket().address().port() : -1;
      between_rounds.arrive_and_wait();
      second[c] = create(session, c, 2);
      ports_after[c] = second[c].error.empty() ? session.socket().address().port() : -2;
    });
  }
  for (auto& t : clients) t.join();

  std::set<std::int64_t> ids;
  std::set<std::string> request_ids;
  int answered = 0;
  for (int c = 0; c < k_clients; ++c) {
    for (const Answer* a : {&first[c], &second[c]}) {
      CHECK_MESSAGE(a->error.empty(), "client " << c << ": " << a->error);
      CHECK_MESSAGE(a->status == 201, "client " << c << ": status " << a->status);
      CHECK(a->keep_alive);
      if (a->status == 201) ++answered;
      ids.insert(a->event_id);
      request_ids.insert(a->request_id);
    }
    CHECK_MESSAGE(ports_before[c] == ports_after[c], "client " << c << " was reconnected between its requests");
  }
  CHECK(answered == 2 * k_clients);
  CHECK(connections(sandbox.base_url()) == k_clients + 1);  // one each, and this question's
  CHECK(ids.size() == 2 * k_clients);          // every create made its own event
  CHECK(request_ids.size() == 2 * k_clients);  // and got its own request id
  CHECK(stored_events(sandbox.base_url()) == 2 * k_clients);
}

TEST_CASE("connections that never send hold no worker: a client is answered past 300 silent ones") {
  SandboxProcess sandbox({"--threads", "4"});
  // Each silent connection would hold one of the 4 workers for the whole request timeout on a
  // thread-per-connection server; here they only wait in epoll.
  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> silent;
  for (int i = 0; i < 300; ++i) {
    silent.push_back(std::make_unique<Poco::Net::StreamSocket>(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(sandbox.port()))));
  }
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(sandbox.port()));
  session.setKeepAlive(true);
  session.setTimeout(k_timeout);
  for (int round = 1; round <= 3; ++round) {
    const Answer a = create(session, 0, round);
    CHECK_MESSAGE(a.error.empty(), a.error);
    CHECK(a.status == 201);
  }
  CHECK(stored_events(sandbox.base_url()) == 3);
  // The silent connections are still open (not refused to make room).
  for (auto& s : silent) {
    CHECK(s->poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ) == false);  // no close, no data
  }
}

TEST_CASE("a request split across packets and two requests sent back to back are both answered") {
  SandboxProcess sandbox({"--threads", "2"});
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(sandbox.port())));
  socket.setReceiveTimeout(k_timeout);
  const std::string get = "GET /api/public/v1/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-key\r\n\r\n";
  // The first half, a pause in which the server must not give up or block another client,
  // then the rest.
  socket.sendBytes(get.data(), 20);
  CHECK(pinsync::test::http(sandbox.base_url(), "GET", "/_sandbox/stats").status == 200);
  socket.sendBytes(get.data() + 20, static_cast<int>(get.size() - 20));
  // Two more requests in one write: the second sits in the server's buffer after the first,
  // where epoll cannot see it. It asks to close, so the answers end with the connection.
  const std::string last = "GET /api/public/v1/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-key\r\n"
                           "Connection: close\r\n\r\n";
  const std::string two = get + last;
  socket.sendBytes(two.data(), static_cast<int>(two.size()));
  std::string received;
  char buf[4096];
  for (int n = socket.receiveBytes(buf, sizeof buf); n > 0; n = socket.receiveBytes(buf, sizeof buf)) {
    received.append(buf, static_cast<std::size_t>(n));  // throws on the 20 s timeout
  }
  int answers = 0;
  for (auto at = received.find("HTTP/1.1 200"); at != std::string::npos; at = received.find("HTTP/1.1 200", at + 1)) {
    ++answers;
  }
  CHECK(answers == 3);
}

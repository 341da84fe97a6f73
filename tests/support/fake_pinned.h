// Pinned Events for unit tests of sessions, commands and the agent: one FakeTransport that
// answers as the API does for a good key — the classification slugs, channel 42, a create
// with the next event id, an update of the event named, the events created so far (one page,
// as sent) — unless the test queued an answer,
// and transports for WorldSeams::transports that all send through it, one request at a
// time from any thread (the agent's sources send from its pool). Header-only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.h"
#include "tests/support/fake_transport.h"

namespace pinsync::testing {

class FakePinned {
 public:
  // How long wait_for() waits: only a hung agent takes this long.
  static constexpr std::chrono::seconds k_patience{20};
  // The first event id a create gets; each further create gets the next.
  static constexpr std::int64_t k_first_event_id = 100;

  FakePinned() {
    m_fake.answer = [this](const http::Request& r) { return answer(r); };
  }
  FakePinned(const FakePinned&) = delete;
  FakePinned& operator=(const FakePinned&) = delete;

  // Transports that send through this fake; it must outlive them.
  std::function<std::unique_ptr<http::Transport>()> transports() {
    return [this]() -> std::unique_ptr<http::Transport> { return std::make_unique<Forward>(*this); };
  }

  // Queues the answer of the next request (before the fake's own answers).
  void reply(long status, std::string body) {
    std::lock_guard lock(m_mutex);
    m_fake.reply(status, std::move(body));
  }
  // Every request so far, in order.
  std::vector<http::Request> requests() const {
    std::lock_guard lock(m_mutex);
    return m_fake.requests;
  }
  // How many requests so far had `method` on the route template `route` ("/events").
  int count(std::string_view method, std::string_view route) const {
    std::lock_guard lock(m_mutex);
    return count_locked(method, route);
  }
  int total() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_fake.requests.size());
  }
  // Waits until `n` requests had `method` on `route`; false after k_patience.
  bool wait_for(std::string_view method, std::string_view route, int n) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, k_patience, [&] { return count_locked(method, route) >= n; });
  }

  // Called with each request before it is sent, outside the fake's lock, on the sending
  // thread: a test may hold a request there (a gate) while it looks at the agent.
  std::function<void(const http::Request&)> before_send;

 private:
  class Forward final : public http::Transport {
   public:
    explicit Forward(FakePinned& target) : m_target(target) {}
    std::expected<http::Response, http::TransportError> send(const http::Request& request) override {
      if (m_target.before_send) m_target.before_send(request);
      std::expected<http::Response, http::TransportError> answer;
      {
        std::lock_guard lock(m_target.m_mutex);
        answer = m_target.m_fake.send(request);
      }
      m_target.m_cv.notify_all();
      return answer;
    }

   private:
    FakePinned& m_target;
  };

  int count_locked(std::string_view method, std::string_view route) const {
    int n = 0;
    for (const auto& r : m_fake.requests) n += r.method == method && r.route == route ? 1 : 0;
    return n;
  }

  static http::Response json(long status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = {{"content-type", "application/json"}};
    return r;
  }

  // Under m_mutex (FakeTransport::send calls it).
  FakeTransport::Step answer(const http::Request& r) {
    if (r.method == "GET" && r.route == "/classifications") {
      return json(200, R"({"docs":[{"slug":"music"},{"slug":"comedy"}]})");
    }
    if (r.method == "GET" && r.route == "/channels") {
      return json(200, R"({"docs":[{"id":42,"name":"Acme Nights"}],"hasNextPage":false})");
    }
    if (r.method == "POST" && r.route == "/events") {
      const auto id = std::to_string(m_next_id++);
      // The event as stored: the body sent, with its id first ("{" + the body's members).
      m_events.push_back(R"({"id":)" + id + (r.body.size() > 2 ? "," + r.body.substr(1) : "}"));
      return json(201, R"({"doc":{"id":)" + id + "}}");
    }
    if (r.method == "GET" && r.route == "/events") {
      std::string docs;
      for (const auto& e : m_events) docs += (docs.empty() ? "" : ",") + e;
      return json(200, R"({"docs":[)" + docs + R"(],"totalDocs":)" + std::to_string(m_events.size()) +
                           R"(,"limit":100,"page":1})");
    }
    if (r.method == "PATCH" && r.route == "/events/{id}") {
      const auto id = r.url.substr(r.url.rfind('/') + 1);
      return json(200, R"({"doc":{"id":)" + id + "}}");
    }
    return json(404, R"({"error":{"code":"not_found","message":"no such route in FakePinned"}})");
  }

  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  FakeTransport m_fake;
  std::int64_t m_next_id = k_first_event_id;
  std::vector<std::string> m_events;  // created events as JSON, in id order
};

}  // namespace pinsync::testing

// The one way tests build a connectors::ConnectorContext: a clock (a FakeClock unless the
// test brings its own), a limiter registry and a debug logger into a string on it, and
// transports that all forward to one FakeTransport, each send stamped with the clock's
// monotonic time — or real curl transports, for tests against the sandbox.
// Header-only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rate_limiter.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace pinsync::testing {

// Where a world's requests go.
enum class Wire {
  fake,  // every transport forwards to ConnectorWorld::fake
  curl,  // real libcurl transports (a test against the sandbox on 127.0.0.1)
};

class ConnectorWorld {
 public:
  // A world on its own FakeClock.
  explicit ConnectorWorld(Wire wire = Wire::fake) : ConnectorWorld(wire, nullptr) {}
  // A world on `given` (a SystemClock when a server checks times against its own), which
  // must outlive the world; ConnectorWorld::clock is then unused.
  ConnectorWorld(Wire wire, Clock& given) : ConnectorWorld(wire, &given) {}

  ConnectorWorld(const ConnectorWorld&) = delete;
  ConnectorWorld& operator=(const ConnectorWorld&) = delete;

  // A context on this world for a source named `source`; the world must outlive every
  // connector made with it.
  connectors::ConnectorContext context(std::string source = "test") {
    return {m_clock, limiters, logger, make_transport, timeout, std::move(source)};
  }
  // Every request the fake transport was given, in order.
  const std::vector<http::Request>& requests() const { return fake->requests; }

  FakeClock clock;  // the world's clock unless one was given
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  // The clock's monotonic time at every send through the fake, in order.
  std::shared_ptr<std::vector<std::chrono::steady_clock::time_point>> sent_at =
      std::make_shared<std::vector<std::chrono::steady_clock::time_point>>();

 private:
  ConnectorWorld(Wire wire, Clock* given) : m_clock(given != nullptr ? *given : clock) {
    if (wire == Wire::curl) {
      make_transport = [] { return http::make_curl_transport(); };
      return;
    }
    make_transport = [target = fake, times = sent_at, at = &m_clock]() -> std::unique_ptr<http::Transport> {
      struct Stamping final : http::Transport {
        std::shared_ptr<FakeTransport> target;
        std::shared_ptr<std::vector<std::chrono::steady_clock::time_point>> times;
        Clock* clock = nullptr;
        std::expected<http::Response, http::TransportError> send(const http::Request& r) override {
          times->push_back(clock->monotonic());
          return target->send(r);
        }
      };
      auto t = std::make_unique<Stamping>();
      t->target = target;
      t->times = times;
      t->clock = at;
      return t;
    };
  }

  Clock& m_clock;

 public:
  RateLimiters limiters{m_clock};
  std::ostringstream log_text;
  Logger logger{log_text, LogLevel::debug, LogFormat::text, m_clock};
  // What the contexts make transports with; a test may replace it (a fuzz target's
  // transport) before asking for a context.
  std::function<std::unique_ptr<http::Transport>()> make_transport;
  std::chrono::milliseconds timeout{30'000};
};

}  // namespace pinsync::testing

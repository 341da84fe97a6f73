// The Pinned Events client's unit-test world: a scripted transport, a fake clock and a
// logger into a string; client() makes a client on them.
#pragma once

#include <sstream>

#include "agent/pinned/client.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace pinsync::agent::test {

struct ClientFixture {
  ClientFixture() : log(log_text, LogLevel::debug, LogFormat::text, clock) {
    config.base_url = "http://127.0.0.1:9";
    config.api_key = "secret-key-123";
  }
  PinnedClient client(RetryPolicy policy = {}) { return PinnedClient(config, transport, log, clock, policy); }

  PinnedConfig config;
  pinsync::testing::FakeTransport transport;
  pinsync::testing::FakeClock clock;
  std::ostringstream log_text;
  Logger log;
};

}  // namespace pinsync::agent::test

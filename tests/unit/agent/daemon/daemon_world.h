// The agent on fakes: an AgentWorld (CSV sources, FakeClock, faked Pinned Events) and the
// alarms of the daemon's schedulers, rung by the test after it advances the clock, so a
// poll interval passes without the wall clock. Passes run on the scheduler's real threads;
// tests wait for them on condition variables, never longer than a patience that only a
// hung agent reaches.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "agent/daemon/daemon.h"
#include "tests/support/agent_world.h"
#include "tests/unit/agent/daemon/alarm_board.h"

namespace pinsync::agent::test {

struct DaemonWorld : pinsync::testing::AgentWorld {
  using AgentWorld::AgentWorld;

  // Starts the agent on the world's fakes; fails the test when it cannot.
  std::unique_ptr<Daemon> start() {
    auto started = Daemon::start(config, log.stream(), DaemonSeams{seams(), alarms.factory()});
    REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
    return std::move(*started);
  }
  // Moves the clock by `d` and rings what fell due; returns how many rings rang.
  int advance(std::chrono::milliseconds d) {
    clock.advance(d);
    return alarms.ring_due(clock.monotonic());
  }
  // The status of the source named `name`; fails the test when there is none.
  static SourceStatus status_of(Daemon& daemon, const std::string& name) {
    for (auto& s : daemon.status()) {
      if (s.name == name) return s;
    }
    FAIL("no source named " << name << " in the status");
    return {};
  }

  AlarmBoard alarms;
};

}  // namespace pinsync::agent::test

// ProgressLine (core/progress.h): its text, the redraw throttle and that nothing is drawn
// off a terminal.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <sstream>

#include "core/progress.h"
#include "tests/support/fake_clock.h"

using namespace pinsync;
using pinsync::testing::FakeClock;
using namespace std::chrono_literals;

TEST_CASE("progress line: done/total, percentage, rate and ETA from the clock") {
  FakeClock clock;
  std::ostringstream out;
  ProgressLine line(out, ProgressOutput::terminal, clock, "acme");
  line.start(300);
  CHECK(line.text() == "acme: 0/300 (0%)");
  clock.advance(10s);
  line.step(120);
  CHECK(line.text() == "acme: 120/300 (40%), 12.0/s, ETA 15s");
  clock.advance(10s);
  line.step(180);
  CHECK(line.text() == "acme: 300/300 (100%), 15.0/s");  // done: no ETA
}

TEST_CASE("progress line: an unknown total shows the count and rate only") {
  FakeClock clock;
  std::ostringstream out;
  ProgressLine line(out, ProgressOutput::terminal, clock, "beta");
  line.start(0);
  clock.advance(2s);
  line.step(5);
  CHECK(line.text() == "beta: 5, 2.5/s");
}

TEST_CASE("progress line: redraws at most five times a second and erases itself at the end") {
  FakeClock clock;
  std::ostringstream out;
  ProgressLine line(out, ProgressOutput::terminal, clock, "acme");
  line.start(1000);
  CHECK(line.draws() == 1);
  for (int i = 0; i < 100; ++i) {
    clock.advance(10ms);  // one second in all
    line.step();
  }
  CHECK(line.draws() == 6);  // the start plus one per 200 ms
  const std::string drawn = out.str();
  CHECK(drawn.starts_with("\racme: 0/1000 (0%)"));
  CHECK_NOT_CONTAINS(drawn, "\n");  // redrawn in place, never a new line
  line.finish();
  const std::string after = out.str();
  CHECK(after.ends_with("\r"));
  CHECK(after.substr(drawn.size()).find_first_not_of(" \r") == std::string::npos);  // only blanks
  line.finish();
  CHECK(out.str() == after);  // a second finish writes nothing
}

TEST_CASE("progress line: draws nothing off a terminal") {
  FakeClock clock;
  std::ostringstream out;
  {
    auto line = ProgressLine::for_stream(out, clock, "acme");  // a string stream is no terminal
    line.start(10);
    clock.advance(1s);
    line.step(10);
    CHECK(line.text() == "acme: 10/10 (100%), 10.0/s");
  }
  CHECK(out.str().empty());
}

TEST_CASE("format_eta reads like people write durations") {
  CHECK(format_eta(0s) == "0s");
  CHECK(format_eta(45s) == "45s");
  CHECK(format_eta(125s) == "2m05s");
  CHECK(format_eta(3720s) == "1h02m");
}

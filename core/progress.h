// A live progress line for long passes on a terminal: "acme: 120/300 (40%), 12.0/s, ETA 15s",
// redrawn in place with \r at most five times a second and erased at the end. On anything
// but a terminal it writes nothing at all, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>

#include "core/clock.h"

namespace pinsync {

enum class ProgressOutput {
  terminal,  // draw the line
  off,       // draw nothing (not a terminal, or not wanted)
};

class ProgressLine {
 public:
  // Draws on `out` when `output` is terminal. `clock` times the rate, the ETA and the
  // redraw throttle; both must outlive the line.
  ProgressLine(std::ostream& out, ProgressOutput output, const Clock& clock, std::string label);
  // As above, drawing only when `out` is a terminal (is_terminal in core/log.h).
  static ProgressLine for_stream(std::ostream& out, const Clock& clock, std::string label);
  // Erases a line still shown.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Starts counting towards `total` items (0: unknown total, no percentage or ETA).
  void start(std::size_t total);
  // Counts `n` more items done; redraws when the last draw is 200 ms old or more.
  void step(std::size_t n = 1);
  // Erases the line (when one was drawn) and ends the count. Safe to call twice.
  void finish();

  // Returns the line's text now, without \r: "label: done/total (pct%), rate/s, ETA t";
  // the rate and ETA appear once some time has passed and an item is done.
  std::string text() const;
  // Returns how many times the line was drawn so far (for tests of the throttle).
  std::size_t draws() const;

 private:
  void draw_locked();
  std::string text_locked() const;

  std::ostream& m_out;
  ProgressOutput m_output;
  const Clock& m_clock;
  std::string m_label;
  mutable std::mutex m_mutex;
  std::size_t m_total = 0;
  std::size_t m_done = 0;
  bool m_active = false;
  std::size_t m_shown_width = 0;  // characters currently on screen
  std::size_t m_draws = 0;
  std::chrono::steady_clock::time_point m_started{};
  std::chrono::steady_clock::time_point m_last_draw{};
};

// Returns a duration as people read it: "45s", "2m05s", "1h02m".
std::string format_eta(std::chrono::seconds eta);

}  // namespace pinsync

#include "core/progress.h"

#include <cstdio>

#include "core/log.h"

namespace pinsync {

namespace {

// A terminal redraw costs a write; five a second look live without flooding a slow tty.
constexpr std::chrono::milliseconds k_redraw_every{200};

}  // namespace

std::string format_eta(std::chrono::seconds eta) {
  const auto s = eta.count() < 0 ? 0 : eta.count();
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                                   static_cast<long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                     static_cast<long long>((s % 3600) / 60));
  return buf;
}

ProgressLine::ProgressLine(std::ostream& out, ProgressOutput output, const Clock& clock, std::string label)
    : m_out(out), m_output(output), m_clock(clock), m_label(std::move(label)) {}

ProgressLine ProgressLine::for_stream(std::ostream& out, const Clock& clock, std::string label) {
  return ProgressLine(out, is_terminal(out) ? ProgressOutput::terminal : ProgressOutput::off, clock,
                      std::move(label));
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::start(std::size_t total) {
  std::lock_guard lock(m_mutex);
  m_total = total;
  m_done = 0;
  m_active = true;
  m_started = m_clock.monotonic();
  draw_locked();
}

void ProgressLine::step(std::size_t n) {
  std::lock_guard lock(m_mutex);
  if (!m_active) return;
  m_done += n;
  if (m_clock.monotonic() - m_last_draw >= k_redraw_every) draw_locked();
}

void ProgressLine::finish() {
  std::lock_guard lock(m_mutex);
  if (m_active && m_output == ProgressOutput::terminal && m_shown_width > 0) {
    m_out << '\r' << std::string(m_shown_width, ' ') << '\r';
    m_out.flush();
  }
  m_shown_width = 0;
  m_active = false;
}

std::string ProgressLine::text() const {
  std::lock_guard lock(m_mutex);
  return text_locked();
}

std::size_t ProgressLine::draws() const {
  std::lock_guard lock(m_mutex);
  return m_draws;
}

std::string ProgressLine::text_locked() const {
  std::string t = m_label + ": " + std::to_string(m_done);
  if (m_total > 0) {
    t += "/" + std::to_string(m_total) + " (" + std::to_string(m_done * 100 / m_total) + "%)";
  }
  const double seconds = std::chrono::duration<double>(m_clock.monotonic() - m_started).count();
  if (seconds > 0 && m_done > 0) {
    const double rate = static_cast<double>(m_done) / seconds;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f/s", rate);
    t += ", ";
    t += buf;
    if (m_total > m_done) {
      const auto left = static_cast<double>(m_total - m_done) / rate;
      t += ", ETA " + format_eta(std::chrono::seconds(static_cast<std::int64_t>(left + 0.5)));
    }
  }
  return t;
}

void ProgressLine::draw_locked() {
  m_last_draw = m_clock.monotonic();
  if (m_output != ProgressOutput::terminal) return;
  const std::string t = text_locked();
  // Pad over the previous, possibly longer text instead of relying on terminal escapes.
  std::string line = "\r" + t;
  if (t.size() < m_shown_width) line += std::string(m_shown_width - t.size(), ' ');
  m_out << line;
  m_out.flush();
  m_shown_width = t.size();
  ++m_draws;
}

}  // namespace pinsync

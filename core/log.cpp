#include "core/log.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <date/date.h>
#include <unistd.h>

#include <iostream>

#include "core/json_writer.h"

namespace pinsync {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

namespace {

void replace_all(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 3)) {
    text.replace(pos, needle.size(), "***");
  }
}

// Replaces the run of token characters after every occurrence of `marker`.
void redact_after(std::string& text, std::string_view marker, std::string_view stop_chars) {
  for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + 1)) {
    const auto start = pos + marker.size();
    auto end = text.find_first_of(stop_chars, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) text.replace(start, end - start, "***");
  }
}

}  // namespace

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const auto& s : secrets) replace_all(out, s);
  redact_after(out, "Bearer ", " \t\r\n\",;");
  static constexpr std::array k_query_keys = {"?key=", "&key=", "access_token=", "?token=",
                                              "&token=", "api_key=", "refresh_token=",
                                              "client_secret=", "assertion="};
  for (const auto* marker : k_query_keys) redact_after(out, marker, "& \t\r\n\"");
  return out;
}

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
  if (&out == &std::cerr || &out == &std::clog) return ::isatty(STDERR_FILENO) == 1;
  return false;
}

LogFormat resolve_log_format(LogFormat format, const std::ostream& out) {
  if (format != LogFormat::automatic) return format;
  return is_terminal(out) ? LogFormat::text : LogFormat::json;
}

Logger::Logger(std::ostream& out, LogLevel level, LogFormat format, const Clock& clock)
    : m_out(out),
      m_level(level),
      m_format(resolve_log_format(format, out)),
      m_terminal(m_format == LogFormat::text && is_terminal(out)),
      m_clock(clock) {}

void Logger::add_secret(std::string secret) {
  if (secret.empty()) return;
  std::lock_guard lock(m_mutex);
  // Connectors register their secret on every pass: keep each one once.
  if (std::find(m_secrets.begin(), m_secrets.end(), secret) != m_secrets.end()) return;
  m_secrets.push_back(std::move(secret));
}

void Logger::log(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::floor<std::chrono::milliseconds>(m_clock.now());
  const std::string time = date::format("%FT%TZ", now);
  std::string line;
  if (m_format == LogFormat::json) {
    json::Writer w;
    w.begin_object().key("time").value(time).key("level").value(level_name(level));
    w.key("msg").value(message);
    for (const auto& f : fields) {
      w.key(f.key);
      if (!f.number) w.value(f.value);
      else if (f.value.empty()) w.null();
      else w.raw(f.value);
    }
    w.end_object();
    line = w.take();
  } else {
    std::string level_text(level_name(level));
    level_text.resize(5, ' ');
    line = time + ' ' + level_text + ' ' + std::string(message);
    for (const auto& f : fields) {
      const bool quote = f.value.find_first_of(" \t\"=") != std::string::npos || f.value.empty();
      line += ' ';
      line += f.key;
      line += '=';
      if (quote) json::append_quoted(line, f.value);
      else line += f.value;
    }
  }
  std::lock_guard lock(m_mutex);
  // "\r ESC[K" erases a progress line (core/progress.h) drawn on the same terminal; it
  // redraws itself on its next step.
  if (m_terminal) m_out << "\r\x1b[K";
  m_out << redact(line, m_secrets) << '\n';
  m_out.flush();
}

}  // namespace pinsync

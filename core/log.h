// The logging facade: one line per happening, with key=value fields, human-readable
// text or JSON lines (by default text on a terminal, JSON lines otherwise). Every line
// passes through redact(), the one place where secrets (registered values, bearer
// tokens, key=/token= query parameters) are removed.
#pragma once

#include <atomic>
#include <concepts>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace pinsync {

enum class LogLevel { debug, info, warn, error };
// "debug", "info", "warn", "error", as the config and the lines write them.
std::string_view level_name(LogLevel level);
// automatic: text when the output is a terminal, JSON lines otherwise (files, journald,
// pipes to a log shipper).
enum class LogFormat { text, json, automatic };

// One key=value of a line. A whole number is written as a JSON number in JSON lines
// (`{"status", 503}`); everything else as a string. An empty optional number is null.
struct LogField {
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  LogField(std::string_view k, T n) : key(k), value(std::to_string(n)), number(true) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  LogField(std::string_view k, std::optional<T> n) : key(k), value(n ? std::to_string(*n) : ""), number(true) {}

  std::string_view key;
  std::string value;
  bool number = false;  // value holds the digits of a whole number, or "" for null
};

// Returns `text` with secrets replaced by "***": every string in `secrets`, the token
// after "Bearer ", and the value of key=, access_token=, token=, api_key= query
// parameters.
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

// Returns true when `out` is std::cout, std::cerr or std::clog and that file descriptor is
// a terminal; false for every other stream (string streams, files).
bool is_terminal(const std::ostream& out);

// Returns `format`, with automatic resolved for `out`: text on a terminal, json otherwise.
LogFormat resolve_log_format(LogFormat format, const std::ostream& out);

// Field names the lines use for the same facts everywhere: source, row (the row's
// reference, "partner.csv:14"), action, status (HTTP, a number), request_id,
// duration_ms (a number), reason. Time is ISO 8601 UTC with milliseconds.
class Logger {
 public:
  // `format` automatic is resolved here, once (resolve_log_format).
  Logger(std::ostream& out, LogLevel level, LogFormat format, const Clock& clock);

  bool enabled(LogLevel level) const { return level >= m_level.load(std::memory_order_relaxed); }
  // Changes the least level written from now on (a reloaded config).
  void set_level(LogLevel level) { m_level.store(level, std::memory_order_relaxed); }
  LogLevel level() const { return m_level.load(std::memory_order_relaxed); }
  // The format lines are written in (never automatic).
  LogFormat format() const { return m_format; }
  // Registers a secret value to be redacted from every later line (empty ignored).
  void add_secret(std::string secret);
  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(level, message, std::span<const LogField>(fields.begin(), fields.size()));
  }
  // As above, for fields gathered at run time (a field that only some lines have).
  void log(LogLevel level, std::string_view message, std::span<const LogField> fields);

  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::error, m, f); }

 private:
  std::ostream& m_out;
  std::atomic<LogLevel> m_level;
  LogFormat m_format;
  bool m_terminal;  // text on a terminal: each line first clears a progress line
  const Clock& m_clock;
  std::mutex m_mutex;
  std::vector<std::string> m_secrets;
};

}  // namespace pinsync

// The logging facade: one line per happening, with key=value fields, human-readable
// text or JSON lines. Every line passes through redact(), the one place where secrets
// (registered values, bearer tokens, key=/token= query parameters) are removed.
#pragma once

#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace pinsync {

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { text, json };

struct LogField {
  std::string_view key;
  std::string value;
};

// Returns `text` with secrets replaced by "***": every string in `secrets`, the token
// after "Bearer ", and the value of key=, access_token=, token=, api_key= query
// parameters.
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

class Logger {
 public:
  Logger(std::ostream& out, LogLevel level, LogFormat format, const Clock& clock);

  bool enabled(LogLevel level) const { return level >= m_level; }
  // Registers a secret value to be redacted from every later line (empty ignored).
  void add_secret(std::string secret);
  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::error, m, f); }

 private:
  std::ostream& m_out;
  LogLevel m_level;
  LogFormat m_format;
  const Clock& m_clock;
  std::mutex m_mutex;
  std::vector<std::string> m_secrets;
};

}  // namespace pinsync

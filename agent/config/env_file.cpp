#include "agent/config/env_file.h"

#include <algorithm>
#include <string_view>

#include "core/text.h"
#include "core/utf8.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_blank = " \t\n\r";
constexpr std::string_view k_line_ends = "\n\r";
// Inside double quotes a backslash drops itself only before these, as in a shell.
constexpr std::string_view k_escapable_in_double_quotes = "\"\\`$";

bool is_one_of(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

bool is_variable_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// One pass over the text, character by character: the states of systemd's reader.
class Reader {
 public:
  explicit Reader(const std::string& origin) : m_origin(origin) {}

  Result<EnvFile> read(std::string_view text) {
    for (const char c : text) {
      if (c == '\0') return fail(ErrorKind::config, where(m_line) + "holds a NUL byte — is this a text file?");
      if (auto stepped = step(c); !stepped) return std::unexpected(stepped.error());
      if (c == '\n') ++m_line;
    }
    // A last assignment without a newline after it still counts.
    if (m_state != State::before_name && m_state != State::name && m_state != State::comment) {
      if (auto ended = end_assignment(); !ended) return std::unexpected(ended.error());
    } else if (m_state == State::name) {
      ignore_line_without_equals();
    }
    return std::move(m_file);
  }

 private:
  enum class State { before_name, name, before_value, value, value_escape, single, dquote, dquote_escape, comment };

  Result<void> step(char c) {
    switch (m_state) {
      case State::before_name:
        if (c == '#' || c == ';') {
          m_state = State::comment;
        } else if (!is_one_of(c, k_blank)) {
          m_state = State::name;
          m_start_line = m_line;
          m_name.assign(1, c);
        }
        return {};
      case State::name:
        if (is_one_of(c, k_line_ends)) {
          ignore_line_without_equals();
          m_state = State::before_name;
        } else if (c == '=') {
          m_state = State::before_value;
          m_value.clear();
          m_kept_blank_from = std::string::npos;
        } else {
          m_name += c;
        }
        return {};
      case State::before_value:
        // Also where a quoted part ends: more text right after it joins the same value.
        if (is_one_of(c, k_line_ends)) return end_assignment();
        if (c == '\'') {
          m_state = State::single;
        } else if (c == '"') {
          m_state = State::dquote;
        } else if (c == '\\') {
          m_state = State::value_escape;
        } else if (!is_one_of(c, k_blank)) {
          m_state = State::value;
          m_value += c;
        }
        return {};
      case State::value:
        if (is_one_of(c, k_line_ends)) return end_assignment();
        if (c == '\\') {
          m_state = State::value_escape;
          m_kept_blank_from = std::string::npos;
        } else {
          // Blanks at the end of an unquoted value are dropped: remember where they start.
          if (!is_one_of(c, k_blank)) {
            m_kept_blank_from = std::string::npos;
          } else if (m_kept_blank_from == std::string::npos) {
            m_kept_blank_from = m_value.size();
          }
          m_value += c;
        }
        return {};
      case State::value_escape:
        // A backslash keeps the next character as it is; before a newline it joins lines.
        m_state = State::value;
        if (!is_one_of(c, k_line_ends)) m_value += c;
        return {};
      case State::single:
        if (c == '\'') {
          m_state = State::before_value;
        } else {
          m_value += c;
        }
        return {};
      case State::dquote:
        if (c == '"') {
          m_state = State::before_value;
        } else if (c == '\\') {
          m_state = State::dquote_escape;
        } else {
          m_value += c;
        }
        return {};
      case State::dquote_escape:
        m_state = State::dquote;
        if (is_one_of(c, k_escapable_in_double_quotes)) {
          m_value += c;
        } else if (c != '\n') {
          m_value += '\\';
          m_value += c;
        }
        return {};
      case State::comment:
        if (is_one_of(c, k_line_ends)) m_state = State::before_name;
        return {};
    }
    return {};
  }

  Result<void> end_assignment() {
    if (m_state == State::value && m_kept_blank_from != std::string::npos) m_value.resize(m_kept_blank_from);
    m_state = State::before_name;
    const std::string name(trimmed_name());
    if (!utf8::is_valid(name)) {
      return fail(ErrorKind::config, where(m_start_line) + "a variable name is not valid UTF-8");
    }
    if (!utf8::is_valid(m_value)) {
      return fail(ErrorKind::config, where(m_start_line) + "the value of " + name + " is not valid UTF-8");
    }
    if (!is_variable_name(name)) {
      const bool exported = name.starts_with("export ") && is_variable_name(text::trim(name.substr(7)));
      m_file.ignored.push_back(where(m_start_line) + "ignored: '" + name + "' is not a variable name" +
                               (exported ? " — remove 'export': systemd does not read it either"
                                         : " (letters, digits and _, not starting with a digit); systemd ignores it too"));
      return {};
    }
    const auto same = std::ranges::find(m_file.variables, name, &std::pair<std::string, std::string>::first);
    if (same != m_file.variables.end()) {
      same->second = m_value;  // the last assignment wins
    } else {
      m_file.variables.emplace_back(name, m_value);
    }
    return {};
  }

  // The line's text is never shown: a line without '=' may be a pasted secret.
  void ignore_line_without_equals() {
    m_file.ignored.push_back(where(m_start_line) + "ignored: a line without '=' (write NAME=value)");
  }

  std::string_view trimmed_name() const {
    std::string_view name = m_name;
    while (!name.empty() && is_one_of(name.back(), k_blank)) name.remove_suffix(1);
    return name;
  }

  std::string where(unsigned line) const { return m_origin + ":" + std::to_string(line) + ": "; }

  const std::string& m_origin;
  EnvFile m_file;
  State m_state = State::before_name;
  unsigned m_line = 1;
  unsigned m_start_line = 1;
  std::string m_name;
  std::string m_value;
  std::size_t m_kept_blank_from = std::string::npos;
};

}  // namespace

Result<EnvFile> parse_env_file(std::string_view text, const std::string& origin) {
  return Reader(origin).read(text);
}

}  // namespace pinsync::agent

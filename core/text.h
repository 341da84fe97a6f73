// Small text helpers every folder shares: ASCII only and locale-free, so a row, a header
// or a config key reads the same on every machine.
#pragma once

#include <string>
#include <string_view>

namespace pinsync::text {

// True for the ASCII whitespace characters: space, \t, \n, \v, \f, \r.
constexpr bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// `s` without ASCII whitespace at either end (a view into `s`).
constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// `s` with A-Z turned into a-z; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);

// True when `a` and `b` are equal ignoring the case of A-Z.
bool iequals(std::string_view a, std::string_view b);

}  // namespace pinsync::text

// Small text helpers every folder shares: ASCII only and locale-free, so a row, a header
// or a config key reads the same on every machine.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

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

// True when `s` begins with `prefix`, ignoring the case of A-Z.
bool istarts_with(std::string_view s, std::string_view prefix);

// The Levenshtein distance: single-byte insertions, deletions and substitutions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Up to `n` of `candidates` nearest to `word` (case-insensitive edit distance, then
// order), leaving out those so far off that they would not help: more than a third of
// the longer text changed. For "did you mean" lists of IDs and names.
std::vector<std::string_view> closest(std::string_view word, const std::set<std::string>& candidates, std::size_t n);

}  // namespace pinsync::text

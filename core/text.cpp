#include "core/text.h"

#include <algorithm>
#include <utility>

namespace pinsync::text {

namespace {

constexpr char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string_view> closest(std::string_view word, const std::set<std::string>& candidates, std::size_t n) {
  const std::string lower = ascii_lower(word);
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(lower, ascii_lower(c));
    if (d * 3 <= std::max(lower.size(), c.size())) scored.emplace_back(d, c);
  }
  std::ranges::stable_sort(scored, {}, &std::pair<std::size_t, std::string_view>::first);
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace pinsync::text

#include "agent/mapping/cells.h"

#include <array>
#include <cstdint>

#include "core/text.h"
#include "core/utf8.h"

namespace pinsync::agent {

namespace {

constexpr std::array<std::string_view, 11> k_error_values = {
    "#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!", "#CALC!", "#N/A!"};

}  // namespace

std::string_view trim_cell(std::string_view s) {
  constexpr std::string_view k_nbsp = "\xC2\xA0";
  while (true) {
    if (!s.empty() && text::is_space(s.front())) s.remove_prefix(1);
    else if (s.starts_with(k_nbsp)) s.remove_prefix(2);
    else break;
  }
  while (true) {
    if (!s.empty() && text::is_space(s.back())) s.remove_suffix(1);
    else if (s.ends_with(k_nbsp)) s.remove_suffix(2);
    else break;
  }
  return s;
}

bool is_valid_utf8(std::string_view s) { return utf8::is_valid(s); }

std::optional<std::size_t> control_character(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
  }
  return std::nullopt;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  return count;
}

std::optional<std::string_view> spreadsheet_error(std::string_view trimmed) {
  if (trimmed.empty() || trimmed.front() != '#' || trimmed.size() > 8) return std::nullopt;
  for (std::string_view value : k_error_values)
    if (text::iequals(trimmed, value)) return value;
  return std::nullopt;
}

std::string bounded_value(std::string_view cell) {
  constexpr std::size_t k_max = 200;
  std::string out;
  out.reserve(cell.size() < k_max ? cell.size() : k_max);
  for (std::size_t i = 0; i < cell.size();) {
    const std::size_t len = utf8::sequence_length(cell, i);
    const std::string_view piece = len == 0 ? std::string_view("\xEF\xBF\xBD") : cell.substr(i, len);
    if (out.size() + piece.size() > k_max) break;
    out.append(piece);
    i += len == 0 ? 1 : len;
  }
  return out;
}

std::string in_quotes(std::string_view cell) { return '"' + bounded_value(cell) + '"'; }

std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view name) {
  const std::string_view wanted = trim_cell(name);
  for (std::size_t i = 0; i < header.size(); ++i)
    if (trim_cell(header[i]) == wanted) return i;
  for (std::size_t i = 0; i < header.size(); ++i)
    if (text::iequals(trim_cell(header[i]), wanted)) return i;
  return std::nullopt;
}

}  // namespace pinsync::agent

// Cell-level helpers of the mapper: trimming, UTF-8 checks, spreadsheet error values,
// header lookup and bounding a cell for a RowError. Pure functions, no allocation
// unless they return a string.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinsync::agent {

// Returns `s` without surrounding ASCII whitespace and no-break spaces (U+00A0).
std::string_view trim_cell(std::string_view s);

// Returns true when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Returns the position of the first control character (U+0000–U+001F) other than tab,
// line feed and carriage return in `s`, or nullopt when there is none. Such a character
// (a NUL from a broken export, an escape sequence) must never reach an event's text.
std::optional<std::size_t> control_character(std::string_view s);

// Returns the number of code points in well-formed UTF-8 `s`.
std::size_t utf8_length(std::string_view s);

// Returns the error value when a trimmed cell shows a spreadsheet error such as #REF!
// or #N/A (case-insensitive), else nullopt.
std::optional<std::string_view> spreadsheet_error(std::string_view trimmed);

// Returns the cell as a RowError value: at most 200 bytes, cut at a character boundary,
// invalid UTF-8 bytes replaced with U+FFFD so the value is always safe to log or store.
std::string bounded_value(std::string_view cell);
// bounded_value in double quotes, as error messages show a cell.
std::string in_quotes(std::string_view cell);

// Returns the index of the header name equal to `name` after trimming both, else of the
// first one equal ignoring ASCII case, else nullopt.
std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view name);

}  // namespace pinsync::agent

// UTF-8 checks shared by the JSON writer, the mapper, messages and the store.
#pragma once

#include <cstddef>
#include <string_view>

namespace pinsync::utf8 {

// Returns the length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 when
// it is not one (overlongs, surrogates, values past U+10FFFF and truncation included).
std::size_t sequence_length(std::string_view s, std::size_t i);

// Returns true when all of `s` is well-formed UTF-8.
bool is_valid(std::string_view s);

// Returns the longest prefix of `s` of at most `max_bytes` bytes that does not split a
// multi-byte character.
std::string_view cut(std::string_view s, std::size_t max_bytes);

}  // namespace pinsync::utf8

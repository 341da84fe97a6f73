// Checks that say what they looked for: CHECK_CONTAINS(text, part) fails showing the part
// and the whole text, where CHECK(text.find(part) != npos) shows only "false". Each
// argument is evaluated once.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

// Passes when `haystack` contains `needle`.
#define CHECK_CONTAINS(haystack, needle)                                                              \
  do {                                                                                                \
    const std::string pinsync_haystack_{std::string_view(haystack)};                                  \
    const std::string pinsync_needle_{std::string_view(needle)};                                      \
    CHECK_MESSAGE(pinsync_haystack_.find(pinsync_needle_) != std::string::npos,                      \
                  "expected to find \"" << pinsync_needle_ << "\" in:\n" << pinsync_haystack_);       \
  } while (false)

// As CHECK_CONTAINS, but ends the test when `needle` is missing (what follows relies on it).
#define REQUIRE_CONTAINS(haystack, needle)                                                            \
  do {                                                                                                \
    const std::string pinsync_haystack_{std::string_view(haystack)};                                  \
    const std::string pinsync_needle_{std::string_view(needle)};                                      \
    REQUIRE_MESSAGE(pinsync_haystack_.find(pinsync_needle_) != std::string::npos,                    \
                    "expected to find \"" << pinsync_needle_ << "\" in:\n" << pinsync_haystack_);     \
  } while (false)

// Passes when `haystack` does not contain `needle`.
#define CHECK_NOT_CONTAINS(haystack, needle)                                                          \
  do {                                                                                                \
    const std::string pinsync_haystack_{std::string_view(haystack)};                                  \
    const std::string pinsync_needle_{std::string_view(needle)};                                      \
    CHECK_MESSAGE(pinsync_haystack_.find(pinsync_needle_) == std::string::npos,                      \
                  "expected no \"" << pinsync_needle_ << "\" in:\n" << pinsync_haystack_);            \
  } while (false)

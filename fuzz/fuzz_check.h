// The one assertion of the fuzz targets: an invariant that does not hold is a crash, which
// libFuzzer reports with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define PINSYNC_FUZZ_CHECK(condition)                                                          \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition);   \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)

// Coverage feedback for libFuzzer when the targets are built with g++ (see CMakeLists.txt):
// GCC calls __sanitizer_cov_trace_pc at every basic block; each call bumps a counter for the
// pair (previous block, this block) in the section libFuzzer reads as "extra counters".
#include <cstddef>
#include <cstdint>

namespace {

constexpr std::size_t k_counters = std::size_t{1} << 16;

// The linker names this section's bounds __start_/__stop___libfuzzer_extra_counters, which
// libFuzzer looks up; the array itself is never read here.
__attribute__((section("__libfuzzer_extra_counters"), used)) std::uint8_t g_counters[k_counters];

// Edges rather than blocks: the same block reached from two places counts twice.
thread_local std::uintptr_t t_previous = 0;

}  // namespace

// Not instrumented itself (it would call itself), and never checked by the sanitizers.
extern "C" __attribute__((no_sanitize_coverage, no_sanitize("address", "undefined"))) void __sanitizer_cov_trace_pc() {
  const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  const std::size_t slot = ((pc >> 1) ^ t_previous) & (k_counters - 1);
  t_previous = pc >> 2;
  ++g_counters[slot];
}

// GCC also reports float and double comparisons, which libFuzzer has no use for.
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpd(double, double) {}

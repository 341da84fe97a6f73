// This process's resource use, as Prometheus client libraries export it by default
// (process_cpu_seconds_total, process_resident_memory_bytes, …): read from the kernel at
// the moment of the call. Linux only; what cannot be read stays unset.
#pragma once

#include <cstdint>
#include <optional>

namespace pinsync {

struct ProcessStats {
  std::optional<double> cpu_seconds;                // user + system CPU time so far
  std::optional<std::uint64_t> resident_bytes;      // resident set size
  std::optional<std::uint64_t> virtual_bytes;       // virtual memory size
  std::optional<std::uint64_t> open_fds;            // open file descriptors
  std::optional<std::uint64_t> max_fds;             // the soft RLIMIT_NOFILE
};

ProcessStats read_process_stats();

}  // namespace pinsync

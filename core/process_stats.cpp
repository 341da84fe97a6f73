#include "core/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace pinsync {

ProcessStats read_process_stats() {
  ProcessStats stats;
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  // /proc/self/statm: total program size and resident set, in pages (proc(5)).
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  if (statm >> size_pages >> resident_pages && page > 0) {
    stats.virtual_bytes = size_pages * static_cast<std::uint64_t>(page);
    stats.resident_bytes = resident_pages * static_cast<std::uint64_t>(page);
  }
  std::error_code ec;
  std::uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  // The iterator's own descriptor is one of those counted.
  if (!ec && fds > 0) stats.open_fds = fds - 1;
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) stats.max_fds = files.rlim_cur;
  return stats;
}

}  // namespace pinsync

#include "state/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pinsync::state {

Result<std::unique_ptr<StateLock>> StateLock::acquire(const std::filesystem::path& state_path) {
  // The lock belongs to the file, not to the name it was reached by: two paths through a
  // symlinked folder (or a symlink to the state file) must meet at one lock.
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(state_path, ec);
  if (ec) canonical = std::filesystem::absolute(state_path, ec).lexically_normal();
  const std::string lock_path = canonical.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorKind::internal, "cannot create the lock file " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return fail(ErrorKind::internal, "cannot lock " + lock_path + ": " + std::strerror(error));
    }
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail(ErrorKind::conflict, "state file " + state_path.string() + " is in use by another pinsync (pid " +
                                       holder + ") — stop it first, or give this one its own state.path");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock is held all the same; only the message for a second process suffers.
  }
  return std::unique_ptr<StateLock>(new StateLock(fd));
}

StateLock::~StateLock() {
  // Closing the descriptor releases the lock; the file stays for the next holder.
  ::close(m_fd);
}

}  // namespace pinsync::state

// One pinsync process per state file: an exclusive advisory lock on "<state>.lock" next to
// the state file's real path (symlinks resolved, so every path to the file meets at one
// lock), held for the life of the StateLock, with the holder's pid written inside so a
// second process can say who has it.
#pragma once

#include <filesystem>
#include <memory>

#include "core/error.h"

namespace pinsync::state {

class StateLock {
 public:
  // Takes the lock for `state_path` without waiting. Returns the held lock, or
  // Error{conflict} "state file X is in use by pinsync pid N — …" when another process
  // holds it, or Error{internal} when the lock file cannot be created.
  static Result<std::unique_ptr<StateLock>> acquire(const std::filesystem::path& state_path);

  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  explicit StateLock(int fd) : m_fd(fd) {}
  int m_fd;
};

}  // namespace pinsync::state

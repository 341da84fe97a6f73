// Store::open: the state file made private, opened with SQLite and migrated. The one place
// that knows the store is SQLite.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "state/schema.h"
#include "state/sqlite_store.h"
#include "state/sqlite_util.h"
#include "state/store.h"

namespace pinsync::state {

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

// SQLite would create the file with the umask's mode (often 0644); creating it first
// with O_EXCL makes it private from its first byte. An existing file is left alone.
Result<void> create_private_file(const std::filesystem::path& path, const std::string& label) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail(ErrorKind::internal, label + ": cannot create: " + errno_text(errno) +
                                       " — check that the folder exists and is writable");
}

// The store holds event ids, request ids and cell values of partner sheets: readable by
// the owner only. A file someone made wider (copy, restore from backup) is narrowed —
// through its own descriptor, opened without following a symlink, so a link planted at
// the path can never make pinsync change the mode of another file.
Result<void> make_private(const std::filesystem::path& path, const std::string& label,
                          bool must_exist) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT && !must_exist) return {};
    if (error == ELOOP) {
      return fail(ErrorKind::internal, label + ": " + path.filename().string() +
                                           " is a symbolic link — point state.path at the file itself");
    }
    return fail(ErrorKind::internal, label + ": cannot open " + path.filename().string() + ": " +
                                         errno_text(error));
  }
  struct stat info {};
  Result<void> result;
  if (::fstat(fd, &info) != 0) {
    result = fail(ErrorKind::internal, label + ": cannot read " + path.filename().string() +
                                           "'s permissions: " + errno_text(errno));
  } else if (!S_ISREG(info.st_mode)) {
    result = fail(ErrorKind::internal, label + ": " + path.filename().string() +
                                           " is not a regular file — point state.path at a file");
  } else if ((info.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
    result = fail(ErrorKind::internal, label + ": cannot restrict " + path.filename().string() +
                                           " to mode 0600: " + errno_text(errno) +
                                           " — run pinsync as the file's owner");
  }
  ::close(fd);
  return result;
}

std::filesystem::path with_suffix(const std::filesystem::path& path, const char* suffix) {
  auto copy = path;
  copy += suffix;
  return copy;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, const Clock& clock) {
  return open(path, clock, StoreOptions{});
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, const Clock& clock,
                                           const StoreOptions& options) {
  const std::string label = "state file " + path.string();
  if (auto created = create_private_file(path, label); !created) {
    return std::unexpected(created.error());
  }
  if (auto narrowed = make_private(path, label, true); !narrowed) {
    return std::unexpected(narrowed.error());
  }
  // SQLite gives a new -wal and -shm the main file's mode, but a copied-in pair may be
  // wider. Narrowed before SQLite opens them, never after: closing any descriptor of a file
  // drops every POSIX lock this process holds on it, and without its lock on -shm another
  // process opening the store (the sqlite3 shell, a second pinsync) takes the shared memory
  // for unused, truncates it under this process's mapping (SIGBUS) and rebuilds it.
  for (const char* suffix : {"-wal", "-shm"}) {
    if (auto narrowed = make_private(with_suffix(path, suffix), label, false); !narrowed) {
      return std::unexpected(narrowed.error());
    }
  }
  try {
    // NOMUTEX: SqliteStore serializes every use of the connection with its own mutex, so
    // SQLite's per-call locking (one lock per column read) would be pure cost.
    auto db = std::make_unique<SQLite::Database>(path.string(),
                                                 SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX,
                                                 static_cast<int>(options.busy_timeout.count()));
    // Checked before anything is written, so a foreign or newer file stays untouched.
    const auto found = check_schema(*db, label);
    if (!found) return std::unexpected(found.error());

    // journal_mode persists in the file; synchronous and foreign_keys are per
    // connection and must be set on every open.
    const auto mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      return fail(ErrorKind::internal,
                  label + ": cannot switch to write-ahead logging (SQLite kept journal mode \"" +
                      mode + "\") — put the state file on a local file system");
    }
    db->exec("PRAGMA synchronous = FULL");

    // Off while migrating: rebuilding a referenced table must not cascade to its children.
    const auto version = migrate(*db, *found, label);
    if (!version) return std::unexpected(version.error());
    db->exec("PRAGMA foreign_keys = ON");

    // The file as it is now, with SQLite holding it open: what check_file() compares with.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      return fail(ErrorKind::internal, label + ": disappeared while it was being opened");
    }
    return std::make_unique<SqliteStore>(std::move(db), label, clock,
                                         SqliteStore::FileIdentity{path, info.st_dev, info.st_ino},
                                         options.sole_writer);
  } catch (const std::exception& e) {
    return std::unexpected(sqlite_failure(label, "cannot open", e));
  }
}

}  // namespace pinsync::state

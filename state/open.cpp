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
// the owner only. A file someone made wider (copy, restore from backup) is narrowed.
Result<void> make_private(const std::filesystem::path& path, const std::string& label,
                          bool must_exist) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT && !must_exist) return {};
    return fail(ErrorKind::internal, label + ": cannot read " + path.filename().string() +
                                         "'s permissions: " + errno_text(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return fail(ErrorKind::internal, label + ": " + path.filename().string() +
                                         " is not a regular file — point state.path at a file");
  }
  if ((info.st_mode & 077) != 0 && ::chmod(path.c_str(), 0600) != 0) {
    return fail(ErrorKind::internal, label + ": cannot restrict " + path.filename().string() +
                                         " to mode 0600: " + errno_text(errno) +
                                         " — run pinsync as the file's owner");
  }
  return {};
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

    // SQLite gives -wal and -shm the main file's mode, but a copied-in pair may be wider.
    for (const char* suffix : {"-wal", "-shm"}) {
      if (auto narrowed = make_private(with_suffix(path, suffix), label, false); !narrowed) {
        return std::unexpected(narrowed.error());
      }
    }
    return std::make_unique<SqliteStore>(std::move(db), label, clock, *version);
  } catch (const std::exception& e) {
    return std::unexpected(sqlite_failure(label, "cannot open", e));
  }
}

}  // namespace pinsync::state

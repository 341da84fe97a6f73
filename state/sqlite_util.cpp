#include "state/sqlite_util.h"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <string>

#include "core/utf8.h"

namespace pinsync::state {

namespace {

// The operator reads these; SQLite's own text says what, these say what to do.
std::string_view fix_for(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "is another pinsync process using this state file? Only one may write to it";
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return "make the file and its folder writable by the user running pinsync";
    case SQLITE_FULL: return "free disk space";
    case SQLITE_NOTADB:
      return "this is not a pinsync state file; move it away or point state.path elsewhere";
    case SQLITE_CORRUPT: return "the file is damaged; restore it from a backup or move it away";
    case SQLITE_CANTOPEN: return "check that the folder exists and is writable";
    case SQLITE_IOERR: return "the disk reported an I/O error; check it";
    default: return {};
  }
}

}  // namespace

Error sqlite_failure(std::string_view label, std::string_view doing, const std::exception& e) {
  std::string message(label);
  message += ": ";
  message += doing;
  message += ": ";
  message += e.what();
  if (const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e)) {
    const auto fix = fix_for(sqlite->getErrorCode());
    if (!fix.empty()) {
      message += " — ";
      message += fix;
    }
  }
  return Error{ErrorKind::internal, std::move(message)};
}

std::string_view cut_utf8(std::string_view value, std::size_t max_bytes) {
  return utf8::cut(value, max_bytes);
}

}  // namespace pinsync::state

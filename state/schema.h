// The state file's schema: an ordered list of migrations, one transaction each, with
// PRAGMA user_version recording how far a file has come and PRAGMA application_id
// marking it as pinsync's. Internal to state/; Store::open is its one user.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace SQLite {
class Database;
}

namespace pinsync::state {

// "PiSy": tells a pinsync state file from any other SQLite file.
inline constexpr std::int32_t k_application_id = 0x50695379;

// The schema version this pinsync writes (the number of migrations).
int latest_schema_version();

// Reads, without changing anything, whether `db` is empty or a pinsync store this
// pinsync can use. Returns the file's schema version (0 for an empty file), or
// Error{internal} starting with `label` when the file is not SQLite, not a pinsync
// store, or was written by a newer pinsync.
Result<int> check_schema(SQLite::Database& db, std::string_view label);

// Applies the migrations after version `from` up to `to` (0: the latest) in order, each
// in one transaction, and returns the version reached; on error the file stays at the
// last complete version. Run it with foreign_keys off: a migration may rebuild a table.
Result<int> migrate(SQLite::Database& db, int from, std::string_view label, int to = 0);

}  // namespace pinsync::state

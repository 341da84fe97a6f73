// Opening the state store: file creation and permissions, WAL, the schema version, and
// the files it must refuse (not SQLite, not pinsync's, from a newer pinsync).
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "store_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::state;
using namespace pinsync::state::test;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat info {};
  REQUIRE(::stat(p.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("open creates the file with mode 0600, WAL journaling and the latest schema version") {
  StoreFixture f;
  CHECK(mode_of(f.file) == 0600);
  auto raw = f.raw();
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == 9);
  // The store's first write creates the WAL pair; both must be private too.
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A2", RowState::invalid, "", "", ""));
  for (const char* suffix : {"-wal", "-shm"}) {
    auto side = f.file;
    side += suffix;
    REQUIRE(std::filesystem::exists(side));
    CHECK(mode_of(side) == 0600);
  }
}

TEST_CASE("open narrows an existing file that others could read to 0600") {
  TempDir dir;
  testing::FakeClock clock;
  const auto file = dir.path() / "state.db";
  std::ofstream(file).close();  // empty file: a valid, empty SQLite database
  REQUIRE(::chmod(file.c_str(), 0644) == 0);
  auto store = Store::open(file, clock);
  REQUIRE(store);
  CHECK(mode_of(file) == 0600);
  CHECK(file_schema_version(file) == 9);
}

TEST_CASE("open narrows a copied-in -wal and -shm pair that others could read to 0600") {
  TempDir dir;
  testing::FakeClock clock;
  const auto file = dir.path() / "state.db";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto path = file;
    path += suffix;
    std::ofstream(path).close();  // empty: a valid database, log and shared-memory file
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
  }
  auto store = Store::open(file, clock);
  REQUIRE(store);
  for (const char* suffix : {"-wal", "-shm"}) {
    auto side = file;
    side += suffix;
    CHECK(mode_of(side) == 0600);
  }
}

// Regression: the -wal/-shm pair was narrowed after SQLite had opened it, and closing that
// descriptor dropped SQLite's POSIX locks on -shm. The next process to open the store
// (the e2e tests poll it with the sqlite3 shell) then truncated the shared memory under
// pinsync's mapping: pinsync died of SIGBUS mid-sync. While a store is open, the byte
// SQLite uses to say "this shared memory is in use" (offset 128 of -shm) must stay locked.
TEST_CASE("an open store keeps its lock on the shared-memory file") {
  StoreFixture f;
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A2", RowState::invalid, "", "", ""));
  auto shm = f.file;
  shm += "-shm";
  const int fd = ::open(shm.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  // An open-file-description lock conflicts with the classic POSIX locks SQLite takes,
  // even in the same process: asking for a write lock shows whether SQLite still holds one.
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 128;
  probe.l_len = 1;
  REQUIRE(::fcntl(fd, F_OFD_GETLK, &probe) == 0);
  ::close(fd);
  CHECK(probe.l_type == F_RDLCK);
}

TEST_CASE("reopening keeps rows, outbox entries and runs") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  auto run = f.store->begin_run("acme", "cli");
  REQUIRE(run);
  f.store.reset();

  f.store = f.open_or_fail();
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  REQUIRE(row->has_value());
  CHECK((*row)->state == RowState::pending);
  auto entry = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(entry);
  CHECK(entry->has_value());
  auto runs = f.store->recent_runs("", 10);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().id == *run);
}

TEST_CASE("a store written by a newer pinsync is refused and left untouched") {
  StoreFixture f;
  f.store.reset();
  f.raw().exec("PRAGMA user_version = 99");

  auto opened = Store::open(f.file, f.clock);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().kind == ErrorKind::internal);
  const auto& message = opened.error().message;
  CHECK(message.find("state file " + f.file.string()) == 0);
  CHECK_CONTAINS(message, "was written by a newer pinsync");
  CHECK_CONTAINS(message, "99");
  CHECK(f.raw().execAndGet("PRAGMA user_version").getInt() == 99);
}

TEST_CASE("a file that is not SQLite is refused with a clear message") {
  TempDir dir;
  testing::FakeClock clock;
  const auto file = dir.path() / "state.db";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 200; ++i) out << "source_id,title,approved\n";
  }
  const auto size_before = std::filesystem::file_size(file);

  auto opened = Store::open(file, clock);
  REQUIRE_FALSE(opened);
  const auto& message = opened.error().message;
  CHECK(message.find("state file " + file.string() + ": is not a SQLite database") == 0);
  CHECK_CONTAINS(message, "state.path");
  CHECK(std::filesystem::file_size(file) == size_before);
}

TEST_CASE("a SQLite file of some other program is refused") {
  TempDir dir;
  testing::FakeClock clock;
  const auto file = dir.path() / "other.db";
  {
    SQLite::Database other(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)");
  }
  auto opened = Store::open(file, clock);
  REQUIRE_FALSE(opened);
  CHECK_CONTAINS(opened.error().message, "not a pinsync state file");
  SQLite::Database other(file.string(), SQLite::OPEN_READONLY);
  CHECK_FALSE(other.tableExists("source_rows"));
}

TEST_CASE("a state file in a missing folder is an error naming the file") {
  TempDir dir;
  testing::FakeClock clock;
  const auto file = dir.path() / "no-such-folder" / "state.db";
  auto opened = Store::open(file, clock);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().message.find("state file " + file.string() + ": cannot create") == 0);
  CHECK_CONTAINS(opened.error().message, "folder exists");
}

TEST_CASE("row states and write actions round-trip through their names") {
  for (auto s : {RowState::synced, RowState::pending, RowState::invalid, RowState::failed,
                 RowState::removed, RowState::needs_review, RowState::gone}) {
    CHECK(row_state_from_string(to_string(s)) == s);
  }
  CHECK(to_string(RowState::needs_review) == "needs_review");
  CHECK_FALSE(row_state_from_string("Synced").has_value());
  CHECK(to_string(WriteAction::create) == "create");
  CHECK(to_string(WriteAction::update) == "update");
}

TEST_CASE("a folder given as the state file is refused and left alone") {
  TempDir dir;
  testing::FakeClock clock;
  const auto folder = dir.path() / "state.db";
  std::filesystem::create_directory(folder);
  REQUIRE(::chmod(folder.c_str(), 0755) == 0);
  auto opened = Store::open(folder, clock);
  REQUIRE_FALSE(opened);
  CHECK_CONTAINS(opened.error().message, "is not a regular file");
  CHECK(mode_of(folder) == 0755);
}

// Regression: the target of a symlink at state.path was narrowed to 0600 before pinsync
// found out the path was not its file.
TEST_CASE("a symlink given as the state file is refused and its target left alone") {
  TempDir dir;
  testing::FakeClock clock;
  const auto target = dir.path() / "someone-elses.txt";
  std::ofstream(target) << "not pinsync's\n";
  REQUIRE(::chmod(target.c_str(), 0644) == 0);
  const auto link = dir.path() / "state.db";
  std::filesystem::create_symlink(target, link);
  auto opened = Store::open(link, clock);
  REQUIRE_FALSE(opened);
  CHECK_CONTAINS(opened.error().message, "is a symbolic link");
  CHECK(mode_of(target) == 0644);
  // A dangling link is refused the same way, and nothing is created behind it.
  const auto dangling = dir.path() / "other.db";
  std::filesystem::create_symlink(dir.path() / "nowhere.db", dangling);
  auto second = Store::open(dangling, clock);
  REQUIRE_FALSE(second);
  CHECK_CONTAINS(second.error().message, "is a symbolic link");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "nowhere.db"));
}

TEST_CASE("check_file notices the state file deleted or replaced under an open store") {
  StoreFixture f;
  CHECK(f.store->check_file().has_value());
  std::filesystem::rename(f.file, f.dir.path() / "moved.db");
  auto moved = f.store->check_file();
  REQUIRE_FALSE(moved);
  CHECK_CONTAINS(moved.error().message, "was deleted or moved away while pinsync was running");
  std::ofstream(f.file) << "restored from last week";
  auto replaced = f.store->check_file();
  REQUIRE_FALSE(replaced);
  CHECK_CONTAINS(replaced.error().message, "was replaced by another file");
  CHECK_CONTAINS(replaced.error().message, "pinsync backup");
}

TEST_CASE("backup_to writes a private, checked copy that opens as the same store, and never overwrites a file") {
  StoreFixture f;
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A2", RowState::invalid, "", "", ""));
  REQUIRE(set_row_state(*f.store, "acme", "E-2", "Sheet1!A3", RowState::invalid, "", "", ""));
  REQUIRE(f.store->set_pause("acme", "partner on holiday", "", PausedBy::operator_));
  const auto copy = f.file.parent_path() / "backup.db";
  auto rows = f.store->backup_to(copy);
  REQUIRE_MESSAGE(rows.has_value(), rows.error().message);
  CHECK(*rows == 2);
  CHECK(mode_of(copy) == 0600);

  // The original goes on; the copy is a store of its own, as it was.
  REQUIRE(set_row_state(*f.store, "acme", "E-3", "Sheet1!A4", RowState::invalid, "", "", ""));
  testing::FakeClock clock;
  auto restored = Store::open(copy, clock);
  REQUIRE_MESSAGE(restored.has_value(), restored.error().message);
  CHECK(file_schema_version(copy) == 9);
  auto kept = (*restored)->rows("acme");
  REQUIRE(kept);
  CHECK(kept->size() == 2);
  auto pause = (*restored)->pause("acme");
  REQUIRE(pause);
  REQUIRE(pause->has_value());
  CHECK((*pause)->by == PausedBy::operator_);
  // The copy says it is one (a state file put back from it looks for events before creating);
  // the live file does not.
  auto mark = (*restored)->fact("acme", k_recovery_fact);
  REQUIRE(mark);
  REQUIRE(mark->has_value());
  CHECK((*mark)->starts_with("backup "));
  CHECK_FALSE(f.store->fact("acme", k_recovery_fact)->has_value());

  const auto again = f.store->backup_to(copy);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().kind == ErrorKind::invalid);
  CHECK_CONTAINS(again.error().message, "already exists — a backup never overwrites a file");
  CHECK((*restored)->rows("acme")->size() == 2);  // untouched
}

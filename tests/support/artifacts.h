// What the programs under test wrote, kept for scripts/secrets_scan.sh: when the environment
// names a folder in PINSYNC_TEST_ARTIFACTS, the process helpers save pinsync's stdout and
// stderr there and TempDir saves the state files it is about to remove. Header-only, so
// unit tests (which use TempDir) need no extra library.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace pinsync::test {

// Returns the folder named by PINSYNC_TEST_ARTIFACTS (created if missing), or nullopt when
// the variable is unset or empty.
inline std::optional<std::filesystem::path> artifacts_dir() {
  const char* dir = std::getenv("PINSYNC_TEST_ARTIFACTS");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return std::filesystem::path(dir);
}

// Returns a file name in the artifacts folder no other test process or call uses:
// "<pid>-<n>-<label>".
inline std::filesystem::path artifact_path(const std::filesystem::path& dir, std::string_view label) {
  static std::atomic<int> counter{0};
  std::string name = std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-";
  for (char c : label) name += (c == '/' || c == '\0') ? '_' : c;
  return dir / name;
}

// Saves `text` as a new artifact named after `label`; does nothing when the text is empty
// or no artifacts folder is set.
inline void keep_artifact(std::string_view label, std::string_view text) {
  const auto dir = artifacts_dir();
  if (!dir || text.empty()) return;
  std::ofstream out(artifact_path(*dir, label), std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// Saves pinsync's output when `argv0` is the pinsync program (other programs, such as the
// sandbox, know the test secrets by design).
inline void keep_pinsync_output(std::string_view argv0, std::string_view out, std::string_view err) {
  if (std::filesystem::path(argv0).filename() != "pinsync") return;
  keep_artifact("pinsync.stdout", out);
  keep_artifact("pinsync.stderr", err);
}

// Copies what pinsync leaves in `folder` — state files (*.db, *.db-wal, *.db-journal) and
// logs (*.log) — into the artifacts folder; does nothing when none is set. Never throws.
inline void keep_state_files(const std::filesystem::path& folder) {
  const auto dir = artifacts_dir();
  if (!dir) return;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    const std::string name = p.filename().string();
    if (!it->is_regular_file(ec)) continue;
    if (name.ends_with(".db") || name.ends_with(".db-wal") || name.ends_with(".db-journal") || name.ends_with(".log")) {
      std::filesystem::copy_file(p, artifact_path(*dir, name), ec);
    }
  }
}

}  // namespace pinsync::test

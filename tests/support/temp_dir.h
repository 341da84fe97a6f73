// A fresh temporary folder per test, removed when the test ends; set
// PINSYNC_KEEP_TEST_DIRS=1 to keep them for a look (their paths are printed). State files
// and logs in it are first saved for the secrets scan when PINSYNC_TEST_ARTIFACTS is set
// (artifacts.h).
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/artifacts.h"

namespace pinsync::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pinsync-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) FAIL("cannot create a temporary folder");
    m_path = pattern;
  }
  ~TempDir() {
    pinsync::test::keep_state_files(m_path);
    if (std::getenv("PINSYNC_KEEP_TEST_DIRS") != nullptr) {
      MESSAGE("kept " << m_path.string());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  // Writes `text` to `name` inside the folder and returns the full path.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto p = m_path / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    return p;
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace pinsync::testing

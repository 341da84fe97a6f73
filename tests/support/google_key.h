// A Google service-account key for tests: an RSA key made once per run and a key file
// in Google's JSON format pointing at a chosen token endpoint (the sandbox's /token).
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace pinsync::testing::google {

// A 2048-bit RSA key made once per run: its PKCS#8 private PEM and its public PEM.
struct TestKey {
  std::string private_pem;
  std::string public_pem;
};
const TestKey& test_key();

// Writes "beta-sa.json" into `dir`: a service-account key file for `email` with the test
// key and `token_uri`. Returns its path.
std::filesystem::path write_key_file(const TempDir& dir, const std::string& email, const std::string& token_uri);

}  // namespace pinsync::testing::google

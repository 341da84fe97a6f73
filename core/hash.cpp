#include "core/hash.h"

#include <openssl/evp.h>

#include "core/error.h"

namespace pinsync {

namespace {

// Fetched once: an implicit fetch per call costs more than hashing a payload. OpenSSL's
// SHA-256 uses the CPU's SHA extensions; Poco's portable one was 15x slower, which
// mattered at 100k rows per pass.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  PINSYNC_ASSERT(md != nullptr);
  return md;
}

}  // namespace

void sha256_hex(std::string_view data, std::string& out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &length, sha256_md(), nullptr);
  PINSYNC_ASSERT(ok == 1 && length == 32);
  constexpr char k_hex[] = "0123456789abcdef";
  out.resize(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = k_hex[digest[i] >> 4];
    out[2 * i + 1] = k_hex[digest[i] & 0x0F];
  }
}

std::string sha256_hex(std::string_view data) {
  std::string out;
  sha256_hex(data, out);
  return out;
}

}  // namespace pinsync

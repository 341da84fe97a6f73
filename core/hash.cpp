#include "core/hash.h"

#include <algorithm>
#include <memory>

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

// One digest context per thread, reused: EVP_Digest makes and frees one per call, which
// cost as much as hashing a row's cells.
void sha256(std::string_view data, unsigned char (&digest)[32]) {
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  PINSYNC_ASSERT(context != nullptr);
  unsigned int length = 0;
  const bool ok = EVP_DigestInit_ex2(context.get(), sha256_md(), nullptr) == 1 &&
                  EVP_DigestUpdate(context.get(), data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(context.get(), digest, &length) == 1;
  PINSYNC_ASSERT(ok && length == 32);
}

}  // namespace

void sha256_hex(std::string_view data, std::string& out) {
  unsigned char digest[32];
  sha256(data, digest);
  constexpr char k_hex[] = "0123456789abcdef";
  out.resize(2 * sizeof digest);
  for (std::size_t i = 0; i < sizeof digest; ++i) {
    out[2 * i] = k_hex[digest[i] >> 4];
    out[2 * i + 1] = k_hex[digest[i] & 0x0F];
  }
}

Digest128 sha256_128(std::string_view data) {
  unsigned char digest[32];
  sha256(data, digest);
  Digest128 out;
  std::copy_n(digest, out.size(), out.begin());
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::string out;
  sha256_hex(data, out);
  return out;
}

}  // namespace pinsync

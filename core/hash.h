// Content hashes used to notice that a payload changed (payload_hash, idempotency keys).
// SHA-256 through OpenSSL; pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pinsync {

// Returns the SHA-256 of `data` as 64 lower-case hex digits. Always succeeds.
std::string sha256_hex(std::string_view data);
// As above, into `out` (its storage reused: no allocation once it has held a hash).
void sha256_hex(std::string_view data, std::string& out);

// The first 128 bits of a SHA-256: a compact digest kept per row where hex text is not needed.
using Digest128 = std::array<std::uint8_t, 16>;
// Returns the first 128 bits of the SHA-256 of `data`. Always succeeds.
Digest128 sha256_128(std::string_view data);

}  // namespace pinsync

// Content hashes used to notice that a payload changed (payload_hash, idempotency keys).
// SHA-256 through OpenSSL; pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pinsync {

// Returns the SHA-256 of `data` as 64 lower-case hex digits. Always succeeds.
std::string sha256_hex(std::string_view data);
// As above, into `out` (its storage reused: no allocation once it has held a hash).
void sha256_hex(std::string_view data, std::string& out);

}  // namespace pinsync

// Idempotency keys: derived only from stable source identity and the action, never
// from time or chance, so a retry after a crash sends the same key.
#pragma once

#include <string>
#include <string_view>

namespace pinsync::agent {

// "pinsync-<source>-<source_id>-create", sanitised to [A-Za-z0-9._-] and at most 120
// characters; an id that had to be changed or shortened gets a hash suffix so two
// different ids never share a key.
std::string create_key(std::string_view source, std::string_view source_id);
// "pinsync-<source>-<source_id>-update-<first 16 hex of payload_hash>", same rules.
std::string update_key(std::string_view source, std::string_view source_id, std::string_view payload_hash);

}  // namespace pinsync::agent

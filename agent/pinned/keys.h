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
// The keys of on_removed: draft's own updates, never any other write's:
// "pinsync-<source>-<source_id>-unpublish-<writes>" takes a removed row's event down to draft;
// "pinsync-<source>-<source_id>-republish-<writes>-<first 16 hex of payload_hash>" brings a
// returning row's event back. `writes` counts the successful writes the row has had so far:
// the same while a request is retried (a failure or a lost answer adds none), one more for
// each later unpublish or republish, so taking an event down a second time is never answered
// from the first time's idempotency cache.
std::string unpublish_key(std::string_view source, std::string_view source_id, int writes);
std::string republish_key(std::string_view source, std::string_view source_id, int writes,
                          std::string_view payload_hash);
// True for a key unpublish_key or republish_key made.
bool is_status_key(std::string_view key);

}  // namespace pinsync::agent

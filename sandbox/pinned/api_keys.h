// API keys and channels the emulated Pinned Events account knows: which scopes each key
// carries and which channels its owner may use. Parsed from --key / --channel flags.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pinsync_sandbox {

enum class Scope { channels_read, events_create, events_read, events_update, media_create };

// Returns the scope named `name` ("events:create"), or nullopt for an unknown name.
std::optional<Scope> parse_scope(std::string_view name);
// Returns the documented name of the scope.
std::string_view to_string(Scope scope);

struct ApiKey {
  std::string secret;                 // the bearer value; never printed
  std::set<Scope> scopes;
  std::set<std::int64_t> channels;    // channel ids the key owner may use
};

struct Channel {
  std::int64_t id = 0;
  std::string name;
  std::string slug;
};

// Returns the default key `sandbox-key`: all five scopes, channels 42 and 43.
ApiKey default_key();
// Returns the default channels 42 and 43.
std::vector<Channel> default_channels();

// Parses "KEY=SCOPE,SCOPE@CHANNEL,CHANNEL" (either list may be empty). Returns the key, or a
// message naming the problem (without the secret) when the spec is malformed.
std::expected<ApiKey, std::string> parse_key_spec(std::string_view spec);

// Parses "ID=NAME". Returns the channel (slug derived from the name) or a message.
std::expected<Channel, std::string> parse_channel_spec(std::string_view spec);

}  // namespace pinsync_sandbox

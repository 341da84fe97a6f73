// Command-line options of pinsync-sandbox: where to listen, which keys and channels exist,
// and the startup fault settings (the same knobs as POST /_sandbox/faults).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "sandbox/airtable/config.h"
#include "sandbox/google/settings.h"
#include "sandbox/http/server.h"
#include "sandbox/pinned/api_keys.h"
#include "sandbox/pinned/faults.h"

namespace pinsync_sandbox {

struct Options {
  ServerOptions server;
  std::vector<ApiKey> keys;          // the default key first, then --key in order
  std::vector<Channel> channels;     // 42 and 43, then --channel in order
  FaultSettings faults;
  std::vector<AirtableToken> airtable_tokens;  // sandbox-airtable-token first, then --airtable-token
  AirtableSettings airtable;
  GoogleSettings google;             // --google-* and --sheets-*-quota-per-minute
  std::uint64_t seed = 0;            // 0: random
  bool help = false;
};

// Parses argv. Returns the options, or a message naming the bad flag and how to fix it.
std::expected<Options, std::string> parse_options(const std::vector<std::string>& args);

// Returns the --help text.
std::string usage();

}  // namespace pinsync_sandbox

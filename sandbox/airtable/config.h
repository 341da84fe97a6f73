// Who may call the emulated Airtable API and how strict it is: personal access tokens with
// scopes and base access (from --airtable-token), and the tunable limits (rate limit, 429
// penalty, offset lifetime) shared by the flags and POST /_sandbox/airtable/settings.
#pragma once

#include <expected>
#include <set>
#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

namespace pinsync_sandbox {

struct AirtableToken {
  std::string secret;             // the bearer value; never printed
  std::set<std::string> scopes;   // e.g. "data.records:read"
  bool every_base = false;        // true: any base; otherwise only `bases`
  std::set<std::string> bases;    // app… ids
};

// Returns `sandbox-airtable-token`: data.records:read and data.records:write on every base.
AirtableToken default_airtable_token();

// Parses "TOKEN=SCOPE,SCOPE@BASE,BASE". Without "@…" or with "@*" the token reaches every base;
// "@" followed by nothing reaches none. Returns the token, or a message (never containing the
// secret) naming an unknown scope or a malformed base id.
std::expected<AirtableToken, std::string> parse_airtable_token_spec(std::string_view spec);

// The base permission of the user behind every token: only a creator may add select options
// (typecast); an editor's typecast write of a new option is INVALID_MULTIPLE_CHOICE_OPTIONS.
enum class AirtableRole { creator, editor };

struct AirtableSettings {
  double requests_per_second = 5;       // per base, all tokens together; 0 = unlimited
  double requests_per_second_per_token = 50;  // per token, all bases together; 0 = unlimited
  AirtableRole user_role = AirtableRole::creator;
  double rate_limit_wait_seconds = 30;  // how long a base answers 429 once over the limit
  double offset_ttl_seconds = 300;      // lifetime of a list offset on the Airtable clock
  int unknown_table_status = 403;       // 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND or 404 TABLE_NOT_FOUND
};

// Applies the keys of `patch` that name settings (requests_per_second,
// requests_per_second_per_token, rate_limit_wait_seconds, offset_ttl_seconds,
// unknown_table_status, user_role) to `current`; other keys are left for the caller.
// Returns the new settings, or a message naming the bad key and the allowed range.
std::expected<AirtableSettings, std::string> apply_airtable_settings(AirtableSettings current,
                                                                     const Poco::JSON::Object& patch);

// Returns true when `key` is one of the setting names above.
bool is_airtable_setting(std::string_view key);

// Returns true for "app" + 14 letters/digits.
bool is_airtable_base_id(std::string_view id);

}  // namespace pinsync_sandbox

#include "sandbox/airtable/config.h"

#include <cctype>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_scopes[] = {
    "data.records:read",        "data.records:write", "data.recordComments:read", "data.recordComments:write",
    "schema.bases:read",        "schema.bases:write", "webhook:manage",           "block:manage",
    "user.email:read",
};

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    out.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

struct Range {
  const char* key;
  double low;
  double high;
};

constexpr Range k_ranges[] = {
    {"requests_per_second", 0, 10000},
    {"requests_per_second_per_token", 0, 10000},
    {"rate_limit_wait_seconds", 0, 3600},
    {"offset_ttl_seconds", 0, 86400},
    {"unknown_table_status", 403, 404},
};

}  // namespace

bool is_airtable_base_id(std::string_view id) {
  if (id.size() != 17 || id.substr(0, 3) != "app") return false;
  for (char c : id.substr(3)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

AirtableToken default_airtable_token() {
  return AirtableToken{"sandbox-airtable-token", {"data.records:read", "data.records:write"}, true, {}};
}

std::expected<AirtableToken, std::string> parse_airtable_token_spec(std::string_view spec) {
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return std::unexpected("--airtable-token: expected TOKEN=SCOPE,SCOPE@BASE,BASE (e.g. "
                           "patRO=data.records:read@appA1b2C3d4E5f6G7)");
  }
  AirtableToken token;
  token.secret = std::string(spec.substr(0, eq));
  std::string_view rest = spec.substr(eq + 1);
  auto at = rest.find('@');
  std::string_view scopes = rest.substr(0, at);
  for (const std::string& scope : split(scopes, ',')) {
    bool known = false;
    for (std::string_view s : k_scopes) known = known || scope == s;
    if (!known) {
      return std::unexpected("--airtable-token: unknown scope \"" + scope +
                             "\"; known: data.records:read, data.records:write, schema.bases:read, …");
    }
    token.scopes.insert(scope);
  }
  if (at == std::string_view::npos || rest.substr(at + 1) == "*") {
    token.every_base = true;
    return token;
  }
  for (const std::string& base : split(rest.substr(at + 1), ',')) {
    if (!is_airtable_base_id(base)) {
      return std::unexpected("--airtable-token: \"" + base + "\" is not a base id; expected app + 14 letters/digits");
    }
    token.bases.insert(base);
  }
  return token;
}

bool is_airtable_setting(std::string_view key) {
  if (key == "user_role") return true;
  for (const Range& r : k_ranges) {
    if (key == r.key) return true;
  }
  return false;
}

std::expected<AirtableSettings, std::string> apply_airtable_settings(AirtableSettings current,
                                                                     const Poco::JSON::Object& patch) {
  if (patch.has("user_role")) {
    auto role = json_type(patch.get("user_role")) == JsonType::string ? patch.getValue<std::string>("user_role") : "";
    if (role != "creator" && role != "editor") return std::unexpected(std::string("user_role: expected \"creator\" or \"editor\""));
    current.user_role = role == "creator" ? AirtableRole::creator : AirtableRole::editor;
  }
  for (const Range& r : k_ranges) {
    if (!patch.has(r.key)) continue;
    auto n = as_number(patch.get(r.key));
    if (!n || *n < r.low || *n > r.high) {
      return std::unexpected(std::string(r.key) + ": expected a number from " + std::to_string(static_cast<int>(r.low)) +
                             " to " + std::to_string(static_cast<int>(r.high)));
    }
    std::string_view key = r.key;
    if (key == "requests_per_second") current.requests_per_second = *n;
    if (key == "requests_per_second_per_token") current.requests_per_second_per_token = *n;
    if (key == "rate_limit_wait_seconds") current.rate_limit_wait_seconds = *n;
    if (key == "offset_ttl_seconds") current.offset_ttl_seconds = *n;
    if (key == "unknown_table_status") {
      if (*n != 403 && *n != 404) return std::unexpected("unknown_table_status: expected 403 or 404");
      current.unknown_table_status = static_cast<int>(*n);
    }
  }
  return current;
}

}  // namespace pinsync_sandbox

#include "sandbox/pinned/api_keys.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::array<std::pair<Scope, std::string_view>, 5> k_scope_names{{
    {Scope::channels_read, "channels:read"},
    {Scope::events_create, "events:create"},
    {Scope::events_read, "events:read"},
    {Scope::events_update, "events:update"},
    {Scope::media_create, "media:create"},
}};

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), id);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string slugify(std::string_view name) {
  std::string slug;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      slug += ascii_lower(c);
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace

std::optional<Scope> parse_scope(std::string_view name) {
  for (const auto& [scope, text] : k_scope_names) {
    if (text == name) return scope;
  }
  return std::nullopt;
}

std::string_view to_string(Scope scope) {
  for (const auto& [s, text] : k_scope_names) {
    if (s == scope) return text;
  }
  return "unknown";
}

ApiKey default_key() {
  ApiKey key;
  key.secret = "sandbox-key";
  for (const auto& entry : k_scope_names) key.scopes.insert(entry.first);
  key.channels = {42, 43};
  return key;
}

std::vector<Channel> default_channels() {
  return {
      {42, "Valencia Live Music", "valencia-live-music"},
      {43, "Lisbon Comedy Nights", "lisbon-comedy-nights"},
  };
}

std::expected<ApiKey, std::string> parse_key_spec(std::string_view spec) {
  const std::string_view usage = "expected KEY=SCOPE,SCOPE@CHANNEL,CHANNEL";
  std::size_t eq = spec.find('=');
  std::size_t at = spec.rfind('@');
  if (eq == std::string_view::npos || eq == 0 || at == std::string_view::npos || at < eq) {
    return std::unexpected("--key: " + std::string(usage));
  }
  ApiKey key;
  key.secret = std::string(spec.substr(0, eq));
  for (std::string_view name : split(spec.substr(eq + 1, at - eq - 1), ',')) {
    auto scope = parse_scope(name);
    if (!scope) {
      return std::unexpected("--key: unknown scope \"" + std::string(name) +
                             "\"; known: channels:read, events:create, events:read, "
                             "events:update, media:create");
    }
    key.scopes.insert(*scope);
  }
  for (std::string_view text : split(spec.substr(at + 1), ',')) {
    auto id = parse_id(text);
    if (!id) {
      return std::unexpected("--key: channel \"" + std::string(text) +
                             "\" is not a positive integer; " + std::string(usage));
    }
    key.channels.insert(*id);
  }
  return key;
}

std::expected<Channel, std::string> parse_channel_spec(std::string_view spec) {
  std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq + 1 >= spec.size()) {
    return std::unexpected(std::string("--channel: expected ID=NAME, e.g. 44=Porto Jazz Club"));
  }
  auto id = parse_id(spec.substr(0, eq));
  if (!id) return std::unexpected(std::string("--channel: ID must be a positive integer"));
  std::string name(spec.substr(eq + 1));
  return Channel{*id, name, slugify(name)};
}

}  // namespace pinsync_sandbox

#include "agent/config/reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>

#include "core/datetime.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

bool is_var_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_var_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// True when `raw` is exactly one ${NAME} reference (surrounding blanks allowed): the only
// form a secret may take in the file.
std::optional<std::string> sole_reference(std::string_view raw) {
  const std::string t(text::trim(raw));
  if (t.size() < 4 || !t.starts_with("${") || t.back() != '}') return std::nullopt;
  const std::string name = t.substr(2, t.size() - 3);
  if (name.empty() || !is_var_start(name[0])) return std::nullopt;
  if (!std::all_of(name.begin(), name.end(), is_var_char)) return std::nullopt;
  return name;
}

bool is_secret_key(std::string_view key) {
  static constexpr std::string_view k_names[] = {
      "token",  "api_key",       "apikey",        "secret",      "password",
      "passwd", "access_token",  "refresh_token", "client_secret", "private_key"};
  const std::string lower = text::ascii_lower(key);
  return std::find(std::begin(k_names), std::end(k_names), lower) != std::end(k_names) ||
         lower.ends_with("_token") || lower.ends_with("_secret") || lower.ends_with("_password");
}

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (const auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

const char* type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping (key: value pairs)";
    case YAML::NodeType::Null: return "nothing";
    default: return "a single value";
  }
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string quote_value(std::string_view text) {
  constexpr std::size_t k_max = 60;
  if (text.size() <= k_max) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, k_max)) + "…\"";
}

std::optional<std::string_view> did_you_mean(std::string_view word,
                                             std::span<const std::string_view> candidates) {
  const std::string lower = text::ascii_lower(word);
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto c : candidates) {
    const std::size_t d = text::edit_distance(lower, text::ascii_lower(c));
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (best) return best;
  // A prefix match catches shortened or extended keys ("timeout" for "timeout_seconds")
  // that are too far apart by edit distance.
  if (lower.size() < 3) return std::nullopt;
  for (const auto c : candidates) {
    const std::string candidate = text::ascii_lower(c);
    if (candidate.starts_with(lower) ||
        (candidate.size() >= 3 && lower.starts_with(candidate))) {
      return c;
    }
  }
  return std::nullopt;
}

std::optional<ConfigItem> ConfigMap::find(std::string_view key) const {
  for (const auto& [k, item] : m_entries) {
    if (k == key) {
      if (item.node.IsNull()) return std::nullopt;
      return item;
    }
  }
  return std::nullopt;
}

std::string ConfigMap::path_of(std::string_view key) const { return child_path(m_self.path, key); }

void ConfigReader::fail(int line, std::string_view path, std::string_view what,
                        std::string_view fix) const {
  throw Error{ErrorKind::config, message(line, path, what, fix)};
}

std::string ConfigReader::message(int line, std::string_view path, std::string_view what,
                                  std::string_view fix) const {
  std::string out = m_file + ":" + std::to_string(line) + ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += what;
  if (!fix.empty()) {
    out += " — ";
    out += fix;
  }
  return out;
}

void ConfigReader::missing(const ConfigMap& map, std::string_view key, std::string_view fix) const {
  fail(map.self().line, map.path_of(key), "missing", fix);
}

ConfigMap ConfigReader::map(const ConfigItem& item) const {
  if (!item.node.IsMap()) {
    fail(item, std::string("expected a mapping (key: value pairs), found ") + type_name(item.node),
         "indent the keys under it, one per line");
  }
  std::vector<std::pair<std::string, ConfigItem>> entries;
  // Copies, not references: yaml-cpp's iterator hands out a temporary pair, so a
  // reference to it->first would dangle.
  for (const auto& entry : item.node) {
    const YAML::Node key = entry.first;
    const int line = key.Mark().is_null() ? item.line : key.Mark().line + 1;
    if (!key.IsScalar()) {
      fail(line, item.path, "a key must be a plain word, found " + std::string(type_name(key)),
           "check the indentation and the colons");
    }
    const std::string name = key.Scalar();
    for (const auto& [seen, seen_item] : entries) {
      if (seen == name) {
        fail(line, child_path(item.path, name),
             "appears twice (also on line " + std::to_string(seen_item.line) + ")",
             "keep only one of them");
      }
    }
    entries.emplace_back(name, ConfigItem{entry.second, child_path(item.path, name), line});
  }
  return ConfigMap(item, std::move(entries));
}

ConfigMap ConfigReader::map(const ConfigItem& item, std::span<const std::string_view> allowed) const {
  ConfigMap result = map(item);
  check_keys(result, allowed);
  return result;
}

void ConfigReader::check_keys(const ConfigMap& map, std::span<const std::string_view> allowed) const {
  for (const auto& [key, item] : map.entries()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    if (const auto suggestion = did_you_mean(key, allowed)) {
      fail(item, "unknown key", "did you mean \"" + std::string(*suggestion) + "\"?");
    }
    fail(item, "unknown key", "the keys allowed here are: " + join(allowed));
  }
}

std::vector<ConfigItem> ConfigReader::list(const ConfigItem& item) const {
  std::vector<ConfigItem> items;
  if (item.node.IsScalar()) {
    items.push_back(item);
    return items;
  }
  if (!item.node.IsSequence()) {
    fail(item, std::string("expected a list, found ") + type_name(item.node),
         "write the items as [a, b] or one per line starting with \"- \"");
  }
  std::size_t index = 0;
  for (const auto& element : item.node) {
    const int line = element.Mark().is_null() ? item.line : element.Mark().line + 1;
    items.push_back(ConfigItem{element, index_path(item.path, index), line});
    ++index;
  }
  return items;
}

ConfigScalar ConfigReader::scalar(const ConfigItem& item) const {
  if (!item.node.IsScalar()) {
    fail(item, std::string("expected a single value, found ") + type_name(item.node),
         "write one value after the colon");
  }
  ConfigScalar result;
  result.raw = item.node.Scalar();
  const std::string& raw = result.raw;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t start = raw.find("${", pos);
    if (start == std::string::npos) {
      result.value.append(raw, pos);
      break;
    }
    result.value.append(raw, pos, start - pos);
    const std::size_t end = raw.find('}', start + 2);
    if (end == std::string::npos) {
      fail(item, "a ${ has no closing }", "write environment references as ${NAME}");
    }
    const std::string name = raw.substr(start + 2, end - start - 2);
    if (name.empty() || !is_var_start(name[0]) ||
        !std::all_of(name.begin(), name.end(), is_var_char)) {
      fail(item, "${" + name + "} is not a valid environment variable reference",
           "use letters, digits and _ only, starting with a letter, e.g. ${PARTNER_CSV_URL}");
    }
    const std::optional<std::string> value = m_env ? m_env(name) : std::nullopt;
    if (!value && m_unset != nullptr) {
      // Deferred: whether it matters depends on what the command uses (load_config).
      const bool known = std::any_of(m_unset->begin(), m_unset->end(), [&](const UnsetVariable& u) {
        return u.path == item.path && u.name == name;
      });
      if (!known) {
        m_unset->push_back({name, item.path,
                            message(item.line, item.path, "environment variable " + name + " is not set",
                                    "export it or put it in the service's environment file")});
      }
      result.unset = true;
      pos = end + 1;
      continue;
    }
    if (!value) {
      fail(item, "environment variable " + name + " is not set",
           "export it or put it in the service's environment file");
    }
    result.value += *value;
    pos = end + 1;
  }
  return result;
}

std::string ConfigReader::text(const ConfigItem& item) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return std::string(text::trim(s.raw));
  std::string value(text::trim(s.value));
  if (value.empty()) fail(item, "is empty", "give it a value or remove the key");
  return value;
}

std::optional<std::string> ConfigReader::optional_text(const ConfigMap& map,
                                                       std::string_view key) const {
  const auto item = map.find(key);
  if (!item) return std::nullopt;
  return text(*item);
}

std::string ConfigReader::required_text(const ConfigMap& map, std::string_view key,
                                        std::string_view fix) const {
  return text(required(map, key, fix));
}

ConfigItem ConfigReader::required(const ConfigMap& map, std::string_view key,
                                  std::string_view fix) const {
  auto item = map.find(key);
  if (item) return *item;
  // `key:` with nothing after it: point at the key itself rather than at its parent.
  for (const auto& [k, given] : map.entries()) {
    if (k == key) fail(given, "has no value", fix);
  }
  missing(map, key, fix);
}

std::int64_t ConfigReader::integer(const ConfigItem& item, std::int64_t min, std::int64_t max,
                                   std::string_view unit) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return min;
  const std::string value(text::trim(s.value));
  std::string range = max == std::numeric_limits<std::int64_t>::max()
                          ? "a whole number of at least " + std::to_string(min)
                          : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!unit.empty()) range += " (" + std::string(unit) + ")";
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
    fail(item, quote_value(s.raw) + " is not a whole number", "write " + range);
  }
  if (n < min || n > max) fail(item, quote_value(s.raw) + " is out of range", "write " + range);
  return n;
}

double ConfigReader::number(const ConfigItem& item, double min, double max) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return min;
  const std::string value(text::trim(s.value));
  double n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  char range[96];
  std::snprintf(range, sizeof range, "write a number from %g to %g", min, max);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size() ||
      !std::isfinite(n)) {
    fail(item, quote_value(s.raw) + " is not a number", range);
  }
  if (n < min || n > max) fail(item, quote_value(s.raw) + " is out of range", range);
  return n;
}

std::size_t ConfigReader::choice(const ConfigItem& item,
                                 std::span<const std::string_view> choices) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return 0;
  const std::string value = text::ascii_lower(text::trim(s.value));
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (text::ascii_lower(choices[i]) == value) return i;
  }
  std::string fix = "write one of: " + join(choices);
  if (const auto suggestion = did_you_mean(value, choices)) {
    fix = "did you mean \"" + std::string(*suggestion) + "\"? (" + fix + ")";
  }
  fail(item, quote_value(s.raw) + " is not allowed here", fix);
}

std::string ConfigReader::secret(const ConfigItem& item, std::string_view suggested_var) const {
  const std::string key = item.path.substr(item.path.find_last_of('.') + 1);
  if (!item.node.IsScalar()) {
    fail(item, std::string("expected a single value, found ") + type_name(item.node),
         "write " + key + ": ${" + std::string(suggested_var) + "}");
  }
  const auto name = sole_reference(item.node.Scalar());
  if (!name) {
    fail(item, "secrets may not be written in the config file",
         "put the value in an environment variable and write " + key + ": ${" +
             std::string(suggested_var) + "}");
  }
  const ConfigScalar s = scalar(item);
  if (s.unset) return "";
  std::string value = s.value;
  if (text::trim(value).empty()) {
    fail(item, "environment variable " + *name + " is empty",
         "set it to the secret in the service's environment file");
  }
  return value;
}

std::string ConfigReader::url(const ConfigItem& item) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return "";
  std::string value(text::trim(s.value));
  const std::string lower = text::ascii_lower(value);
  const std::size_t scheme = lower.starts_with("https://") ? 8 : lower.starts_with("http://") ? 7 : 0;
  if (scheme == 0) {
    fail(item, quote_value(s.raw) + " is not a web address", "it must start with http:// or https://");
  }
  while (value.size() > scheme && value.back() == '/') value.pop_back();
  if (value.size() == scheme || value[scheme] == '/') {
    fail(item, quote_value(s.raw) + " has no host name", "write e.g. https://host.example");
  }
  if (std::ranges::any_of(value, text::is_space)) {
    fail(item, quote_value(s.raw) + " contains spaces", "encode spaces as %20");
  }
  return value;
}

std::filesystem::path ConfigReader::path(const ConfigItem& item) const {
  const ConfigScalar s = scalar(item);
  const std::string value(text::trim(s.unset ? s.raw : s.value));
  if (value.empty()) fail(item, "is empty", "write a file path");
  if (value.starts_with("~")) {
    fail(item, quote_value(s.raw) + ": ~ is not expanded here",
         "write the full path, or a path relative to the config file's folder");
  }
  std::filesystem::path p(value);
  if (p.is_relative()) p = m_base_dir / p;
  return p.lexically_normal();
}

std::string ConfigReader::timezone(const ConfigItem& item) const {
  const ConfigScalar s = scalar(item);
  if (s.unset) return "UTC";
  const std::string value(text::trim(s.value));
  if (!is_valid_zone(value)) {
    fail(item, quote_value(s.raw) + " is not a known IANA time zone",
         "write a name like America/New_York, Europe/Madrid or UTC (see `timedatectl "
         "list-timezones`)");
  }
  return value;
}

void ConfigReader::check_no_literal_secrets(const ConfigItem& item,
                                            std::span<const std::string_view> user_data) const {
  if (item.node.IsSequence()) {
    for (const auto& element : list(item)) check_no_literal_secrets(element, user_data);
    return;
  }
  if (!item.node.IsMap()) return;
  for (const auto& entry : item.node) {
    const YAML::Node key_node = entry.first;
    if (!key_node.IsScalar()) continue;
    const std::string key = key_node.Scalar();
    const ConfigItem child{entry.second, child_path(item.path, key),
                           key_node.Mark().is_null() ? item.line : key_node.Mark().line + 1};
    if (is_secret_key(key) && child.node.IsScalar() && !sole_reference(child.node.Scalar())) {
      fail(child, "secrets may not be written in the config file",
           "put the value in an environment variable and write " + key + ": ${NAME_OF_VARIABLE}");
    }
    if (std::find(user_data.begin(), user_data.end(), key) == user_data.end()) {
      check_no_literal_secrets(child, user_data);
    }
  }
}

}  // namespace pinsync::agent

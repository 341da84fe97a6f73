// Internal to the config loader (agent/config*.cpp): walks yaml-cpp nodes together with
// their key path and line, expands ${VAR}, and turns every problem into an Error{config}
// reading "file:line: key.path: what is wrong — fix". Not for use outside agent/config*.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/config/config.h"
#include "core/error.h"

namespace pinsync::agent {

// A node and where it sits: the key path used in messages ("sources[0].approved") and
// the 1-based line to report (the line of its key, or of the list item).
struct ConfigItem {
  YAML::Node node;
  std::string path;
  int line = 1;
};

// A scalar as written in the file and after ${VAR} expansion. Messages may quote `raw`
// but never `value`, so an expanded secret cannot leak into them.
struct ConfigScalar {
  std::string raw;
  std::string value;
  // A ${VAR} in it is unset and the reader defers that (ConfigReader::defer_unset): `value`
  // means nothing, and the typed readers return a placeholder without checking it.
  bool unset = false;
};

// The entries of one YAML mapping, in file order, keys already checked for duplicates.
class ConfigMap {
 public:
  ConfigMap(ConfigItem self, std::vector<std::pair<std::string, ConfigItem>> entries)
      : m_self(std::move(self)), m_entries(std::move(entries)) {}

  const ConfigItem& self() const { return m_self; }
  const std::vector<std::pair<std::string, ConfigItem>>& entries() const { return m_entries; }
  // Returns the entry for `key`, or nullopt when the key is absent or its value is null
  // (`key:` with nothing after it counts as not given).
  std::optional<ConfigItem> find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key).has_value(); }
  // Returns "parent.key" for messages about a key of this map.
  std::string path_of(std::string_view key) const;

 private:
  ConfigItem m_self;
  std::vector<std::pair<std::string, ConfigItem>> m_entries;
};

// Reads values out of the YAML tree. Every method either returns a valid value or throws
// an Error{config}; load_config() is the one place that catches it, so nothing throws
// out of the loader.
class ConfigReader {
 public:
  ConfigReader(std::string file_label, std::filesystem::path base_dir, EnvLookup env)
      : m_file(std::move(file_label)), m_base_dir(std::move(base_dir)), m_env(std::move(env)) {}

  // From now on an unset ${VAR} is added to `unset` (once per key) instead of failing, and
  // the value read from it is a placeholder: text() the raw text, integer()/number() their
  // minimum, choice() the first, secret()/url() "", path() the raw text as a path,
  // timezone() "UTC". `unset` must outlive the reader's use.
  void defer_unset(std::vector<UnsetVariable>& unset) { m_unset = &unset; }

  // Throws Error{config} "file:line: path: what — fix" (" — fix" left out when empty).
  [[noreturn]] void fail(int line, std::string_view path, std::string_view what,
                         std::string_view fix) const;
  [[noreturn]] void fail(const ConfigItem& at, std::string_view what, std::string_view fix) const {
    fail(at.line, at.path, what, fix);
  }
  // Returns "file:line: path: what — fix", the text fail() throws.
  std::string message(int line, std::string_view path, std::string_view what, std::string_view fix) const;
  // Throws the "missing" error for `key` of `map`, reported at the map's own line.
  [[noreturn]] void missing(const ConfigMap& map, std::string_view key, std::string_view fix) const;

  // Returns `item` as a mapping with any scalar keys; fails when it is not a mapping or
  // when a key appears twice.
  ConfigMap map(const ConfigItem& item) const;
  // As map(), and fails on a key outside `allowed` with a did-you-mean suggestion.
  ConfigMap map(const ConfigItem& item, std::span<const std::string_view> allowed) const;
  // Fails on the first key of `map` outside `allowed`.
  void check_keys(const ConfigMap& map, std::span<const std::string_view> allowed) const;
  // Returns the items of a list; a single scalar counts as a one-item list.
  std::vector<ConfigItem> list(const ConfigItem& item) const;

  // Returns the scalar with every ${VAR} expanded; fails on a list, a mapping, an
  // unset variable or a malformed reference.
  ConfigScalar scalar(const ConfigItem& item) const;
  // Returns the expanded, trimmed text; fails when it is empty.
  std::string text(const ConfigItem& item) const;
  // Returns text() of `key`, or nullopt when absent.
  std::optional<std::string> optional_text(const ConfigMap& map, std::string_view key) const;
  // Returns text() of `key`; fails with `fix` when absent.
  std::string required_text(const ConfigMap& map, std::string_view key, std::string_view fix) const;
  // Returns the item of `key`; fails with `fix` when absent.
  ConfigItem required(const ConfigMap& map, std::string_view key, std::string_view fix) const;

  // Returns a whole number in [min, max]; fails otherwise, saying the range.
  std::int64_t integer(const ConfigItem& item, std::int64_t min, std::int64_t max,
                       std::string_view unit) const;
  // Returns a finite number in [min, max].
  double number(const ConfigItem& item, double min, double max) const;
  // Returns the index in `choices` of the value (compared case-insensitively).
  std::size_t choice(const ConfigItem& item, std::span<const std::string_view> choices) const;
  // Returns a secret that must be written as exactly one ${VAR} reference; fails, without
  // quoting the value, when it is written literally, unset or empty.
  std::string secret(const ConfigItem& item, std::string_view suggested_var) const;
  // Returns an http:// or https:// URL without trailing slashes.
  std::string url(const ConfigItem& item) const;
  // Returns an absolute path: relative paths are resolved against the config file's folder.
  std::filesystem::path path(const ConfigItem& item) const;
  // Returns an IANA zone name after checking that the time-zone database knows it.
  std::string timezone(const ConfigItem& item) const;

  // Fails when any key named like a secret (token, api_key, secret, …) below `item` holds
  // anything but a ${VAR} reference. Mappings under a key in `user_data` (sheet labels,
  // city names) are not searched: their keys are data, not settings.
  void check_no_literal_secrets(const ConfigItem& item,
                                std::span<const std::string_view> user_data) const;

 private:
  std::string m_file;
  std::filesystem::path m_base_dir;
  EnvLookup m_env;
  std::vector<UnsetVariable>* m_unset = nullptr;  // defer_unset; null: an unset variable fails
};

// Helpers shared by the config*.cpp files.
std::string child_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);
// Returns `text` in double quotes, shortened to 60 bytes, for quoting a value in a message.
std::string quote_value(std::string_view text);
// Returns the entry of `candidates` closest to `word` (edit distance ≤ 2 or a prefix
// match, ignoring case), or nullopt.
std::optional<std::string_view> did_you_mean(std::string_view word,
                                             std::span<const std::string_view> candidates);

// Reads one element of the `sources` list into a SourceConfig (agent/config_source.cpp).
SourceConfig read_source(const ConfigReader& reader, const ConfigItem& item);

}  // namespace pinsync::agent

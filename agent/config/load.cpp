// Loads config.yaml: reads the file, parses it with yaml-cpp, and validates the top-level
// sections. Sources are read in source.cpp, the node-walking helpers live in reader.cpp.
#include "agent/config/load.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <set>
#include <system_error>

#include <yaml-cpp/depthguard.h>

#include "agent/config/reader.h"
#include "core/text.h"

namespace pinsync::agent {

namespace {

constexpr std::string_view k_top_keys[] = {"pinned", "state", "agent", "google", "airtable", "alerts", "sources"};
constexpr std::string_view k_pinned_keys[] = {"base_url",         "api_key",
                                              "timeout_seconds",  "max_requests_per_second",
                                              "concurrency",      "idempotency_window_seconds",
                                              "max_attempts",     "retry_delay_seconds",
                                              "max_retry_delay_seconds"};
constexpr std::string_view k_state_keys[] = {"path"};
constexpr std::string_view k_agent_keys[] = {"admin_listen", "log_format", "log_level", "workers"};
constexpr std::string_view k_google_keys[] = {"sheets_base_url", "drive_base_url", "requests_per_minute_per_user", "requests_per_minute_per_project"};
constexpr std::string_view k_airtable_keys[] = {"base_url", "requests_per_second_per_base", "requests_per_second_per_token"};
constexpr std::string_view k_log_formats[] = {"text", "json"};
constexpr std::string_view k_log_levels[] = {"debug", "info", "warn", "error"};

PinnedConfig read_pinned(const ConfigReader& r, const ConfigMap& top) {
  const ConfigMap m = r.map(r.required(top, "pinned",
                                       "add a pinned: section with api_key: ${PINNED_EVENTS_API_KEY}"),
                            k_pinned_keys);
  PinnedConfig p;
  if (const auto item = m.find("base_url")) p.base_url = r.url(*item);
  p.api_key = r.secret(r.required(m, "api_key", "add api_key: ${PINNED_EVENTS_API_KEY} under pinned"),
                       "PINNED_EVENTS_API_KEY");
  if (const auto item = m.find("timeout_seconds")) {
    p.timeout = std::chrono::seconds(r.integer(*item, 1, 3600, "seconds"));
  }
  if (const auto item = m.find("max_requests_per_second")) {
    p.max_requests_per_second = r.number(*item, 0, 10000);
  }
  if (const auto item = m.find("concurrency")) {
    p.concurrency = static_cast<int>(r.integer(*item, 1, 64, "requests in flight"));
  }
  if (const auto item = m.find("idempotency_window_seconds")) {
    p.idempotency_window = std::chrono::seconds(r.integer(*item, 0, 7 * 24 * 3600, "seconds"));
  }
  if (const auto item = m.find("max_attempts")) {
    p.max_attempts = static_cast<int>(r.integer(*item, 1, 1000, "attempts"));
  }
  if (const auto item = m.find("retry_delay_seconds")) {
    p.retry_delay = std::chrono::seconds(r.integer(*item, 0, 24 * 3600, "seconds"));
  }
  if (const auto item = m.find("max_retry_delay_seconds")) {
    p.max_retry_delay = std::chrono::seconds(r.integer(*item, 0, 7 * 24 * 3600, "seconds"));
  }
  return p;
}

// "127.0.0.1:PORT" (or localhost:PORT) → PORT; "off" → nullopt. The endpoint never
// listens anywhere but loopback, so the port is all that varies.
std::optional<std::uint16_t> read_admin_listen(const ConfigReader& r, const ConfigItem& item) {
  const ConfigScalar s = r.scalar(item);
  const std::string value(text::trim(s.value));
  if (text::ascii_lower(value) == "off") return std::nullopt;
  const std::size_t colon = value.rfind(':');
  const std::string format_fix = "write 127.0.0.1:PORT (e.g. 127.0.0.1:8765) or off";
  if (colon == std::string::npos) {
    r.fail(item, quote_value(s.raw) + " is not an address with a port", format_fix);
  }
  const std::string host = value.substr(0, colon);
  const std::string port_text = value.substr(colon + 1);
  if (host != "127.0.0.1" && text::ascii_lower(host) != "localhost") {
    r.fail(item,
           "the admin endpoint may only listen on the loopback address, not " + quote_value(host),
           format_fix);
  }
  int port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    // Port 0 lets the system pick a free port; pinsync run logs the one it got.
    r.fail(item, quote_value(s.raw) + " has no valid port (0 to 65535)", format_fix);
  }
  return static_cast<std::uint16_t>(port);
}

AgentConfig read_agent(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_agent_keys);
  AgentConfig a;
  if (const auto listen = m.find("admin_listen")) a.admin_port = read_admin_listen(r, *listen);
  if (const auto format = m.find("log_format")) {
    a.log_format = r.choice(*format, k_log_formats) == 0 ? LogFormat::text : LogFormat::json;
  }
  if (const auto level = m.find("log_level")) {
    constexpr LogLevel k_levels[] = {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error};
    a.log_level = k_levels[r.choice(*level, k_log_levels)];
  }
  if (const auto workers = m.find("workers")) a.workers = static_cast<int>(r.integer(*workers, 1, 64, "passes at once"));
  return a;
}

constexpr std::string_view k_alerts_keys[] = {"webhook_url", "command", "timeout_seconds"};

AlertsConfig read_alerts(const ConfigReader& r, const ConfigItem& item) {
  const ConfigMap m = r.map(item, k_alerts_keys);
  AlertsConfig a;
  // The URL of a chat webhook is itself the credential: url() quotes only the text as
  // written (${VAR}), never the expanded value.
  if (const auto url = m.find("webhook_url")) a.webhook_url = r.url(*url);
  if (const auto command = m.find("command")) a.command = r.text(*command);
  if (const auto timeout = m.find("timeout_seconds")) {
    a.timeout = std::chrono::seconds(r.integer(*timeout, 1, 300, "seconds"));
  }
  return a;
}

std::vector<SourceConfig> read_sources(const ConfigReader& r, const ConfigMap& top) {
  const ConfigItem item = r.required(top, "sources",
                                     "add a sources: list with at least one source "
                                     "(see config.example.yaml)");
  if (!item.node.IsSequence()) {
    r.fail(item, "expected a list of sources",
           "start each source with \"- name: …\" indented under sources:");
  }
  const std::vector<ConfigItem> items = r.list(item);
  if (items.empty()) r.fail(item, "the list is empty", "add at least one source");
  std::vector<SourceConfig> sources;
  for (const auto& source_item : items) {
    SourceConfig source = read_source(r, source_item);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].name == source.name) {
        r.fail(source.line, child_path(source_item.path, "name"),
               quote_value(source.name) + " is already the name of sources[" + std::to_string(i) +
                   "] (line " + std::to_string(sources[i].line) + ")",
               "give every source its own name");
      }
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

Config read_config(const ConfigReader& r, const YAML::Node& root, const std::filesystem::path& file) {
  const ConfigItem root_item{root, "", 1};
  if (root.IsNull()) {
    r.fail(root_item, "the file is empty", "start from config.example.yaml");
  }
  const ConfigMap top = r.map(root_item, k_top_keys);
  Config config;
  config.file = file;
  config.pinned = read_pinned(r, top);
  const ConfigMap state = r.map(
      r.required(top, "state", "add state: with path: ./pinsync-state.db"), k_state_keys);
  config.state_path =
      r.path(r.required(state, "path", "add path: ./pinsync-state.db under state"));
  if (const auto agent = top.find("agent")) config.agent = read_agent(r, *agent);
  if (const auto google = top.find("google")) {
    const ConfigMap g = r.map(*google, k_google_keys);
    if (const auto url = g.find("sheets_base_url")) config.google.sheets_base_url = r.url(*url);
    if (const auto url = g.find("drive_base_url")) config.google.drive_base_url = r.url(*url);
    // Google raises quotas on request; these say what the project has now.
    if (const auto n = g.find("requests_per_minute_per_user")) config.google.requests_per_minute_per_user = r.integer(*n, 1, 1'000'000, "requests a minute");
    if (const auto n = g.find("requests_per_minute_per_project")) config.google.requests_per_minute_per_project = r.integer(*n, 1, 1'000'000, "requests a minute");
  }
  if (const auto airtable = top.find("airtable")) {
    const ConfigMap a = r.map(*airtable, k_airtable_keys);
    if (const auto url = a.find("base_url")) config.airtable.base_url = r.url(*url);
    if (const auto n = a.find("requests_per_second_per_base")) config.airtable.requests_per_second_per_base = r.integer(*n, 1, 10'000, "requests a second");
    if (const auto n = a.find("requests_per_second_per_token")) config.airtable.requests_per_second_per_token = r.integer(*n, 1, 10'000, "requests a second");
  }
  if (const auto alerts = top.find("alerts")) config.alerts = read_alerts(r, *alerts);
  config.sources = read_sources(r, top);
  return config;
}

// Reads the whole file ourselves so that a missing or unreadable file gets its own message
// instead of yaml-cpp's generic "bad file".
Result<std::string> read_file_text(const std::filesystem::path& file) {
  const std::string label = file.string();
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) {
    return fail(ErrorKind::config, label + ": the configuration file does not exist — check the "
                                           "path given with --config, or start from "
                                           "config.example.yaml");
  }
  if (std::filesystem::is_directory(status)) {
    return fail(ErrorKind::config,
                label + ": is a folder, not a configuration file — give the path of the YAML file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    return fail(ErrorKind::config, label + ": the configuration file cannot be read (" +
                                       std::strerror(err) +
                                       ") — check its permissions for the user running pinsync");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorKind::config, label + ": reading the configuration file failed");
  }
  return text.str();
}

// Collects every ${NAME} in the scalars below `node` (keys and values), in file order.
// Each node is visited once, known by its place in the file: an alias names a node
// already seen, and following every alias of a "billion laughs" file would visit more
// nodes than there are atoms.
void collect_env_references(const YAML::Node& node, std::vector<std::string>& out, std::set<int>& seen) {
  if (!node.Mark().is_null() && !seen.insert(node.Mark().pos).second) return;
  if (node.IsScalar()) {
    const std::string& raw = node.Scalar();
    for (auto start = raw.find("${"); start != std::string::npos; start = raw.find("${", start + 2)) {
      const auto end = raw.find('}', start + 2);
      if (end == std::string::npos) break;
      std::string name = raw.substr(start + 2, end - start - 2);
      if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
  } else if (node.IsSequence()) {
    for (const auto& child : node) collect_env_references(child, out, seen);
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      collect_env_references(kv.first, out, seen);
      collect_env_references(kv.second, out, seen);
    }
  }
}

// yaml-cpp's message for a document nested past its depth limit is "bad file".
std::string yaml_problem(const YAML::Exception& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) {
    return "the YAML is nested more than 2000 levels deep — a pinsync config needs a handful; check the file";
  }
  return e.msg;
}

// True when the key at `path` is in a part of the config `needs` uses.
bool needed(const ConfigNeeds& needs, const Config& config, std::string_view path) {
  if (needs.everything) return true;
  const auto starts = [&](std::string_view part) {
    return path == part || path.starts_with(std::string(part) + ".") || path.starts_with(std::string(part) + "[");
  };
  if (starts("state") || starts("agent")) return true;
  if (starts("pinned")) return needs.pinned;
  if (starts("alerts")) return false;
  if (starts("google") || starts("airtable")) return needs.sources;
  if (starts("sources")) {
    if (!needs.sources) return false;
    if (needs.source.empty()) return true;
    // "sources[3].token": the source at index 3.
    std::size_t index = 0;
    const auto digits = path.substr(std::min(path.size(), std::string_view("sources[").size()));
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc{} || index >= config.sources.size()) return true;
    return config.sources[index].name == needs.source;
  }
  return true;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::vector<std::string>> env_references(const std::filesystem::path& file) {
  auto text = read_file_text(file);
  if (!text) return std::unexpected(text.error());
  try {
    std::vector<std::string> names;
    std::set<int> seen;
    collect_env_references(YAML::Load(*text), names, seen);
    return names;
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::config, file.string() + ": not valid YAML (" + yaml_problem(e) + ")");
  }
}

Result<Config> load_config(const std::filesystem::path& file) { return load_config(file, process_environment()); }

Result<Config> load_config(const std::filesystem::path& file, const EnvLookup& env) {
  return load_config(file, env, ConfigNeeds{});
}

Result<Config> load_config(const std::filesystem::path& file, const EnvLookup& env, const ConfigNeeds& needs) {
  const std::string label = file.string();
  auto text = read_file_text(file);
  if (!text) return std::unexpected(text.error());

  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    std::string where = label;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) return fail(ErrorKind::config, where + ": " + yaml_problem(e));
    return fail(ErrorKind::config,
                where + ": YAML syntax error: " + e.msg +
                    " — check the indentation (spaces, not tabs), colons and quotes on this "
                    "line and the one before");
  }

  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  absolute = absolute.lexically_normal();
  ConfigReader reader(label, absolute.parent_path(), env);
  // Strict (every part needed): the first unset variable fails where it is read, as any
  // other problem. Otherwise unset variables are gathered and judged once all is read.
  std::vector<UnsetVariable> unset;
  if (!needs.everything) reader.defer_unset(unset);
  // ConfigReader reports the first problem by throwing an Error; this is the one place it
  // is caught, together with anything yaml-cpp or the time-zone database may throw.
  try {
    Config config = read_config(reader, root, absolute);
    for (auto& u : unset) {
      if (needed(needs, config, u.path)) return fail(ErrorKind::config, u.message);
    }
    config.unset_variables = std::move(unset);
    return config;
  } catch (const Error& e) {
    return std::unexpected(e);
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::config, label + ": could not read the YAML document: " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorKind::config, label + ": could not load the configuration: " + e.what());
  }
}

}  // namespace pinsync::agent

#include "sandbox/options.h"

#include <charconv>
#include <cstdlib>

#include <Poco/JSON/Object.h>

namespace pinsync_sandbox {

namespace {

struct FaultFlag {
  const char* flag;
  const char* setting;  // key of POST /_sandbox/faults
};

constexpr FaultFlag k_fault_flags[] = {
    {"--error-rate", "error_rate"},
    {"--rate-limited-rate", "rate_limited_rate"},
    {"--latency-ms", "latency_ms"},
    {"--latency-spike-rate", "latency_spike_rate"},
    {"--latency-spike-ms", "latency_spike_ms"},
    {"--drop-after-commit-rate", "drop_after_commit_rate"},
    {"--rate-limit", "rate_limit_per_second"},
    {"--idempotency-ttl-seconds", "idempotency_ttl_seconds"},
    {"--in-progress-ttl-seconds", "in_progress_ttl_seconds"},
};

std::expected<ServerOptions, std::string> parse_listen(const std::string& text, ServerOptions server) {
  auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  if (host != "127.0.0.1" && host != "localhost") {
    return std::unexpected("--listen " + text + ": only loopback is allowed; use 127.0.0.1:PORT (PORT 0 picks a free port)");
  }
  std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto res = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || res.ec != std::errc() || res.ptr != port_text.data() + port_text.size() || port > 65535) {
    return std::unexpected("--listen " + text + ": PORT must be 0-65535");
  }
  server.host = "127.0.0.1";
  server.port = static_cast<std::uint16_t>(port);
  return server;
}

std::expected<std::int64_t, std::string> parse_count(const std::string& flag, const std::string& text, std::int64_t low,
                                                     std::int64_t high) {
  std::int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size() || v < low || v > high) {
    return std::unexpected(flag + ": expected an integer from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return v;
}

}  // namespace

std::string usage() {
  return R"(pinsync-sandbox: a local stand-in for the Pinned Events Public API (under /api/public/v1)
with fault injection, for tests, the demo and benchmarks. Loopback only.

Usage: pinsync-sandbox [--listen 127.0.0.1:PORT] [options]

  --listen ADDR                  127.0.0.1:PORT or localhost:PORT (default 127.0.0.1:0 = a free port).
                                 The first stdout line is "listening on http://127.0.0.1:PORT".
  --key KEY=SCOPES@CHANNELS      add an API key, e.g. --key ro-key=channels:read,events:read@42
                                 (repeatable; scopes: channels:read events:create events:read
                                 events:update media:create). Always present: sandbox-key with all
                                 scopes on channels 42 and 43.
  --channel ID=NAME              add a channel (42 "Valencia Live Music" and 43 "Lisbon Comedy
                                 Nights" always exist)
  --error-rate R                 fraction of API requests answered 500 internal_error (0..1)
  --rate-limited-rate R          fraction answered 429 rate_limited with Retry-After: 1 (0..1)
  --latency-ms MS                latency added to every API request (0..60000)
  --latency-spike-rate R         fraction of API requests delayed by --latency-spike-ms more (0..1)
  --latency-spike-ms MS          the extra delay of a spike, e.g. beyond the client's timeout
  --drop-after-commit-rate R     fraction of creates/updates stored, then closed without a response
  --rate-limit N                 requests per second per API key (0 = unlimited)
  --idempotency-ttl-seconds S    lifetime of a succeeded Idempotency-Key (default 900; may be 0.2)
  --in-progress-ttl-seconds S    lifetime of an in-progress Idempotency-Key (default 45)
  --airtable-token TOKEN=SCOPES@BASES
                                 add an Airtable personal access token, e.g. --airtable-token
                                 patRO=data.records:read@appA1b2C3d4E5f6G7 (repeatable; no "@" or "@*":
                                 every base). Always present: sandbox-airtable-token with
                                 data.records:read,data.records:write on every base.
  --airtable-rate-limit-wait S   how long a base answers 429 once over its limit (default 30)
  --airtable-requests-per-second N
                                 Airtable requests per second per base (default 5; 0 = unlimited)
  --airtable-requests-per-second-per-token N
                                 Airtable requests per second per token, all bases together
                                 (default 50; 0 = unlimited)
  --google-api-key K             add a Google API key (repeatable; sandbox-google-key always works).
                                 Keys read public sheets only and can never write
  --google-service-account FILE  register a service-account JSON key file (repeatable); its
                                 private_key's public half verifies JWT assertions at POST /token
  --google-oauth-client ID:SECRET:REFRESH_TOKEN[:EMAIL]
                                 add an OAuth client for the refresh_token grant (repeatable);
                                 its tokens act as EMAIL (default user@example.com)
  --google-token-ttl SECONDS     lifetime of issued Google access tokens (default 3600)
  --sheets-read-quota-per-minute N
                                 Sheets read requests per minute per principal, then 429
                                 RESOURCE_EXHAUSTED (default 0 = off; Google's is 60)
  --sheets-project-read-quota-per-minute N
                                 Sheets read requests per minute per project, all its principals
                                 together, then 429 RESOURCE_EXHAUSTED (default 0 = off; Google's
                                 is 300). A service account's project is its key file's
                                 project_id; API keys and OAuth clients share pinsync-sandbox
  --drive-modified-lag-ms N      Drive files.get reports the version and modifiedTime a
                                 spreadsheet had N ms ago: a change shows only N ms after it
                                 happened (default 0; at most 3600000)
  --threads N                    threads serving requests (default 32; idle connections hold none)
  --seed N                       seed for the fault dice (default: random)
  --verbose                      log one line per request to stderr
  --help                         this text

Control routes (no auth, JSON): GET /_sandbox/events, DELETE /_sandbox/events/{id} (as a person
deleting it in the app), GET /_sandbox/stats, GET|POST /_sandbox/faults, POST /_sandbox/reset. Airtable (under /v0): PUT|GET
/_sandbox/airtable/{baseId}/{table}, GET|POST /_sandbox/airtable/settings, POST /_sandbox/airtable/reset.
Google (Sheets under /v4, Drive files.get at GET /drive/v3/files/{id}, OAuth at POST /token):
PUT|GET|DELETE /_sandbox/sheets/{id},
POST /_sandbox/google/{service-accounts,oauth-clients,api-keys,expire-tokens,reset},
GET|POST /_sandbox/google/quota, GET|POST /_sandbox/google/drive. See docs/sandbox.md.
SIGTERM or SIGINT stops the sandbox (exit 0).
)";
}

std::expected<Options, std::string> parse_options(const std::vector<std::string>& args) {
  Options opt;
  opt.keys.push_back(default_key());
  opt.channels = default_channels();
  opt.airtable_tokens.push_back(default_airtable_token());
  Poco::JSON::Object fault_patch;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_inline = false;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    auto take_value = [&]() -> std::expected<std::string, std::string> {
      if (has_inline) return value;
      if (i + 1 >= args.size()) return std::unexpected(flag + ": missing value (see --help)");
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      opt.help = true;
      continue;
    }
    if (flag == "--verbose") {
      opt.server.verbose = true;
      continue;
    }
    auto v = take_value();
    if (!v) return std::unexpected(v.error());
    if (flag == "--listen") {
      auto server = parse_listen(*v, opt.server);
      if (!server) return std::unexpected(server.error());
      opt.server = *server;
    } else if (flag == "--key") {
      auto key = parse_key_spec(*v);
      if (!key) return std::unexpected(key.error());
      std::erase_if(opt.keys, [&](const ApiKey& k) { return k.secret == key->secret; });
      opt.keys.push_back(*key);
    } else if (flag == "--channel") {
      auto channel = parse_channel_spec(*v);
      if (!channel) return std::unexpected(channel.error());
      std::erase_if(opt.channels, [&](const Channel& c) { return c.id == channel->id; });
      opt.channels.push_back(*channel);
    } else if (flag == "--airtable-token") {
      auto token = parse_airtable_token_spec(*v);
      if (!token) return std::unexpected(token.error());
      std::erase_if(opt.airtable_tokens, [&](const AirtableToken& t) { return t.secret == token->secret; });
      opt.airtable_tokens.push_back(*token);
    } else if (flag == "--airtable-rate-limit-wait" || flag == "--airtable-requests-per-second" ||
               flag == "--airtable-requests-per-second-per-token") {
      char* end = nullptr;
      double number = std::strtod(v->c_str(), &end);
      if (v->empty() || end != v->c_str() + v->size() || !(number >= 0) || number > 3600) {
        return std::unexpected(flag + ": expected a number from 0 to 3600");
      }
      double& setting = flag == "--airtable-rate-limit-wait"     ? opt.airtable.rate_limit_wait_seconds
                        : flag == "--airtable-requests-per-second" ? opt.airtable.requests_per_second
                                                                   : opt.airtable.requests_per_second_per_token;
      setting = number;
    } else if (flag == "--google-api-key") {
      if (v->empty()) return std::unexpected(flag + ": the key must not be empty");
      opt.google.api_keys.push_back(*v);
    } else if (flag == "--google-service-account") {
      opt.google.service_account_files.push_back(*v);
    } else if (flag == "--google-oauth-client") {
      opt.google.oauth_clients.push_back(*v);
    } else if (flag == "--google-token-ttl") {
      auto n = parse_count(flag, *v, 1, 86400);
      if (!n) return std::unexpected(n.error());
      opt.google.token_ttl_seconds = *n;
    } else if (flag == "--sheets-read-quota-per-minute" || flag == "--sheets-project-read-quota-per-minute") {
      auto n = parse_count(flag, *v, 0, 1000000);
      if (!n) return std::unexpected(n.error());
      (flag == "--sheets-read-quota-per-minute" ? opt.google.read_quota_per_minute
                                                : opt.google.project_read_quota_per_minute) = *n;
    } else if (flag == "--drive-modified-lag-ms") {
      auto n = parse_count(flag, *v, 0, 3600000);
      if (!n) return std::unexpected(n.error());
      opt.google.drive_modified_lag_ms = *n;
    } else if (flag == "--threads") {
      auto n = parse_count(flag, *v, 1, 1024);
      if (!n) return std::unexpected(n.error());
      opt.server.threads = static_cast<int>(*n);
    } else if (flag == "--seed") {
      auto n = parse_count(flag, *v, 0, INT64_MAX);
      if (!n) return std::unexpected(n.error());
      opt.seed = static_cast<std::uint64_t>(*n);
    } else {
      const FaultFlag* match = nullptr;
      for (const FaultFlag& f : k_fault_flags) {
        if (flag == f.flag) match = &f;
      }
      if (!match) return std::unexpected("unknown option " + flag + " (see --help)");
      char* end = nullptr;
      double number = std::strtod(v->c_str(), &end);
      if (v->empty() || end != v->c_str() + v->size()) return std::unexpected(flag + ": expected a number");
      if (std::string(match->setting) == "rate_limit_per_second") {
        auto n = parse_count(flag, *v, 0, INT64_MAX);
        if (!n) return std::unexpected(n.error());
        fault_patch.set(match->setting, static_cast<Poco::Int64>(*n));
      } else {
        fault_patch.set(match->setting, number);
      }
    }
  }
  auto faults = apply_fault_patch(FaultSettings{}, fault_patch);
  if (!faults) {
    std::string flag = faults.error().field;
    for (const FaultFlag& f : k_fault_flags) {
      if (faults.error().field == f.setting) flag = f.flag;
    }
    return std::unexpected(flag + ": " + faults.error().issue);
  }
  opt.faults = *faults;
  return opt;
}

}  // namespace pinsync_sandbox

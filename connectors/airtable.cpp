#include "connectors/airtable.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>

#include <simdjson.h>

#include "connectors/airtable_wire.h"
#include "core/backoff.h"
#include "core/hash.h"
#include "core/http_retry.h"
#include "core/json_writer.h"

namespace pinsync::connectors {

namespace {

// Transport failures and 5xx: three retries, 1, 2 and 4 s apart.
constexpr RetryPolicy k_airtable_retry{4, std::chrono::milliseconds{1'000}, std::chrono::milliseconds{4'000}, Jitter::none};
constexpr int k_iterator_restarts = 2;
constexpr std::size_t k_patch_batch = 10;
// The token bucket runs a little under the documented 5 per second with a burst of 1,
// so requests are evenly spaced (~222 ms) and no sliding one-second window, even a
// closed one or one shifted by network jitter, can hold a sixth request.
constexpr double k_rate_headroom = 0.9;

// The three write-back fields in a fixed order: event id, status, error.
using WriteBackValues = std::array<std::string, 3>;

std::array<const std::string*, 3> write_back_columns(const WriteBackColumns& c) {
  return {&c.event_id_column, &c.status_column, &c.error_column};
}

bool is_success(long status) { return status >= 200 && status < 300; }

// The limiter key of a token's own quota: a hash, so the token itself is never a key that
// a debugger, a dump or a future metric could show.
std::string token_quota_key(const std::string& token) { return "airtable-token:" + sha256_hex(token).substr(0, 16); }

}  // namespace

struct AirtableConnector::State {
  std::string cursor;  // where the next incremental read starts ("" = none yet)
  std::shared_ptr<RateLimiter> limiter;        // the base's quota
  std::shared_ptr<RateLimiter> token_limiter;  // the token's quota, across bases
  std::unique_ptr<http::Transport> transport;
  // Current write-back field values per record id, as last read or written: the base
  // for "only changed values" and for skipping records that were not read.
  std::unordered_map<std::string, WriteBackValues> known;
};

AirtableConnector::AirtableConnector(AirtableSettings settings, ConnectorContext context)
    : m_settings(std::move(settings)), m_context(std::move(context)), m_state(std::make_unique<State>()) {
  PINSYNC_ASSERT(m_context.make_transport);
  const double rate = m_settings.requests_per_second * k_rate_headroom;
  m_state->limiter = m_context.limiters.get("airtable:" + m_settings.base_id, rate, 1.0);
  m_state->token_limiter = m_context.limiters.get(token_quota_key(m_settings.token),
                                                  m_settings.requests_per_second_per_token * k_rate_headroom, 1.0);
  m_context.log.add_secret(m_settings.token);
}

AirtableConnector::~AirtableConnector() = default;

namespace {

// Everything one connector call needs while it talks to Airtable.
class Session {
 public:
  Session(const AirtableSettings& settings, const ConnectorContext& context, RateLimiter& limiter,
          RateLimiter& token_limiter, std::unique_ptr<http::Transport>& transport)
      : m_settings(settings), m_context(context), m_limiter(limiter), m_token_limiter(token_limiter),
        m_transport(transport), m_backoff(k_airtable_retry, 0) {}

  // Sends the request through core's retry loop, each attempt when both the base's and the
  // token's limiter allow it, waiting out one 429 and retrying transport failures and 5xx
  // with backoff. Returns the last response (any status), or an Error when no response came.
  Result<http::Response> send(http::Request request) {
    if (!m_transport) m_transport = m_context.make_transport();
    PINSYNC_ASSERT(m_transport != nullptr);
    request.timeout = m_context.timeout;
    request.headers.emplace_back("Authorization", "Bearer " + m_settings.token);
    http::RetryHooks hooks;
    hooks.attempted = [&](const std::expected<http::Response, http::TransportError>& answer,
                          std::chrono::milliseconds elapsed) {
      log_call(request, answer, elapsed);
      if (answer && answer->status == 429) {
        m_context.log.warn("airtable rate limit reached",
                           {{"source", m_context.source}, {"wait_s", m_settings.rate_limit_wait.count()}});
      }
    };
    // Airtable keeps refusing the base for 30 s after a 429 and retrying sooner prolongs
    // it: every source on the base waits that long, then the request goes exactly once more.
    // A 429 does not say which limit it was; the base's is the one other tools share, and
    // pausing the token's would stop every base of it for 30 s.
    const http::RetryRules rules{&m_limiter, http::Pacing::tokens, m_settings.rate_limit_wait, &m_token_limiter};
    auto ex = http::send_with_retries(*m_transport, request, m_backoff, m_context.clock, rules, hooks);
    if (ex.stopped) {
      return fail(ErrorKind::transient,
                  name() + (ex.attempts == 0 ? ": stopped while waiting to call Airtable"
                                             : ": stopped while waiting to retry Airtable"));
    }
    if (ex.response) return std::move(*ex.response);
    Error e = ex.failure->error;
    e.message = redact(name() + ": cannot reach Airtable at " + m_settings.base_url + ": " + e.message, secrets());
    return std::unexpected(std::move(e));
  }

  std::string name() const { return airtable_source_name(m_settings); }
  // The token as written and as it would appear percent-encoded in a URL.
  std::vector<std::string> secrets() const { return {m_settings.token, http::url_encode(m_settings.token)}; }

 private:
  void log_call(const http::Request& request, const std::expected<http::Response, http::TransportError>& answer,
                std::chrono::milliseconds elapsed) {
    // A 5xx is Airtable failing (it is retried, and may stop the pass): warn, so it shows at
    // the default level; every other answer is a debug line.
    const bool server_error = answer && answer->status >= 500;
    const LogLevel level = server_error ? LogLevel::warn : LogLevel::debug;
    if (!m_context.log.enabled(level)) return;
    m_context.log.log(level, server_error ? "Airtable answered " + std::to_string(answer->status) : std::string("airtable http"),
                      {{"source", m_context.source},
                       {"method", request.method},
                       {"url", redact(request.url, secrets())},
                       {"status", answer ? std::optional<long>(answer->status) : std::nullopt},
                       {"duration_ms", elapsed.count()}});
  }

  const AirtableSettings& m_settings;
  const ConnectorContext& m_context;
  RateLimiter& m_limiter;
  RateLimiter& m_token_limiter;
  std::unique_ptr<http::Transport>& m_transport;
  Backoff m_backoff;
};

enum class KnownUpdate { replace, merge };

struct ScanResult {
  Table table;
  std::unordered_map<std::string, WriteBackValues> write_back_values;
};

// Reads one page into `scan`; returns the next offset ("" on the last page).
Result<std::string> read_page(const AirtableSettings& settings, std::string_view body, ScanResult& scan,
                              std::unordered_map<std::string, std::size_t>& column_index) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array records;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root["records"].get_array().get(records) != simdjson::SUCCESS) {
    return fail(ErrorKind::transient,
                airtable_source_name(settings) + ": Airtable sent a page without a records list; the next pass retries");
  }
  const auto wb_columns = write_back_columns(settings.write_back);
  const bool open_columns = settings.fields.empty();
  for (simdjson::dom::element record : records) {
    std::string_view id;
    if (record["id"].get_string().get(id) != simdjson::SUCCESS || id.empty()) continue;
    Row row{std::string(id), std::string(id), std::vector<std::string>(scan.table.columns.size())};
    WriteBackValues wb{};
    simdjson::dom::object fields;
    if (record["fields"].get_object().get(fields) == simdjson::SUCCESS) {
      for (auto field : fields) {
        std::string text = airtable_cell_text(field.value, settings.arrays, settings.array_separator);
        for (std::size_t i = 0; i < wb_columns.size(); ++i)
          if (!wb_columns[i]->empty() && *wb_columns[i] == field.key) wb[i] = text;
        auto it = column_index.find(std::string(field.key));
        if (it == column_index.end()) {
          if (!open_columns) continue;
          it = column_index.emplace(std::string(field.key), scan.table.columns.size()).first;
          scan.table.columns.emplace_back(field.key);
        }
        if (row.cells.size() <= it->second) row.cells.resize(it->second + 1);
        row.cells[it->second] = std::move(text);
      }
    }
    scan.write_back_values[row.native_id] = std::move(wb);
    scan.table.rows.push_back(std::move(row));
  }
  std::string_view offset;
  if (root["offset"].get_string().get(offset) != simdjson::SUCCESS) offset = {};
  return std::string(offset);
}

}  // namespace

namespace {

// Pages through the table with `formula`, restarting when Airtable lets the offset expire.
Result<ScanResult> scan_table(const AirtableSettings& settings, Session& session, const std::string& formula) {
  // The write-back fields are read too (not as columns) so write_back() can tell what changes.
  std::vector<std::string> request_fields = settings.fields;
  if (!request_fields.empty()) {
    for (const auto* column : write_back_columns(settings.write_back))
      if (!column->empty() && std::find(request_fields.begin(), request_fields.end(), *column) == request_fields.end())
        request_fields.push_back(*column);
  }
  for (int restarts = 0;; ++restarts) {
    ScanResult scan;
    scan.table.columns = settings.fields;
    std::unordered_map<std::string, std::size_t> column_index;
    for (std::size_t i = 0; i < scan.table.columns.size(); ++i) column_index.emplace(scan.table.columns[i], i);
    std::string offset;
    bool expired = false;
    do {
      http::Request request;
      request.url = airtable_list_url(settings, formula, request_fields, offset);
      request.api = "airtable";
      request.route = "/v0/{base}/{table}";
      auto response = session.send(std::move(request));
      if (!response) return std::unexpected(response.error());
      if (!is_success(response->status)) {
        const auto api = airtable_parse_error(response->status, response->body);
        if (api.type == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE" && restarts < k_iterator_restarts) {
          expired = true;
          break;
        }
        return std::unexpected(airtable_error(settings, api, AirtableOperation::read, formula));
      }
      auto next = read_page(settings, response->body, scan, column_index);
      if (!next) return std::unexpected(next.error());
      offset = std::move(*next);
    } while (!offset.empty());
    if (expired) continue;
    for (auto& row : scan.table.rows) row.cells.resize(scan.table.columns.size());
    return scan;
  }
}

}  // namespace

Result<Table> AirtableConnector::fetch() {
  auto full = fetch_modified_since("");
  if (!full) return std::unexpected(full.error());
  m_state->cursor = full->next_cursor;
  return std::move(full->table);
}

Result<Table> AirtableConnector::fetch_changes() {
  if (m_state->cursor.empty()) return fetch();
  auto changed = fetch_modified_since(m_state->cursor);
  if (!changed) return std::unexpected(changed.error());
  m_state->cursor = changed->next_cursor;
  changed->table.complete = false;
  return std::move(changed->table);
}

Result<IncrementalResult> AirtableConnector::fetch_modified_since(const std::string& cursor) {
  const auto started = std::chrono::floor<std::chrono::seconds>(m_context.clock.now());
  std::string formula = m_settings.approved_formula;
  if (!cursor.empty()) {
    auto since = airtable_parse_timestamp(cursor);
    if (!since) return std::unexpected(since.error().with_context(airtable_source_name(m_settings) + ": cursor"));
    formula = airtable_and(m_settings.approved_formula, airtable_modified_since_formula(*since));
  }
  Session session(m_settings, m_context, *m_state->limiter, *m_state->token_limiter, m_state->transport);
  auto scan = scan_table(m_settings, session, formula);
  if (!scan) return std::unexpected(scan.error());
  if (cursor.empty()) {
    m_state->known = std::move(scan->write_back_values);
  } else {
    for (auto& [id, values] : scan->write_back_values) m_state->known[id] = std::move(values);
  }
  IncrementalResult out;
  out.table = std::move(scan->table);
  out.next_cursor = airtable_format_timestamp(started - m_settings.cursor_margin);
  return out;
}

Result<WriteBackReport> AirtableConnector::write_back(std::span<const RowResult> results) {
  WriteBackReport report;
  if (!writes_back()) return report;
  const auto columns = write_back_columns(m_settings.write_back);

  struct Change {
    std::string id;
    WriteBackValues values;
    std::array<bool, 3> changed{};
  };
  // A record listed twice would appear twice in one batch: the last result wins.
  std::vector<std::string> order;
  std::unordered_map<std::string, const RowResult*> latest;
  for (const auto& result : results) {
    const std::string& id = result.source_id.empty() ? result.row_ref : result.source_id;
    if (!latest.contains(id)) order.push_back(id);
    latest[id] = &result;
  }
  std::vector<Change> changes;
  for (const auto& id : order) {
    const auto known = m_state->known.find(id);
    if (known == m_state->known.end()) continue;
    const RowResult& result = *latest[id];
    Change change{id, WriteBackValues{result.event_id, result.status, result.error}, {}};
    bool any = false;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      change.changed[i] = !columns[i]->empty() && known->second[i] != change.values[i];
      any = any || change.changed[i];
    }
    if (any) changes.push_back(std::move(change));
  }

  Session session(m_settings, m_context, *m_state->limiter, *m_state->token_limiter, m_state->transport);
  for (std::size_t begin = 0; begin < changes.size(); begin += k_patch_batch) {
    const std::size_t end = std::min(changes.size(), begin + k_patch_batch);
    json::Writer body;
    body.begin_object().key("records").begin_array();
    int cells = 0;
    for (std::size_t c = begin; c < end; ++c) {
      body.begin_object().key("id").value(changes[c].id).key("fields").begin_object();
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (!changes[c].changed[i]) continue;
        body.key(*columns[i]);
        // null is what clears a field (docs/reference/airtable.md §6); "" would be read back
        // as absent anyway.
        if (changes[c].values[i].empty()) body.null();
        else body.value(changes[c].values[i]);
        ++cells;
      }
      body.end_object().end_object();
    }
    body.end_array().key("typecast").value(true).end_object();

    http::Request request;
    request.method = "PATCH";
    request.url = airtable_table_url(m_settings);
    request.api = "airtable";
    request.route = "/v0/{base}/{table}";
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.take();
    auto response = session.send(std::move(request));
    if (!response) return std::unexpected(response.error());
    ++report.requests;
    if (!is_success(response->status)) {
      return std::unexpected(airtable_error(m_settings, airtable_parse_error(response->status, response->body),
                                            AirtableOperation::write, ""));
    }
    for (std::size_t c = begin; c < end; ++c) {
      auto& known = m_state->known[changes[c].id];
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (changes[c].changed[i]) known[i] = changes[c].values[i];
    }
    report.cells_written += cells;
  }
  return report;
}

}  // namespace pinsync::connectors

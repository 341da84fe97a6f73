#include "sandbox/airtable/api.h"

#include <algorithm>
#include <cmath>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_content_type = "application/json; charset=utf-8";
constexpr std::string_view k_forbidden_message =
    "Invalid permissions, or the requested model was not found. Check that both your user and your token have the "
    "required permissions, and that the model names and/or ids are correct.";
constexpr std::size_t k_max_records_per_write = 10;

Response with_type(Response r) {
  r.content_type = std::string(k_content_type);
  return r;
}

// Airtable answers an undefined route with a bare string, not an object.
Response bare_not_found() { return with_type(Response{404, {}, R"({"error":"NOT_FOUND"})"}); }

// The recorded 429 body differs from every other error: an "errors" array with "error" keys.
Response rate_limited() {
  return with_type(Response{
      429, {}, R"({"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}]})"});
}

std::vector<std::string> split_path(std::string_view rest) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto pos = rest.find('/', start);
    if (pos == std::string_view::npos) pos = rest.size();
    out.emplace_back(rest.substr(start, pos - start));
    start = pos + 1;
  }
  // A trailing slash (".../Empty/" in recorded traffic) names the same resource.
  if (out.size() > 1 && out.back().empty()) out.pop_back();
  return out;
}

std::optional<std::string> bearer_token(const Request& req) {
  auto h = req.header("authorization");
  if (!h || !istarts_with(*h, "bearer ")) return std::nullopt;
  std::string token = h->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

}  // namespace

Response airtable_ok(std::string body) { return with_type(Response{200, {}, std::move(body)}); }

Response airtable_error(int status, std::string_view type, std::string_view message) {
  JsonOut out;
  out.begin_object().key("error").begin_object().key("type").value(type);
  if (!message.empty()) out.key("message").value(message);
  out.end_object().end_object();
  return with_type(Response{status, {}, out.take()});
}

AirtableApi::AirtableApi(const std::vector<AirtableToken>& tokens, AirtableSettings settings, RequestStats& stats)
    : m_startup(settings), m_settings(settings), m_rng(std::random_device{}()), m_stats(stats) {
  for (const AirtableToken& t : tokens) m_tokens[t.secret] = t;
}

AirtableApi::Route AirtableApi::match(const std::string& path) {
  Route r;
  r.route_template = "/v0/(unmatched)";
  constexpr std::string_view base = "/v0/";
  if (path.rfind(base, 0) != 0) return r;
  auto parts = split_path(std::string_view(path).substr(base.size()));
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) return r;
  if (parts[0] == "meta") return r;  // the metadata API is not emulated
  r.matched = true;
  r.base_id = parts[0];
  r.table = parts[1];
  if (parts.size() == 3) {
    if (parts[2].empty()) return Route{r.route_template, {}, {}, {}, false};
    r.record_id = parts[2];
    r.route_template = "/v0/{baseId}/{table}/{recordId}";
  } else {
    r.route_template = "/v0/{baseId}/{table}";
  }
  return r;
}

Response AirtableApi::handle(const Request& req) {
  const auto handling = m_stats.handling();
  Route r = match(req.path);
  Response res;
  try {
    std::lock_guard lock(m_mutex);
    res = route(req, r);
  } catch (const std::exception&) {
    // A bug or an unexpected JSON shape must answer, never take the server down.
    res = airtable_error(500, "SERVER_ERROR", "Internal error");
  }
  m_stats.record(req.method, r.route_template, res.status);
  return res;
}

Response AirtableApi::route(const Request& req, const Route& r) {
  if (!r.matched) return bare_not_found();
  const bool is_read = req.method == "GET";
  const bool single = !r.record_id.empty();
  // POST creates on the table route only (POST …/listRecords is not emulated and, like any
  // undefined route, answers the bare 404).
  const bool is_write = req.method == "PATCH" || req.method == "PUT" || req.method == "DELETE" ||
                        (req.method == "POST" && !single);
  if (!is_read && !is_write) return bare_not_found();

  auto secret = bearer_token(req);
  auto token_it = secret ? m_tokens.find(*secret) : m_tokens.end();
  if (token_it == m_tokens.end()) return airtable_error(401, "AUTHENTICATION_REQUIRED", "Authentication required");
  const AirtableToken& token = token_it->second;

  if (!take_rate_slot(r.base_id, token.secret)) return rate_limited();

  // Airtable hides whether a base exists: no access and no such base look the same.
  bool base_ok = m_store.has_base(r.base_id) && (token.every_base || token.bases.count(r.base_id) != 0);
  std::string_view scope = is_read ? "data.records:read" : "data.records:write";
  if (!base_ok || token.scopes.count(std::string(scope)) == 0) {
    return airtable_error(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", k_forbidden_message);
  }
  AirtableTable* table = m_store.find_table(r.base_id, r.table);
  if (!table) {
    if (m_settings.unknown_table_status == 404) {
      return airtable_error(404, "TABLE_NOT_FOUND", "Could not find table " + r.table + " in application " + r.base_id);
    }
    return airtable_error(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", k_forbidden_message);
  }
  if (req.body_too_large) return airtable_error(413, "REQUEST_TOO_LARGE", "Request body is too large");
  if (is_read) return r.record_id.empty() ? list_records(req, *table) : get_record(req, *table, r.record_id);
  if (req.method == "DELETE") return delete_records(req, *table, r.record_id);
  WriteMode mode = req.method == "POST" ? WriteMode::create : req.method == "PUT" ? WriteMode::replace : WriteMode::update;
  return write_records(req, *table, r.record_id, mode);
}

bool AirtableApi::take_rate_slot(const std::string& base_id, const std::string& token) {
  auto now = Steady::now();
  const auto penalty =
      std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(m_settings.rate_limit_wait_seconds));
  // Returns false when `w` is over `limit` (0 = none) or still in its penalty.
  auto has_room = [&](RateWindow& w, double limit) {
    if (limit <= 0) return true;
    if (now < w.blocked_until) return false;  // answering 429 does not extend the penalty
    while (!w.accepted.empty() && w.accepted.front() <= now - std::chrono::seconds(1)) w.accepted.pop_front();
    if (static_cast<double>(w.accepted.size() + 1) > limit) {
      w.blocked_until = now + penalty;
      // After the penalty the window starts afresh, as after Airtable's 30 s wait.
      w.accepted.clear();
      return false;
    }
    return true;
  };
  // The token's own limit (all bases together) and the base's (all tokens together).
  RateWindow& by_token = m_token_rate[token];
  RateWindow& by_base = m_rate[base_id];
  if (!has_room(by_token, m_settings.requests_per_second_per_token)) return false;
  if (!has_room(by_base, m_settings.requests_per_second)) return false;
  if (m_settings.requests_per_second_per_token > 0) by_token.accepted.push_back(now);
  if (m_settings.requests_per_second > 0) by_base.accepted.push_back(now);
  return true;
}

std::chrono::sys_time<std::chrono::milliseconds> AirtableApi::precise_now() const {
  auto base = m_frozen ? *m_frozen
                       : std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return base + m_advance;
}

AirtableTime AirtableApi::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::floor<std::chrono::seconds>(precise_now()));
}

Response AirtableApi::get_record(const Request&, AirtableTable& table, const std::string& record_id) {
  const AirtableRecord* rec = table.find(record_id);
  if (!rec) return airtable_error(404, "MODEL_ID_NOT_FOUND", "Record not found");
  JsonOut out;
  write_record(out, table, *rec, FieldKeys::names, {});
  return with_type(Response{200, {}, out.take()});
}

std::expected<std::string, std::string> AirtableApi::put_table(const std::string& base_id, const std::string& table,
                                                               const Poco::JSON::Object& body) {
  if (!is_airtable_base_id(base_id)) return std::unexpected("base id \"" + base_id + "\": expected app + 14 letters/digits");
  std::lock_guard lock(m_mutex);
  bool existed = m_store.find_table(base_id, table) != nullptr;
  AirtableTable& t = m_store.table_for_put(base_id, table);
  auto done = replace_table_content(t, body, now(), m_rng);
  if (!done) {
    if (!existed) m_store.remove_table(base_id, table);  // a bad body creates nothing
    return std::unexpected(done.error());
  }
  return *table_json_locked(base_id, table);
}

std::expected<std::string, std::string> AirtableApi::change_table_choices(const std::string& base_id,
                                                                          const std::string& table,
                                                                          const Poco::JSON::Object& body) {
  std::lock_guard lock(m_mutex);
  AirtableTable* t = m_store.find_table(base_id, table);
  if (!t) return std::unexpected("no table " + table + " in base " + base_id + "; PUT it first");
  if (auto done = change_choices(*t, body); !done) return std::unexpected(done.error());
  return *table_json_locked(base_id, table);
}

std::optional<std::string> AirtableApi::table_json(const std::string& base_id, const std::string& table) {
  std::lock_guard lock(m_mutex);
  return table_json_locked(base_id, table);
}

std::optional<std::string> AirtableApi::table_json_locked(const std::string& base_id, const std::string& table) {
  AirtableTable* t = m_store.find_table(base_id, table);
  if (!t) return std::nullopt;
  JsonOut out;
  out.begin_object().key("id").value(t->id).key("name").value(t->name).key("fields").begin_array();
  for (const AirtableField& f : t->fields) {
    out.begin_object().key("id").value(f.id).key("name").value(f.name).key("type").value(f.type.name);
    if (f.is_select()) {
      out.key("choices").begin_array();
      for (const std::string& c : f.choices) out.value(c);
      out.end_array();
    }
    out.end_object();
  }
  out.end_array().key("views").begin_array();
  for (const AirtableView& v : t->views) out.begin_object().key("id").value(v.id).key("name").value(v.name).end_object();
  out.end_array().key("records").begin_array();
  for (const AirtableRecord& r : t->records) write_record(out, *t, r, FieldKeys::names, {}, true);
  out.end_array().end_object();
  return out.take();
}

std::expected<std::string, std::string> AirtableApi::apply_settings(const Poco::JSON::Object& patch) {
  {
    std::lock_guard lock(m_mutex);
    for (const std::string& key : patch.getNames()) {
      if (!is_airtable_setting(key) && key != "now" && key != "advance_seconds" && key != "expire_offsets" &&
          key != "reject_next_offsets") {
        return std::unexpected("unknown setting \"" + key + "\"; known: requests_per_second, "
                               "requests_per_second_per_token, rate_limit_wait_seconds, offset_ttl_seconds, "
                               "unknown_table_status, user_role, now, advance_seconds, expire_offsets, "
                               "reject_next_offsets");
      }
    }
    auto next = apply_airtable_settings(m_settings, patch);
    if (!next) return std::unexpected(next.error());
    std::optional<std::optional<AirtableTime>> frozen;
    if (patch.has("now")) {
      const auto& v = patch.get("now");
      if (json_type(v) == JsonType::null) {
        frozen.emplace(std::nullopt);
      } else {
        auto t = json_type(v) == JsonType::string ? parse_airtable_time(v.extract<std::string>()) : std::nullopt;
        if (!t) return std::unexpected("now: expected an ISO-8601 UTC time such as \"2026-06-12T18:00:00.000Z\", or null for real time");
        frozen.emplace(*t);
      }
    }
    std::optional<double> advance;
    if (patch.has("advance_seconds")) {
      advance = as_number(patch.get("advance_seconds"));
      if (!advance || *advance < 0 || *advance > 1e9) return std::unexpected("advance_seconds: expected a number >= 0");
    }
    std::optional<std::int64_t> reject;
    if (patch.has("reject_next_offsets")) {
      reject = as_integer(patch.get("reject_next_offsets"));
      if (!reject || *reject < 0 || *reject > 1000000) return std::unexpected("reject_next_offsets: expected an integer >= 0");
    }
    bool expire = false;
    if (patch.has("expire_offsets")) {
      if (json_type(patch.get("expire_offsets")) != JsonType::boolean) return std::unexpected("expire_offsets: expected true or false");
      expire = patch.get("expire_offsets").extract<bool>();
    }
    // Everything is valid: apply.
    m_settings = *next;
    if (frozen) {
      m_frozen = *frozen;
      m_advance = std::chrono::milliseconds(0);
    }
    if (advance) m_advance += std::chrono::milliseconds(static_cast<long long>(std::llround(*advance * 1000)));
    if (reject) m_reject_next_offsets = static_cast<int>(*reject);
    if (expire) m_iterators.clear();
    if (patch.has("requests_per_second") || patch.has("requests_per_second_per_token") ||
        patch.has("rate_limit_wait_seconds")) {
      m_rate.clear();
      m_token_rate.clear();
    }
  }
  return settings_json();
}

std::string AirtableApi::settings_json() {
  std::lock_guard lock(m_mutex);
  JsonOut out;
  out.begin_object()
      .key("requests_per_second").value(m_settings.requests_per_second)
      .key("requests_per_second_per_token").value(m_settings.requests_per_second_per_token)
      .key("user_role").value(m_settings.user_role == AirtableRole::creator ? "creator" : "editor")
      .key("rate_limit_wait_seconds").value(m_settings.rate_limit_wait_seconds)
      .key("offset_ttl_seconds").value(m_settings.offset_ttl_seconds)
      .key("unknown_table_status").value(m_settings.unknown_table_status)
      .key("reject_next_offsets").value(m_reject_next_offsets)
      .key("clock_frozen").value(m_frozen.has_value())
      .key("now").value(format_airtable_time(now()))
      .end_object();
  return out.take();
}

void AirtableApi::reset() {
  std::lock_guard lock(m_mutex);
  m_store.reset();
  m_iterators.clear();
  m_rate.clear();
  m_token_rate.clear();
  m_settings = m_startup;
  m_reject_next_offsets = 0;
  m_frozen.reset();
  m_advance = std::chrono::milliseconds(0);
}

}  // namespace pinsync_sandbox

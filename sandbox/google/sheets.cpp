#include "sandbox/google/sheets.h"

#include <algorithm>

#include "sandbox/google/auth.h"
#include "sandbox/google/json.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_no_permission = "The caller does not have permission";
constexpr std::string_view k_not_found = "Requested entity was not found.";
constexpr std::string_view k_project_number = "603366585132";

const std::set<std::string>& read_scopes() {
  static const std::set<std::string> scopes = {
      "https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/spreadsheets.readonly",
      "https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.readonly"};
  return scopes;
}

const std::set<std::string>& write_scopes() {
  static const std::set<std::string> scopes = {"https://www.googleapis.com/auth/spreadsheets",
                                               "https://www.googleapis.com/auth/drive"};
  return scopes;
}

// What tells Google's two read quotas apart in a 429; the rest of the body is the same.
struct QuotaNames {
  std::string_view limit;  // in the message
  std::string_view unit;
  std::string_view id;     // ErrorInfo quota_limit
};
constexpr QuotaNames k_per_user_quota{"Read requests per minute per user", "1/min/{project}/{user}",
                                      "ReadRequestsPerMinutePerUser"};
constexpr QuotaNames k_per_project_quota{"Read requests per minute", "1/min/{project}",
                                         "ReadRequestsPerMinutePerProject"};

Response quota_exceeded(const Request& req, ReadQuota::Refusal refusal) {
  const QuotaNames& names = refusal.limit == ReadLimit::per_user ? k_per_user_quota : k_per_project_quota;
  std::string message = "Quota exceeded for quota metric 'Read requests' and limit '" + std::string(names.limit) +
                        "' of service 'sheets.googleapis.com' for consumer 'project_number:" +
                        std::string(k_project_number) + "'.";
  JsonOut d;
  d.begin_array().begin_object().key("@type").value("type.googleapis.com/google.rpc.ErrorInfo");
  d.key("reason").value("RATE_LIMIT_EXCEEDED").key("domain").value("googleapis.com");
  d.key("metadata").begin_object();
  d.key("quota_limit_value").value(std::to_string(refusal.per_minute));  // a string on the wire, not a number
  d.key("service").value("sheets.googleapis.com");
  d.key("consumer").value("projects/" + std::string(k_project_number));
  d.key("quota_unit").value(names.unit).key("quota_location").value("global");
  d.key("quota_metric").value("sheets.googleapis.com/read_requests");
  d.key("quota_limit").value(names.id).end_object().end_object();
  d.begin_object().key("@type").value("type.googleapis.com/google.rpc.Help").key("links").begin_array();
  d.begin_object().key("description").value("Request a higher quota limit.");
  d.key("url").value("https://cloud.google.com/docs/quotas/help/request_increase").end_object();
  d.end_array().end_object().end_array();
  return google_error(req, 429, "RESOURCE_EXHAUSTED", message, d.take());
}

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// The mask from `fields` or, failing that, the X-Goog-FieldMask header.
std::optional<std::string> mask_text(const Request& req) {
  if (auto it = req.query.find("fields"); it != req.query.end()) return it->second;
  return req.header("x-goog-fieldmask");
}

}  // namespace

std::expected<ReadOptions, Response> parse_read_options(const Request& req, const std::map<std::string, std::string>& values,
                                                        std::string_view field_prefix) {
  const std::string prefix(field_prefix);
  ReadOptions o;
  if (auto it = values.find("majorDimension"); it != values.end()) {
    if (it->second == "COLUMNS") {
      o.major = Dimension::columns;
    } else if (it->second != "ROWS" && it->second != "DIMENSION_UNSPECIFIED") {
      return std::unexpected(google_invalid_value(req, prefix + "major_dimension", "type.googleapis.com/google.apps.sheets.v4.Dimension",
                                                  quoted(it->second)));
    }
  }
  if (auto it = values.find("valueRenderOption"); it != values.end()) {
    if (it->second == "UNFORMATTED_VALUE") {
      o.value_render = ValueRender::unformatted;
    } else if (it->second == "FORMULA") {
      o.value_render = ValueRender::formula;
    } else if (it->second != "FORMATTED_VALUE") {
      return std::unexpected(google_invalid_value(
          req, prefix + "value_render_option", "type.googleapis.com/google.apps.sheets.v4.ValueRenderOption", quoted(it->second)));
    }
  }
  if (auto it = values.find("dateTimeRenderOption"); it != values.end()) {
    if (it->second == "FORMATTED_STRING") {
      o.date_render = DateRender::formatted_string;
    } else if (it->second != "SERIAL_NUMBER") {
      return std::unexpected(google_invalid_value(req, prefix + "date_time_render_option",
                                                  "type.googleapis.com/google.apps.sheets.v4.DateTimeRenderOption",
                                                  quoted(it->second)));
    }
  }
  return o;
}

std::expected<void, ReadQuota::Refusal> ReadQuota::take(const std::string& user, const std::string& project) {
  std::lock_guard lock(m_mutex);
  auto now = std::chrono::steady_clock::now();
  // A window that never counted a read starts again at the next one: windows open at a read
  // that counts, not at a refused one.
  auto window = [&](std::map<std::string, Window>& windows, const std::string& key) -> Window& {
    Window& w = windows[key];
    if (w.used == 0 || now - w.start >= std::chrono::minutes(1)) w = Window{now, 0};
    return w;
  };
  // An off quota keeps no windows. Map nodes stay put, so both pointers survive the second lookup.
  Window* by_user = m_limits.per_user > 0 ? &window(m_users, project + "/" + user) : nullptr;
  Window* by_project = m_limits.per_project > 0 ? &window(m_projects, project) : nullptr;
  if (by_user && by_user->used >= m_limits.per_user) {
    return std::unexpected(Refusal{ReadLimit::per_user, m_limits.per_user});
  }
  if (by_project && by_project->used >= m_limits.per_project) {
    return std::unexpected(Refusal{ReadLimit::per_project, m_limits.per_project});
  }
  if (by_user) ++by_user->used;
  if (by_project) ++by_project->used;
  return {};
}

void ReadQuota::set_limits(Limits limits) {
  std::lock_guard lock(m_mutex);
  m_limits = limits;
  m_users.clear();
  m_projects.clear();
}

ReadQuota::Limits ReadQuota::limits() const {
  std::lock_guard lock(m_mutex);
  return m_limits;
}

void ReadQuota::reset() { set_limits(m_startup); }

GoogleSheetsApi::Route GoogleSheetsApi::match(std::string_view path) {
  constexpr std::string_view base = "/v4/spreadsheets/";
  Route r;
  if (path.substr(0, base.size()) != base) return r;
  std::string_view rest = path.substr(base.size());
  auto end = rest.find_first_of("/:");
  std::string_view id = rest.substr(0, end);
  if (id.empty()) return r;
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  r.id = std::string(id);
  constexpr std::string_view values_slash = "/values/";
  if (rest.empty()) {
    r.kind = Route::Kind::metadata;
    r.route_template = "/v4/spreadsheets/{id}";
  } else if (rest == ":batchUpdate") {
    r.kind = Route::Kind::structure;
    r.route_template = "/v4/spreadsheets/{id}:batchUpdate";
  } else if (rest == "/values:batchGet") {
    r.kind = Route::Kind::batch_get;
    r.route_template = "/v4/spreadsheets/{id}/values:batchGet";
  } else if (rest == "/values:batchUpdate") {
    r.kind = Route::Kind::batch_update;
    r.route_template = "/v4/spreadsheets/{id}/values:batchUpdate";
  } else if (rest.substr(0, values_slash.size()) == values_slash && rest.size() > values_slash.size()) {
    std::string_view range = rest.substr(values_slash.size());
    constexpr std::string_view append = ":append", clear = ":clear";
    if (range.size() > append.size() && range.ends_with(append)) {
      r.kind = Route::Kind::append;
      r.route_template = "/v4/spreadsheets/{id}/values/{range}:append";
      range.remove_suffix(append.size());
    } else if (range.size() > clear.size() && range.ends_with(clear)) {
      r.kind = Route::Kind::clear;
      r.route_template = "/v4/spreadsheets/{id}/values/{range}:clear";
      range.remove_suffix(clear.size());
    } else {
      r.kind = Route::Kind::values;
      r.route_template = "/v4/spreadsheets/{id}/values/{range}";
    }
    r.range = std::string(range);
  }
  return r;
}

GoogleMessage GoogleSheetsApi::response_message(Route::Kind kind, Op op) {
  using Kind = Route::Kind;
  switch (kind) {
    case Kind::metadata: return GoogleMessage::spreadsheet;
    case Kind::values: return op == Op::read ? GoogleMessage::value_range : GoogleMessage::update_values;
    case Kind::batch_get: return GoogleMessage::batch_get_values;
    case Kind::batch_update: return GoogleMessage::batch_update_values;
    case Kind::append: return GoogleMessage::append_values;
    case Kind::clear: return GoogleMessage::clear_values;
    case Kind::structure: return GoogleMessage::batch_update_spreadsheet;
    case Kind::unknown: break;
  }
  return GoogleMessage::spreadsheet;
}

Response GoogleSheetsApi::handle(const Request& req) {
  const auto handling = m_stats.handling();
  Route r = match(req.path);
  Response res = route(req, r);
  m_stats.record(req.method, r.route_template, res.status);
  return res;
}

Response GoogleSheetsApi::route(const Request& req, const Route& r) {
  using Kind = Route::Kind;
  bool method_ok = (r.kind == Kind::metadata && req.method == "GET") ||
                   (r.kind == Kind::values && (req.method == "GET" || req.method == "PUT")) ||
                   (r.kind == Kind::batch_get && req.method == "GET") ||
                   ((r.kind == Kind::batch_update || r.kind == Kind::append || r.kind == Kind::clear ||
                     r.kind == Kind::structure) &&
                    req.method == "POST");
  if (!method_ok) return google_error(req, 404, "NOT_FOUND", "Method not found.");
  Op op = req.method == "GET" ? Op::read : Op::write;
  auto caller = authenticate(req, op);
  if (!caller) return caller.error();
  // The mask is expanded before the spreadsheet is looked up: a bad one fails on any id.
  std::optional<FieldMask> mask;
  if (auto text = mask_text(req); text && !text->empty()) {
    auto parsed = parse_field_mask(*text, response_message(r.kind, op));
    if (!parsed) return google_field_mask_error(req, *text, parsed.error());
    mask = std::move(*parsed);
  }
  if (auto allowed = authorize(req, *caller, r.id, op); !allowed) return allowed.error();
  Response res = dispatch(req, r, op);
  if (mask && res.status == 200) res = google_json(req, apply_field_mask(res.body, *mask));
  return res;
}

Response GoogleSheetsApi::dispatch(const Request& req, const Route& r, Op op) {
  using Kind = Route::Kind;
  switch (r.kind) {
    case Kind::metadata:
      return get_metadata(req, r.id);
    case Kind::values:
      if (op == Op::write) return update_values(req, r.id, r.range);
      return get_values(req, r.id, {r.range}, false);
    case Kind::batch_get: {
      std::vector<std::string> ranges;
      for (const auto& [name, value] : req.query_list) {
        if (name == "ranges") ranges.push_back(value);
      }
      return get_values(req, r.id, ranges, true);
    }
    case Kind::batch_update:
      return batch_update(req, r.id);
    case Kind::append:
      return append_values(req, r.id, r.range);
    case Kind::clear:
      return clear_values(req, r.id, r.range);
    case Kind::structure:
      return structure_update(req, r.id);
    case Kind::unknown:
      break;
  }
  return google_error(req, 404, "NOT_FOUND", "Method not found.");
}

std::expected<GoogleSheetsApi::Caller, Response> GoogleSheetsApi::authenticate(const Request& req, Op op) const {
  static constexpr GoogleService k_sheets{"sheets.googleapis.com", {}, false};
  if (op == Op::write) return authenticate_google(req, m_registry, CredentialUse::write, write_scopes(), k_sheets);
  return authenticate_google(req, m_registry, CredentialUse::read, read_scopes(), k_sheets);
}

std::expected<void, Response> GoogleSheetsApi::authorize(const Request& req, const Caller& caller, const std::string& id,
                                                         Op op) {
  if (op == Op::read) {
    auto taken = m_quota.take(caller.quota_key, caller.project);
    if (!taken) return std::unexpected(quota_exceeded(req, taken.error()));
  }
  auto access = m_store.access(id, caller.email);
  if (!access) return std::unexpected(google_error(req, 404, "NOT_FOUND", k_not_found));
  Access needed = op == Op::write ? Access::write : Access::read;
  if (*access < needed) return std::unexpected(google_error(req, 403, "PERMISSION_DENIED", k_no_permission));
  return {};
}

Response GoogleSheetsApi::get_metadata(const Request& req, const std::string& id) {
  // Grid data is not emulated: refuse it rather than answer without the cells asked for.
  if (auto it = req.query.find("includeGridData"); it != req.query.end() && it->second != "false") {
    if (it->second != "true") {
      return google_invalid_value(req, "include_grid_data", "TYPE_BOOL", quoted(it->second));
    }
    return google_error(req, 400, "INVALID_ARGUMENT", "includeGridData=true is not emulated by pinsync-sandbox");
  }
  std::vector<std::string> ranges;
  for (const auto& [name, value] : req.query_list) {
    if (name == "ranges") ranges.push_back(value);
  }
  // Ranges only filter grid data, which this emulator never includes, but bad ones still fail.
  if (auto checked = m_store.read(id, ranges, ReadOptions{}); !checked) {
    return google_error(req, 400, "INVALID_ARGUMENT", checked.error());
  }
  auto body = m_store.metadata(id);
  if (!body) return google_error(req, 404, "NOT_FOUND", k_not_found);
  return google_json(req, std::move(*body));
}

Response GoogleSheetsApi::get_values(const Request& req, const std::string& id, const std::vector<std::string>& ranges,
                                     bool batch) {
  auto options = parse_read_options(req, req.query);
  if (!options) return options.error();
  auto value_ranges = m_store.read(id, ranges, *options);
  if (!value_ranges) return google_error(req, 400, "INVALID_ARGUMENT", value_ranges.error());
  if (!batch) {
    if (value_ranges->empty()) return google_error(req, 404, "NOT_FOUND", k_not_found);
    return google_json(req, std::move(value_ranges->front()));
  }
  JsonOut out;
  out.begin_object().key("spreadsheetId").value(id);
  if (!value_ranges->empty()) {
    out.key("valueRanges").begin_array();
    for (const std::string& vr : *value_ranges) out.raw(vr);
    out.end_array();
  }
  out.end_object();
  return google_json(req, out.take());
}

}  // namespace pinsync_sandbox

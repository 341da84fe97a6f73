// The emulated Google Sheets API v4 under /v4: spreadsheets.get and .batchUpdate (structure),
// values.get, .batchGet, .update, .batchUpdate, .append and .clear, partial responses (`fields`),
// with Google's auth rules (API key for public sheets,
// bearer tokens from the token endpoint, scopes, sharing), error envelope and the optional
// per-minute read quotas (per user and per project) that answer 429 RESOURCE_EXHAUSTED.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/google/auth.h"
#include "sandbox/google/field_mask.h"
#include "sandbox/google/oauth_registry.h"
#include "sandbox/google/sheets_store.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// Which of Google's two Sheets read quotas refused a read.
enum class ReadLimit { per_user, per_project };

// Google's per-minute Sheets read quotas: one per user (a service account, an OAuth user, or an
// API key) within its project, and one per project shared by all its users. A window opens at
// the first counted read of a user (of a project) and lasts 60 s on the steady clock;
// set_limits() and reset() restart them, so tests never wait for a minute to pass. Thread-safe.
class ReadQuota {
 public:
  struct Limits {
    std::int64_t per_user = 0;     // reads per minute per user per project; 0 = off
    std::int64_t per_project = 0;  // reads per minute per project; 0 = off
  };
  struct Refusal {
    ReadLimit limit;
    std::int64_t per_minute;  // that quota's limit, for the 429 body
  };

  explicit ReadQuota(Limits startup) : m_limits(startup), m_startup(startup) {}
  // Counts one read of `user` in `project` when both quotas have room (an off quota always has).
  // Returns nothing then. Otherwise returns the quota that is used up (the per-user one when
  // both are) and counts the read in neither: a refused read uses up nothing.
  std::expected<void, Refusal> take(const std::string& user, const std::string& project);
  // Sets both limits and forgets every count.
  void set_limits(Limits limits);
  Limits limits() const;
  // Restores the startup limits and forgets every count.
  void reset();

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    std::int64_t used = 0;
  };
  mutable std::mutex m_mutex;
  Limits m_limits;
  Limits m_startup;
  std::map<std::string, Window> m_users;     // by project, '/', user
  std::map<std::string, Window> m_projects;  // by project
};

// Reads majorDimension, valueRenderOption and dateTimeRenderOption from `values` (a request's
// query, or the response*RenderOption values of a write renamed to those names). Returns the
// options, or Google's 400 naming `field_prefix` + the field ("response_value_render_option").
std::expected<ReadOptions, Response> parse_read_options(const Request& req, const std::map<std::string, std::string>& values,
                                                        std::string_view field_prefix = {});

class GoogleSheetsApi final : public Service {
 public:
  // All four must outlive this object.
  GoogleSheetsApi(SheetsStore& store, GoogleAuthRegistry& registry, ReadQuota& quota, RequestStats& stats)
      : m_store(store), m_registry(registry), m_quota(quota), m_stats(stats) {}

  std::string_view prefix() const override { return "/v4"; }
  // Returns the API's answer; counts the request in the stats under its route template.
  Response handle(const Request& request) override;

 private:
  enum class Op { read, write };
  using Caller = GoogleCaller;
  struct Route {
    enum class Kind { metadata, values, batch_get, batch_update, append, clear, structure, unknown } kind = Kind::unknown;
    std::string route_template = "/v4/(unmatched)";
    std::string id;
    std::string range;
  };

  static Route match(std::string_view path);
  // Returns the message a route answers with, for checking a `fields` mask.
  static GoogleMessage response_message(Route::Kind kind, Op op);
  Response route(const Request& req, const Route& r);
  // Calls the route's handler (auth, mask and access already checked).
  Response dispatch(const Request& req, const Route& r, Op op);
  // Returns the caller, or the 400/401/403 Google gives for its credentials.
  std::expected<Caller, Response> authenticate(const Request& req, Op op) const;
  // Returns nothing when the caller may do `op` on spreadsheet `id`, else the 404/403/429.
  std::expected<void, Response> authorize(const Request& req, const Caller& caller, const std::string& id, Op op);

  Response get_metadata(const Request& req, const std::string& id);
  Response get_values(const Request& req, const std::string& id, const std::vector<std::string>& ranges, bool batch);
  Response update_values(const Request& req, const std::string& id, const std::string& range);
  Response batch_update(const Request& req, const std::string& id);
  Response append_values(const Request& req, const std::string& id, const std::string& range);
  Response clear_values(const Request& req, const std::string& id, const std::string& range);
  Response structure_update(const Request& req, const std::string& id);
  // Returns the ValueRange of `range` after a write, for includeValuesInResponse=true, rendered
  // with the response*RenderOption values (`query`: the request's query, or the body's keys).
  std::expected<std::string, Response> updated_data(const Request& req, const std::string& id, const std::string& range,
                                                    const std::map<std::string, std::string>& options);

  SheetsStore& m_store;
  GoogleAuthRegistry& m_registry;
  ReadQuota& m_quota;
  RequestStats& m_stats;
};

}  // namespace pinsync_sandbox

// The emulated Airtable Web API under /v0, as docs/sandbox.md ("Airtable Web API") describes
// it: personal access tokens with scopes and base access, list records with opaque expiring
// offsets, views, fields[], sort, filterByFormula, cellFormat=string, record create / update /
// replace / delete of at most 10 records, select choices and typecast, 5 requests per second
// per base and 50 per token with a 30 s 429 penalty, Airtable's error bodies.
// It also owns the state the control routes (control.h) read and write.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/JSON/Object.h>

#include "sandbox/airtable/config.h"
#include "sandbox/airtable/store.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class AirtableApi final : public Service {
 public:
  // `stats` is shared with the control routes and must outlive this object.
  AirtableApi(const std::vector<AirtableToken>& tokens, AirtableSettings settings, RequestStats& stats);

  std::string_view prefix() const override { return "/v0"; }
  // Returns Airtable's answer; counts the request in the stats under its route template.
  Response handle(const Request& request) override;

  // --- for the control routes (no auth, no rate limit, not counted) ---
  // Replaces a table's content from a control body (see replace_table_content). Returns the
  // table as table_json() does, or a message naming the bad part (nothing changed then).
  std::expected<std::string, std::string> put_table(const std::string& base_id, const std::string& table,
                                                    const Poco::JSON::Object& body);
  // A partner renaming or deleting select options (see change_choices in store.h). Returns the
  // table as table_json() does, "no table …" for an unknown base or table, or a message naming
  // the bad part (nothing changed then).
  std::expected<std::string, std::string> change_table_choices(const std::string& base_id, const std::string& table,
                                                               const Poco::JSON::Object& body);
  // Returns {"id","name","fields":[{"id","name","type","choices"?}],"views":[{"id","name"}],"records":[…]}
  // with each record's lastModifiedTime, or nullopt for an unknown base or table.
  std::optional<std::string> table_json(const std::string& base_id, const std::string& table);
  // Applies settings and one-shot actions ("now", "advance_seconds", "expire_offsets",
  // "reject_next_offsets"). Returns settings_json(), or a message naming the bad key (nothing
  // changed then).
  std::expected<std::string, std::string> apply_settings(const Poco::JSON::Object& patch);
  // Returns the current settings and the Airtable clock as JSON.
  std::string settings_json();
  // Forgets all bases, offsets and rate windows; restores the startup settings and real time.
  void reset();

 private:
  using Steady = std::chrono::steady_clock;
  struct Iterator {
    std::string table_id;
    std::string signature;          // the list parameters other than offset and pageSize
    std::vector<std::string> ids;   // matching records, in answer order, when the list started
    std::chrono::sys_time<std::chrono::milliseconds> last_used{};
  };
  struct RateWindow {
    std::deque<Steady::time_point> accepted;  // within the last second
    Steady::time_point blocked_until{};
  };
  struct Route {
    std::string_view route_template;
    std::string base_id, table, record_id;
    bool matched = false;
  };

  enum class WriteMode {
    update,   // PATCH: the fields given change, the others stay
    replace,  // PUT: the fields not given are cleared
    create,   // POST
  };

  static Route match(const std::string& path);
  Response route(const Request& req, const Route& r);
  Response list_records(const Request& req, AirtableTable& table);
  Response get_record(const Request& req, AirtableTable& table, const std::string& record_id);
  // PATCH, PUT and POST (write.cpp): at most 10 records, all or none.
  Response write_records(const Request& req, AirtableTable& table, const std::string& single_id, WriteMode mode);
  // DELETE …/{table}?records[]=… (at most 10, all or none) and DELETE …/{table}/{recordId}.
  Response delete_records(const Request& req, AirtableTable& table, const std::string& single_id);
  // Returns true when both the token (all its bases) and the base (all tokens) may take one
  // more request now; otherwise starts or continues the 429 penalty of the one over its limit.
  bool take_rate_slot(const std::string& base_id, const std::string& token);
  // The Airtable wall clock: real time, or frozen by the control route, plus any advance.
  std::chrono::sys_time<std::chrono::milliseconds> precise_now() const;
  AirtableTime now() const;  // precise_now() truncated to whole seconds, as Airtable stores times
  std::optional<std::string> table_json_locked(const std::string& base_id, const std::string& table);

  mutable std::mutex m_mutex;  // guards everything below
  std::map<std::string, AirtableToken, std::less<>> m_tokens;
  AirtableSettings m_startup;
  AirtableSettings m_settings;
  AirtableStore m_store;
  std::map<std::string, Iterator> m_iterators;  // by "itr…" id
  int m_reject_next_offsets = 0;
  std::map<std::string, RateWindow> m_rate;     // by base id
  std::map<std::string, RateWindow> m_token_rate;  // by token secret
  std::optional<std::chrono::sys_time<std::chrono::milliseconds>> m_frozen;
  std::chrono::milliseconds m_advance{0};
  std::mt19937_64 m_rng;
  RequestStats& m_stats;
};

// Returns Airtable's error body {"error":{"type","message"}} (no "message" key when empty).
Response airtable_error(int status, std::string_view type, std::string_view message);
// A 200 with a JSON body, typed as Airtable types it.
Response airtable_ok(std::string body);
// The message of Airtable's 422 INVALID_REQUEST_UNKNOWN (a bad parameter or body).
inline constexpr std::string_view k_invalid_request =
    "Invalid request: parameter validation failed. Check your request data.";

}  // namespace pinsync_sandbox

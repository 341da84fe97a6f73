// The HTTP side of the Google Sheets connector: adds credentials, sends through the
// context's transport and core's retry loop (rate limited, 429/5xx retried with
// exponential backoff and full jitter), logs one redacted line per call, and turns
// Google's error envelope into an Error an operator can act on. Internal to connectors/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/google_auth.h"
#include "connectors/google_sheets_settings.h"
#include "core/backoff.h"
#include "core/http_retry.h"

namespace pinsync::connectors {

// What a call is for: decides the limiter and the wording of 403 messages. check_ids is
// the read of the ID column after a write-back (values.get), to find rows that moved.
// drive_file: Drive's files.get of the spreadsheet (the change gate), sent to drive_base_url.
enum class SheetsCall { metadata, read, write_back, assign_ids, check_ids, drive_file };

class SheetsApi {
 public:
  // `settings` and `context` must outlive the SheetsApi.
  SheetsApi(const GoogleSheetsSettings& settings, const ConnectorContext& context);
  ~SheetsApi();

  // Creates the credentials (loading the key file), the transport and the rate limiters
  // the first time it succeeds. Returns nothing, or Error{config} from GoogleAuth::create.
  Result<void> ready();
  // The credentials; only valid after ready() succeeded.
  const GoogleAuth& auth() const { return *m_auth; }
  bool is_ready() const { return m_auth.has_value(); }

  // Sends `method` to sheets_base_url + `path_and_query` (which starts with /v4/…),
  // with `body` as JSON when not empty. Returns the body of a 2xx answer, or an Error
  // whose message is the fact and the fix without the source name: kinds auth (401,
  // 403, token errors), not_found (404), config (400), rate_limited/transient (429/5xx
  // and transport failures after the retries), or the transport's kind.
  Result<std::string> call(const std::string& method, const std::string& path_and_query, const std::string& body,
                           SheetsCall kind);

  // The sheet titles named in a "bad range" message (set after spreadsheets.get).
  void set_sheet_titles(std::vector<std::string> titles) { m_sheet_titles = std::move(titles); }
  // Every secret this connector holds, for redact().
  std::vector<std::string> secrets() const;

 private:
  Result<http::Response> send_with_retry(http::Request request, SheetsCall kind, bool token_call);
  Error status_error(const http::Response& response, SheetsCall kind) const;
  Error exhausted_error(const http::Response& response, int attempts) const;
  void log_call(const http::Request& request, long status, std::chrono::milliseconds elapsed) const;

  const GoogleSheetsSettings& m_settings;
  const ConnectorContext& m_context;
  std::unique_ptr<http::Transport> m_transport;
  std::optional<GoogleAuth> m_auth;
  std::shared_ptr<RateLimiter> m_read_limiter;
  std::shared_ptr<RateLimiter> m_write_limiter;
  std::shared_ptr<RateLimiter> m_project_read_limiter;   // every identity of the same project
  std::shared_ptr<RateLimiter> m_project_write_limiter;
  std::vector<std::string> m_sheet_titles;
  Backoff m_backoff;
};

}  // namespace pinsync::connectors

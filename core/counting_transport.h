// Counts every HTTP request pinsync makes, by API (pinned, sheets, airtable, google_oauth,
// csv, other), route template ("POST /events", "PATCH /events/{id}") and status, for the
// agent's /metrics. A CountingTransport wraps any Transport and adds to a RequestCounter.
// The labels are the ones each sender puts on its request (Request::api and route), so
// this file knows no API's URL layout and a new connector labels its own requests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/http.h"

namespace pinsync::http {

struct RouteLabel {
  std::string api;    // pinned | sheets | airtable | google_oauth | csv | other
  std::string route;  // "METHOD /template"
};

// Returns the labels `request` is counted under: its api, and its method and route
// template ("POST /events"); "other" and "METHOD (other)" for what its sender left
// unlabelled. Never reads the URL, which may hold ids, ranges and secrets.
RouteLabel route_label(const Request& request);

struct RequestCount {
  std::string api;
  std::string route;
  std::string status;  // "201", or "error" when no response came
  std::int64_t count = 0;
};

// Thread-safe counts of requests by (api, route, status).
class RequestCounter {
 public:
  void add(const RouteLabel& label, std::string_view status);
  // Returns every count, sorted by api, route, status.
  std::vector<RequestCount> snapshot() const;

 private:
  mutable std::mutex m_mutex;
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> m_counts;
};

// Sends through `inner` and counts each request in `counter` (which must outlive it).
class CountingTransport final : public Transport {
 public:
  CountingTransport(std::unique_ptr<Transport> inner, RequestCounter& counter)
      : m_inner(std::move(inner)), m_counter(counter) {}
  // Returns what `inner` returned, after counting it.
  std::expected<Response, TransportError> send(const Request& request) override;

 private:
  std::unique_ptr<Transport> m_inner;
  RequestCounter& m_counter;
};

}  // namespace pinsync::http

// HTTP as pinsync sees it: a request, a response, and a transport that sends one and
// returns the other. A 4xx or 5xx is a response, not an error; only failures to get a
// response at all (connect, timeout, reset, TLS) are errors. libcurl sits behind
// CurlTransport; unit tests script a fake transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pinsync::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The answer size a request accepts unless it says otherwise: far above any API answer
// pinsync reads (a 100,000-row sheet is about 20 MB).
inline constexpr std::size_t k_default_max_body = 256u * 1024 * 1024;

struct Response;

// Takes the body of a 2xx answer piece by piece as it arrives (Request::on_body): `head` has
// the status and headers, no body. An error ends the transfer and is what send() returns.
using BodyPieces = std::function<Result<void>(const Response& head, std::string_view piece)>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
  // What the request is, for the request counts (core/counting_transport.h), set by the
  // sender because only the sender knows its API's layout: the API ("pinned", "sheets",
  // "airtable", "google_oauth", "csv") and the route template without the method
  // ("/events/{id}", "/v4/spreadsheets/{id}/values:batchGet", "(csv)"). Never an id, a
  // range, a query string or anything secret: they become metric labels. "" = unlabelled.
  std::string api;
  std::string route;
  // The largest answer body taken: a longer one ends the request with Error{invalid}
  // saying so, never grows the process without bound. Generous for API answers.
  std::size_t max_body = k_default_max_body;
  // Redirects followed (0: a 3xx is the answer). Only a credential-free GET should follow;
  // an https request is only ever redirected to https.
  int max_redirects = 0;
  // When set, a transport may hand a 2xx answer's body here as it arrives instead of
  // keeping it (max_body still bounds it); one that does not stream leaves the body in
  // Response::body as usual. Other answers' bodies are always kept.
  BodyPieces on_body;
};

// The longest wait a Retry-After is taken to ask for: a server asking for more (or
// naming a date further off) is asked again after this long.
inline constexpr std::chrono::seconds k_max_retry_after{3600};

struct Response {
  long status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  std::chrono::milliseconds elapsed{0};

  // Returns the first header with this (lower-case) name, or nullopt.
  std::optional<std::string_view> header(std::string_view lower_name) const;

  // Returns how long the Retry-After header asks to wait, capped at k_max_retry_after:
  // delta-seconds ("120": digits only, spaces around allowed; more digits than fit are
  // the cap), or an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") as the whole seconds
  // from `now` until then, rounded up (0 s for a date already past). Returns nullopt when
  // there is no Retry-After or it is neither form: a negative or fractional number, text
  // after the digits, or the obsolete RFC 850 and asctime date forms, which servers no
  // longer send.
  std::optional<std::chrono::seconds> retry_after(std::chrono::system_clock::time_point now) const;
};

// Whom a refusal blames when its status names no more precise cause (400, 405, 422, an
// unfollowed 3xx, …): the data sent, or the settings the request was built from.
enum class Refusal {
  bad_request,   // ErrorKind::invalid: the payload is wrong (a row's event)
  bad_settings,  // ErrorKind::config: the address, range, formula or fields configured
};

// The one rule from an HTTP status to an ErrorKind: 401 and 403 auth, 404 not_found,
// 408 timeout, 409 conflict, 429 rate_limited, 5xx transient, any other non-2xx status
// invalid or config as `refusal` says. Returns ErrorKind::internal for a 2xx, which is
// no error. Each API adds its own words (and may read a more precise kind from its error
// body); the kind for a status comes from here.
ErrorKind error_kind_for(long status, Refusal refusal = Refusal::bad_request);

// How far a failed request got: decides whether a write may have happened.
enum class SendStage {
  not_sent,   // failed before the request left (DNS, connect refused): safe to resend
  maybe_sent  // failed after the request may have reached the server: outcome unknown
};

struct TransportError {
  Error error;  // kind transient or timeout
  SendStage stage = SendStage::maybe_sent;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request`. Returns the response for any HTTP status, or a TransportError
  // when no complete response arrived.
  virtual std::expected<Response, TransportError> send(const Request& request) = 0;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view value);

// Kept-alive libcurl connections for every transport made with the pool (thread-safe; see
// curl_transport.cpp): a request borrows an idle connection to its host, so transports to
// one host keep only as many connections as they have requests in flight; DNS answers and
// TLS sessions are shared too.
class ConnectionPool;
std::shared_ptr<ConnectionPool> make_connection_pool();

// libcurl transport over `pool` (use one transport per thread; any number may share a pool).
std::unique_ptr<Transport> make_curl_transport(std::shared_ptr<ConnectionPool> pool);
// libcurl transport over a pool of its own.
std::unique_ptr<Transport> make_curl_transport();

}  // namespace pinsync::http

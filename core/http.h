// HTTP as pinsync sees it: a request, a response, and a transport that sends one and
// returns the other. A 4xx or 5xx is a response, not an error; only failures to get a
// response at all (connect, timeout, reset, TLS) are errors. libcurl sits behind
// CurlTransport; unit tests script a fake transport.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pinsync::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
};

struct Response {
  long status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  std::chrono::milliseconds elapsed{0};

  // Returns the first header with this (lower-case) name, or nullopt.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

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

// libcurl transport with connection reuse (one easy handle per transport; use one
// transport per thread).
std::unique_ptr<Transport> make_curl_transport();

}  // namespace pinsync::http

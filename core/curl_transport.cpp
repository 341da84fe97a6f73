// libcurl behind http::Transport. One easy handle per transport, reused so that
// connections stay alive between requests to the same host.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "core/http.h"

namespace pinsync::http {

namespace {

void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where the body goes and how much of it is allowed.
struct BodySink {
  std::string* body;
  std::size_t limit;
  bool overflowed = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->overflowed = true;
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

std::string size_text(std::size_t bytes) {
  return bytes >= 1024 * 1024 ? std::to_string(bytes / (1024 * 1024)) + " MiB" : std::to_string(bytes) + " bytes";
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * count);
  // A new status line (after a redirect or 100-continue) starts a new header block.
  if (line.starts_with("HTTP/")) headers->clear();
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

class CurlTransport final : public Transport {
 public:
  CurlTransport() : m_curl(curl_easy_init()) {}
  ~CurlTransport() override { curl_easy_cleanup(m_curl); }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::expected<Response, TransportError> send(const Request& request) override {
    if (m_curl == nullptr) {
      return std::unexpected(TransportError{{ErrorKind::internal, "could not start libcurl"},
                                            SendStage::not_sent});
    }
    curl_easy_reset(m_curl);
    Response response;
    curl_easy_setopt(m_curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(m_curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(m_curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long>(request.timeout.count(), 10'000)));
    // Only http and https, whatever a URL or a redirect names (no file://, no smb://).
    curl_easy_setopt(m_curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (request.max_redirects > 0) {
      curl_easy_setopt(m_curl, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(m_curl, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
      curl_easy_setopt(m_curl, CURLOPT_REDIR_PROTOCOLS_STR, request.url.starts_with("https:") ? "https" : "http,https");
    }
    BodySink sink{&response.body, request.max_body};
    curl_easy_setopt(m_curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(m_curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(m_curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(m_curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(m_curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(m_curl, CURLOPT_USERAGENT, "pinsync/0.1");
    if (request.method == "GET") {
      curl_easy_setopt(m_curl, CURLOPT_HTTPGET, 1L);
    } else if (!request.body.empty() || request.method != "HEAD") {
      curl_easy_setopt(m_curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(m_curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(m_curl, CURLOPT_HTTPHEADER, list);

    const CURLcode rc = curl_easy_perform(m_curl);
    curl_slist_free_all(list);
    double seconds = 0;
    curl_easy_getinfo(m_curl, CURLINFO_TOTAL_TIME, &seconds);
    response.elapsed = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    if (sink.overflowed) {
      return std::unexpected(TransportError{
          {ErrorKind::invalid, "the answer is larger than " + size_text(request.max_body) +
                                   ", the most this request takes; pinsync stopped reading it"},
          SendStage::maybe_sent});
    }
    if (rc != CURLE_OK) {
      // The URL is not echoed: it may carry a key= parameter.
      std::string message = std::string("request failed: ") + curl_easy_strerror(rc);
      switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
          return std::unexpected(TransportError{{ErrorKind::transient, message}, SendStage::not_sent});
        case CURLE_OPERATION_TIMEDOUT:
          return std::unexpected(TransportError{{ErrorKind::timeout, message}, SendStage::maybe_sent});
        default:
          return std::unexpected(TransportError{{ErrorKind::transient, message}, SendStage::maybe_sent});
      }
    }
    curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  CURL* m_curl;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport() {
  global_init_once();
  return std::make_unique<CurlTransport>();
}

}  // namespace pinsync::http

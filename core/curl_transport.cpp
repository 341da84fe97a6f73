// libcurl behind http::Transport. A transport borrows an easy handle from its
// ConnectionPool for each request and gives it back after: a handle keeps its connection
// alive, and a request takes the idle handle that last talked to the same host (scheme,
// host and port) first, so the pool holds about one connection per request in flight per
// host, whatever the number of transports. The pool's share object holds the DNS cache and
// the TLS sessions of every handle, behind the lock callbacks. Connections themselves are
// not put in the share (CURL_LOCK_DATA_CONNECT): libcurl documents sharing its connection
// cache between concurrent threads as unsupported (CURLSHOPT_SHARE, KNOWN_BUGS "A shared
// connection cache is not thread-safe"), and pinsync sends from several threads at once.
#include <curl/curl.h>

#include <array>
#include <deque>
#include <mutex>
#include <optional>

#include "core/http.h"
#include "core/text.h"

namespace pinsync::http {

namespace {

void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where the body goes and how much of it is allowed.
struct BodySink {
  CURL* curl;
  Response* response;
  const BodyPieces* pieces;  // the request's on_body, or null
  std::size_t limit;
  std::size_t taken = 0;
  bool overflowed = false;
  std::optional<Error> refused;  // what on_body answered, when it ended the transfer
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t n = size * count;
  if (sink->taken + n > sink->limit) {
    sink->overflowed = true;
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  }
  sink->taken += n;
  long status = 0;
  if (sink->pieces != nullptr && *sink->pieces &&
      curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status >= 200 && status <= 299) {
    sink->response->status = status;
    if (auto taken = (*sink->pieces)(*sink->response, std::string_view(data, n)); !taken) {
      sink->refused = taken.error();
      return 0;
    }
    return n;
  }
  sink->response->body.append(data, n);
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
    headers->emplace_back(text::ascii_lower(line.substr(0, colon)), std::string(text::trim(line.substr(colon + 1))));
  }
  return size * count;
}

// "https://host:port" of a URL: which connections can serve it.
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto path = url.find_first_of("/?#", scheme + 3);
  return text::ascii_lower(std::string_view(url).substr(0, path));
}

}  // namespace

class ConnectionPool {
 public:
  ConnectionPool() : m_share(curl_share_init()) {
    if (m_share == nullptr) return;
    curl_share_setopt(m_share, CURLSHOPT_LOCKFUNC, &ConnectionPool::lock);
    curl_share_setopt(m_share, CURLSHOPT_UNLOCKFUNC, &ConnectionPool::unlock);
    curl_share_setopt(m_share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  // Every transport of the pool holds it, so every handle is back (idle) by now.
  ~ConnectionPool() {
    for (auto& idle : m_idle) curl_easy_cleanup(idle.handle);
    if (m_share != nullptr) curl_share_cleanup(m_share);
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Returns a handle for a request to `origin` — the idle one used last for it, else a new
  // one — or null when libcurl cannot make one. The caller owns it until give_back().
  CURL* borrow(const std::string& origin) {
    {
      std::lock_guard lock(m_mutex);
      for (auto it = m_idle.rbegin(); it != m_idle.rend(); ++it) {
        if (it->origin == origin) {
          CURL* handle = it->handle;
          m_idle.erase(std::next(it).base());
          return handle;
        }
      }
    }
    CURL* handle = curl_easy_init();
    if (handle != nullptr && m_share != nullptr) curl_easy_setopt(handle, CURLOPT_SHARE, m_share);
    return handle;
  }

  // Keeps `handle` (and its open connection to `origin`) for the next request there. Past
  // k_max_idle idle handles, the one idle longest is closed.
  void give_back(CURL* handle, std::string origin) {
    CURL* closing = nullptr;
    {
      std::lock_guard lock(m_mutex);
      m_idle.push_back({handle, std::move(origin)});
      if (m_idle.size() > k_max_idle) {
        closing = m_idle.front().handle;
        m_idle.pop_front();
      }
    }
    if (closing != nullptr) curl_easy_cleanup(closing);
  }

 private:
  // More than the requests pinsync has in flight to all hosts at once (pinned.concurrency
  // up to 64 plus the sources' reads), so steady traffic never closes a connection.
  static constexpr std::size_t k_max_idle = 96;

  struct Idle {
    CURL* handle;
    std::string origin;
  };

  static void lock(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/, void* self) {
    static_cast<ConnectionPool*>(self)->m_locks.at(static_cast<std::size_t>(data)).lock();
  }
  static void unlock(CURL* /*handle*/, curl_lock_data data, void* self) {
    static_cast<ConnectionPool*>(self)->m_locks.at(static_cast<std::size_t>(data)).unlock();
  }

  CURLSH* m_share;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> m_locks;  // one per kind of shared data
  std::mutex m_mutex;
  std::deque<Idle> m_idle;  // the one used last at the back
};

namespace {

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(std::shared_ptr<ConnectionPool> pool) : m_pool(std::move(pool)) {}

  std::expected<Response, TransportError> send(const Request& request) override {
    const std::string origin = origin_of(request.url);
    CURL* handle = m_pool->borrow(origin);
    if (handle == nullptr) {
      return std::unexpected(TransportError{{ErrorKind::internal, "could not start libcurl"},
                                            SendStage::not_sent});
    }
    auto result = perform(handle, request);
    m_pool->give_back(handle, origin);
    return result;
  }

 private:
  static std::expected<Response, TransportError> perform(CURL* curl, const Request& request) {
    curl_easy_reset(curl);  // keeps the handle's connections and its share
    // A handle serves one host (redirects may add another): a couple of kept connections
    // is all it needs.
    curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 2L);
    Response response;
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long>(request.timeout.count(), 10'000)));
    // Only http and https, whatever a URL or a redirect names (no file://, no smb://).
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (request.max_redirects > 0) {
      curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
      curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, request.url.starts_with("https:") ? "https" : "http,https");
    }
    BodySink sink{curl, &response, request.on_body ? &request.on_body : nullptr, request.max_body, 0, false, std::nullopt};
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "pinsync/0.1");
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (!request.body.empty() || request.method != "HEAD") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(list);
    double seconds = 0;
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
    response.elapsed = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    if (sink.refused) return std::unexpected(TransportError{std::move(*sink.refused), SendStage::maybe_sent});
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
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  std::shared_ptr<ConnectionPool> m_pool;
};

}  // namespace

std::shared_ptr<ConnectionPool> make_connection_pool() {
  global_init_once();
  return std::make_shared<ConnectionPool>();
}

std::unique_ptr<Transport> make_curl_transport(std::shared_ptr<ConnectionPool> pool) {
  global_init_once();
  return std::make_unique<CurlTransport>(std::move(pool));
}

std::unique_ptr<Transport> make_curl_transport() { return make_curl_transport(make_connection_pool()); }

}  // namespace pinsync::http

#include "sandbox/http/reactor.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <Poco/Timespan.h>

namespace pinsync_sandbox {

namespace {

// epoll's data for the two descriptors that are not connections; connection ids start above.
constexpr std::uint64_t k_listener = 0;
constexpr std::uint64_t k_waker = 1;
constexpr std::uint64_t k_first_connection = 2;

// A connection is watched for its next request only once: the worker that serves it arms it
// again, so two workers never read the same connection.
constexpr std::uint32_t k_watch = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

std::string system_message(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Reactor::Reactor(ReactorOptions options, MakeHandler make) : m_options(options), m_make(std::move(make)) {
  m_next_id = k_first_connection;
}

Reactor::~Reactor() { stop(); }

std::expected<void, std::string> Reactor::start(int listen_fd) {
  m_listen = listen_fd;
  const int flags = ::fcntl(m_listen, F_GETFL, 0);
  if (flags < 0 || ::fcntl(m_listen, F_SETFL, flags | O_NONBLOCK) < 0) return std::unexpected(system_message("fcntl"));
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (m_epoll < 0) return std::unexpected(system_message("epoll_create1"));
  m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_wake < 0) return std::unexpected(system_message("eventfd"));
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.u64 = k_listener;
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.u64 = k_waker;
  if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_listen, &listen_event) < 0 ||
      ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &wake_event) < 0) {
    return std::unexpected(system_message("epoll_ctl"));
  }
  m_listening = true;
  m_started = true;
  m_loop = std::thread([this] { loop(); });
  for (int i = 0; i < std::max(1, m_options.workers); ++i) m_workers.emplace_back([this] { work(); });
  return {};
}

void Reactor::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return;
    m_stopping = true;
    // A worker blocked on a slow client returns at once; its connection is then closed.
    for (auto& [id, connection] : m_connections) connection->handler->abort();
  }
  m_cv.notify_all();
  if (m_wake >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(m_wake, &one, sizeof one);
  }
  if (m_loop.joinable()) m_loop.join();
  for (auto& t : m_workers) t.join();
  m_workers.clear();
  m_connections.clear();  // closes the sockets
  if (m_epoll >= 0) ::close(m_epoll);
  if (m_wake >= 0) ::close(m_wake);
  m_epoll = m_wake = -1;
}

void Reactor::loop() {
  constexpr int k_batch = 256;
  epoll_event events[k_batch];
  auto next_sweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    // Once a second at most: the idle sweep needs no finer clock.
    const int n = ::epoll_wait(m_epoll, events, k_batch, 1000);
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) return;
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[i].data.u64;
      if (id == k_listener) {
        accept_all();
      } else if (id != k_waker) {
        dispatch(id);
      }
    }
    if (std::chrono::steady_clock::now() >= next_sweep) {
      sweep();
      next_sweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
}

void Reactor::accept_all() {
  for (;;) {
    const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the listening socket would stay readable and spin the loop.
        // Stop watching it until the next sweep has closed idle connections.
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, m_listen, nullptr);
        m_listening = false;
      }
      return;  // EAGAIN: every waiting connection is accepted
    }
    {
      std::lock_guard lock(m_mutex);
      if (m_connections.size() >= m_options.max_connections) {
        ::close(fd);
        continue;
      }
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connection->last_active = std::chrono::steady_clock::now();
    try {
      Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));
      socket.setReceiveTimeout(Poco::Timespan(m_options.io_timeout.count(), 0));
      socket.setSendTimeout(Poco::Timespan(m_options.io_timeout.count(), 0));
      connection->handler = m_make(socket);  // the socket (and its descriptor) now belongs to the handler
    } catch (const Poco::Exception&) {
      continue;  // the client is already gone; the socket closed with the last reference to it
    }
    std::lock_guard lock(m_mutex);
    const std::uint64_t id = m_next_id++;
    epoll_event event{};
    event.events = k_watch;
    event.data.u64 = id;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) == 0) m_connections.emplace(id, std::move(connection));
  }
}

void Reactor::dispatch(std::uint64_t id) {
  {
    std::lock_guard lock(m_mutex);
    const auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second->busy) return;
    it->second->busy = true;
    m_ready.push_back(id);
  }
  m_cv.notify_one();
}

void Reactor::work() {
  for (;;) {
    std::uint64_t id = 0;
    ConnectionHandler* handler = nullptr;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stopping || !m_ready.empty(); });
      if (m_stopping) return;
      id = m_ready.front();
      m_ready.pop_front();
      // A busy connection is erased only by the worker that holds it (or by stop() after
      // every worker has ended), so the handler outlives this call.
      handler = m_connections.at(id)->handler.get();
    }
    give_back(id, handler->serve());
  }
}

void Reactor::give_back(std::uint64_t id, bool keep) {
  std::lock_guard lock(m_mutex);
  auto& connection = *m_connections.at(id);
  if (keep && !m_stopping) {
    connection.busy = false;
    connection.last_active = std::chrono::steady_clock::now();
    epoll_event event{};
    event.events = k_watch;
    event.data.u64 = id;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_MOD, connection.fd, &event) == 0) return;
  }
  erase_locked(id);
}

void Reactor::erase_locked(std::uint64_t id) {
  const auto it = m_connections.find(id);
  if (it == m_connections.end()) return;
  // Before the handler closes the descriptor, whose number the next accept may reuse.
  ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, it->second->fd, nullptr);
  m_connections.erase(it);
}

void Reactor::sweep() {
  const auto cutoff = std::chrono::steady_clock::now() - m_options.idle_timeout;
  std::lock_guard lock(m_mutex);
  std::vector<std::uint64_t> idle;
  for (const auto& [id, connection] : m_connections) {
    if (!connection->busy && connection->last_active < cutoff) idle.push_back(id);
  }
  for (const auto id : idle) erase_locked(id);
  if (!m_listening) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = k_listener;
    m_listening = ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_listen, &event) == 0;
  }
}

}  // namespace pinsync_sandbox

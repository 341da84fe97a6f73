// Everything one command (or the agent) needs to talk to the world, built once: the
// clock, the logger, the Pinned Events client, the shared rate limiters, the state store
// and, for commands that write, the lock that keeps a second pinsync off the state file.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <ostream>

#include "agent/config/config.h"
#include "agent/pinned/client.h"
#include "agent/sync/pass.h"
#include "core/clock.h"
#include "core/counting_transport.h"
#include "core/log.h"
#include "core/rate_limiter.h"
#include "state/lock.h"
#include "state/store.h"

namespace pinsync::agent {

enum class StoreAccess {
  none,       // the command needs no state (channels, classifications, check)
  read,       // open the store if the file exists; never create it, no lock (plan, status, errors)
  write,      // take the state lock, then open or create the store (sync)
};

// What the per-source sessions of the agent share: one clock for the shared rate
// limiters, the state lock (held for the whole run), the store (thread-safe) and one
// logger (its lines never interleave). A PinnedClient/Transport is never shared.
struct SharedSessionState {
  SystemClock clock;
  std::unique_ptr<Logger> log;
  std::unique_ptr<RateLimiters> limiters;
  std::unique_ptr<state::StateLock> lock;
  std::unique_ptr<state::Store> store;
};

class Session {
 public:
  // Builds the session. Returns Error{config} when another pinsync holds the state file,
  // or the store's error when it cannot be opened.
  static Result<std::unique_ptr<Session>> open(const Config& config, std::ostream& log_out, StoreAccess access);

  // Takes the state lock and opens the store once for several sessions. Returns
  // Error{config} naming the holder's pid when another pinsync holds the state file, or
  // the store's error.
  static Result<std::shared_ptr<SharedSessionState>> open_shared(const Config& config, std::ostream& log_out);
  // A session with its own clock, transport and Pinned client that uses `shared`'s
  // lock, store, limiters and logger. Never fails. `config` must outlive the session;
  // `requests` (when given) counts its HTTP requests instead of the session's own counter
  // and must outlive it too.
  static std::unique_ptr<Session> attach(const Config& config, std::shared_ptr<SharedSessionState> shared,
                                         http::RequestCounter* requests = nullptr);

  const Config& config() const { return m_config; }
  Logger& log() { return *m_log; }
  Clock& clock() { return m_clock; }
  PinnedClient& client() { return *m_client; }
  // Every HTTP request of this session (Pinned Events and the sources), by api/route/status.
  http::RequestCounter& requests() { return *m_requests; }
  // Null without a state file (read) or for none.
  state::Store* store() { return m_shared ? m_shared->store.get() : m_store.get(); }

  // What a connector of `source` (its name) gets from the session: its clock, limiters,
  // logger and counted transports.
  connectors::ConnectorContext connector_context(const std::string& source);
  // The classification slugs, fetched once per session. Returns Error{auth} when the key
  // is refused; other failures give "not checked" (Pinned Events checks them anyway).
  Result<KnownSlugs> known_slugs();
  // Runs one pass over `source`.
  PassReport sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger);
  // As above, with a resync's row filter and force flag and the agent's stop flag.
  PassReport sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger,
                         const PassOptions& options);

 private:
  Session(const Config& config, std::ostream& log_out);
  Session(const Config& config, std::shared_ptr<SharedSessionState> shared, http::RequestCounter* requests);
  // A curl transport that counts into m_requests.
  std::unique_ptr<http::Transport> make_transport();
  // The Pinned Events client and the pinned.concurrency senders (m_client first).
  void make_clients();

  const Config& m_config;
  SystemClock m_clock;
  std::shared_ptr<SharedSessionState> m_shared;  // set for attached sessions
  std::unique_ptr<Logger> m_own_log;
  std::ostream* m_progress_out = nullptr;  // a command's log stream, for the progress line
  Logger* m_log;
  std::unique_ptr<RateLimiters> m_own_limiters;
  RateLimiters* m_limiters;
  http::RequestCounter m_own_requests;
  http::RequestCounter* m_requests = &m_own_requests;
  std::unique_ptr<http::Transport> m_transport;
  std::unique_ptr<PinnedClient> m_client;
  // pinned.concurrency clients that send writes side by side, m_client first; each has
  // its own transport (connection) and all share one rate limiter.
  std::vector<std::unique_ptr<http::Transport>> m_sender_transports;
  std::vector<std::unique_ptr<PinnedClient>> m_sender_clients;
  std::vector<PinnedClient*> m_senders;
  std::unique_ptr<state::StateLock> m_lock;
  std::unique_ptr<state::Store> m_store;
  std::optional<KnownSlugs> m_slugs;
  std::map<std::string, std::unique_ptr<connectors::Connector>> m_connectors;  // by source name
};

}  // namespace pinsync::agent

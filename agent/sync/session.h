// Everything one command (or the agent) needs to talk to the world, built once: the
// clock, the logger, the Pinned Events client, the shared rate limiters, the state store
// and, for commands that write, the lock that keeps a second pinsync off the state file.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <ostream>

#include <Poco/ThreadPool.h>

#include "agent/config/config.h"
#include "agent/pinned/channel_snapshots.h"
#include "agent/pinned/classifications.h"
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

// Makes the transport a client or connector sends through (libcurl in production, a
// scripted one in tests).
using TransportFactory = std::function<std::unique_ptr<http::Transport>()>;

// The world outside pinsync, as a command or the agent reaches it: production leaves both
// empty; tests fill them with a FakeClock and scripted transports.
struct WorldSeams {
  Clock* clock = nullptr;       // null: the world's own system clock; else must outlive the world
  TransportFactory transports;  // empty: libcurl over one connection pool for the whole world

  // The transports of senders outside the world's pool (the alert sinks, whose hosts are
  // no API's): `transports` when given, else a libcurl transport of its own each.
  TransportFactory unpooled() const;
};

// What every session of one process works with, built once: the world outside (its clock,
// how it reaches the network) and what sessions share — one logger (its lines never
// interleave), the rate limiters of every quota, one pool of kept-alive connections (with
// libcurl), the classification slugs, and the state lock and store (the store is
// thread-safe). A command has one session on it; the agent one per source.
class SessionWorld {
 public:
  // Opens the world for `access`: takes the state lock for write, opens the store (for
  // read only when the file exists), on `seams` (WorldSeams: empty in production).
  // Returns Error{conflict} naming the holder's pid when another pinsync holds the state
  // file, or the store's error.
  static Result<std::shared_ptr<SessionWorld>> open(const Config& config, std::ostream& log_out, StoreAccess access,
                                                    const WorldSeams& seams = {});

  Clock& clock() { return *m_clock; }
  Logger& log() { return *m_log; }
  RateLimiters& limiters() { return *m_limiters; }
  // The classification slugs every session of this world uses.
  SlugCache& slugs() { return *m_slugs; }
  // The channel listings every session's recoveries share.
  ChannelSnapshots& snapshots() { return *m_snapshots; }
  // The threads that help passes send side by side (pinned.concurrency of them, kept
  // between passes): a pass of 20 rows no longer starts and ends threads of its own.
  Poco::ThreadPool& helpers() { return *m_helpers; }
  // Null without a state file (read of a file not yet made) or for StoreAccess::none.
  state::Store* store() { return m_store.get(); }
  // True when the world holds the state lock (StoreAccess::write): only then may a pass
  // change the store beyond its own rows (a connector's facts).
  bool store_writable() const { return m_lock != nullptr && m_store != nullptr; }
  // A new transport from the world's factory.
  std::unique_ptr<http::Transport> transport() { return m_transports(); }
  // The stream a command's progress line may draw on (the log's).
  std::ostream& log_out() { return *m_log_out; }

 private:
  SessionWorld() = default;
  SystemClock m_system_clock;
  Clock* m_clock = &m_system_clock;
  TransportFactory m_transports;
  std::ostream* m_log_out = nullptr;
  std::unique_ptr<Logger> m_log;
  std::unique_ptr<RateLimiters> m_limiters;
  std::unique_ptr<SlugCache> m_slugs;
  std::unique_ptr<ChannelSnapshots> m_snapshots;
  std::unique_ptr<Poco::ThreadPool> m_helpers;
  std::unique_ptr<state::StateLock> m_lock;
  std::unique_ptr<state::Store> m_store;
};

class Session {
 public:
  // A session on a world of its own: SessionWorld::open, then one session on it.
  static Result<std::unique_ptr<Session>> open(const Config& config, std::ostream& log_out, StoreAccess access,
                                               const WorldSeams& seams = {});
  // A session on `world` with its own Pinned clients (connections come from the world's pool).
  // `config` must outlive the session. `requests`, when given, counts every HTTP request of
  // the session (Pinned Events and the sources, by api/route/status) and must outlive it too:
  // the caller owns the counts it reads (the agent's per source, kept across reloads); a
  // session without one counts nothing. `progress` draws a progress line on the world's log
  // stream (commands on a terminal).
  Session(const Config& config, std::shared_ptr<SessionWorld> world, http::RequestCounter* requests = nullptr,
          bool progress = false);

  const Config& config() const { return m_config; }
  Logger& log() { return m_world->log(); }
  Clock& clock() { return m_world->clock(); }
  PinnedClient& client() { return *m_client; }
  // Null without a state file (read) or for none.
  state::Store* store() { return m_world->store(); }

  // What a connector of `source` (its name) gets from the session: its clock, limiters,
  // logger, counted transports and its memory in the state store (none without a store;
  // read-only unless the session may write the store).
  connectors::ConnectorContext connector_context(const std::string& source);
  // The classification slugs, from the world's SlugCache (fetched once for every session,
  // again after an hour or a write refused for an unknown slug). Returns Error{auth} when
  // the key is refused; other failures give "not checked" (Pinned Events checks them anyway).
  Result<KnownSlugs> known_slugs();
  // Runs one pass over `source`.
  PassReport sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger);
  // As above, with a resync's row filter and force flag and the agent's stop flag.
  PassReport sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger,
                         const PassOptions& options);

 private:
  // A transport from the world's factory, counting into m_requests when there is one.
  std::unique_ptr<http::Transport> make_transport();
  // The Pinned Events client and the pinned.concurrency senders (m_client first).
  void make_clients();

  const Config& m_config;
  std::shared_ptr<SessionWorld> m_world;
  bool m_progress = false;
  http::RequestCounter* m_requests = nullptr;  // the caller's, or none
  std::unique_ptr<http::Transport> m_transport;
  std::unique_ptr<PinnedClient> m_client;
  // pinned.concurrency clients that send writes side by side, m_client first; each has
  // its own transport (connection) and all share one rate limiter.
  std::vector<std::unique_ptr<http::Transport>> m_sender_transports;
  std::vector<std::unique_ptr<PinnedClient>> m_sender_clients;
  std::vector<PinnedClient*> m_senders;
  // Each source's memory, by source name; declared before the connectors that borrow them.
  std::map<std::string, std::unique_ptr<connectors::SourceMemory>> m_memories;
  std::map<std::string, std::unique_ptr<connectors::Connector>> m_connectors;  // by source name
  std::map<std::string, std::string> m_fingerprints;  // pause_fingerprint, by source name
};

}  // namespace pinsync::agent

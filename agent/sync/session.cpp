#include "agent/sync/session.h"

#include <algorithm>

#include "agent/config/sources.h"

namespace pinsync::agent {

namespace {

// A source's memory kept as facts of the state store; without the state lock it only reads.
class StoreMemory final : public connectors::SourceMemory {
 public:
  StoreMemory(state::Store& store, std::string source, bool writable)
      : m_store(store), m_source(std::move(source)), m_writable(writable) {}

  Result<std::optional<std::string>> recall(std::string_view key) override { return m_store.fact(m_source, key); }
  Result<void> remember(std::string_view key, std::string_view value) override {
    if (!m_writable) return {};
    // Cached: what a connector learned (a cursor, a sheet's version) only saves reading more.
    return m_store.set_fact(m_source, key, value, state::Durability::cached);
  }

 private:
  state::Store& m_store;
  std::string m_source;
  bool m_writable;
};

}  // namespace

TransportFactory WorldSeams::unpooled() const {
  if (transports) return transports;
  return [] { return http::make_curl_transport(); };
}

Result<std::shared_ptr<SessionWorld>> SessionWorld::open(const Config& config, std::ostream& log_out,
                                                         StoreAccess access, const WorldSeams& seams) {
  std::shared_ptr<SessionWorld> world(new SessionWorld());
  if (seams.clock != nullptr) world->m_clock = seams.clock;
  if (seams.transports) {
    world->m_transports = seams.transports;
  } else {
    // Every client and connector of the process borrows from one pool: N sources on one
    // host keep as many connections as they have requests in flight, not N times that.
    world->m_transports = [pool = http::make_connection_pool()] { return http::make_curl_transport(pool); };
  }
  world->m_log_out = &log_out;
  world->m_log = std::make_unique<Logger>(log_out, config.agent.log_level, config.agent.log_format, world->clock());
  world->log().add_secret(config.pinned.api_key);
  world->m_limiters = std::make_unique<RateLimiters>(world->clock());
  world->m_slugs = std::make_unique<SlugCache>(world->clock());
  world->m_snapshots = std::make_unique<ChannelSnapshots>(world->clock());
  // One thread kept, more up to the requests in flight; idle ones end after a minute.
  world->m_helpers = std::make_unique<Poco::ThreadPool>(1, std::max(1, config.pinned.concurrency), 60);
  if (access == StoreAccess::none) return world;
  if (access == StoreAccess::read && !std::filesystem::exists(config.state_path)) return world;
  if (access == StoreAccess::write) {
    auto lock = state::StateLock::acquire(config.state_path);
    if (!lock) return std::unexpected(lock.error());
    world->m_lock = std::move(*lock);
  }
  state::StoreOptions options;
  options.sole_writer = world->m_lock != nullptr;  // the lock keeps every other writer out
  auto store = state::Store::open(config.state_path, world->clock(), options);
  if (!store) return std::unexpected(store.error());
  world->m_store = std::move(*store);
  return world;
}

Session::Session(const Config& config, std::shared_ptr<SessionWorld> world, http::RequestCounter* requests,
                 bool progress)
    : m_config(config),
      m_world(std::move(world)),
      m_progress(progress),
      m_requests(requests) {
  make_clients();
}

Result<std::unique_ptr<Session>> Session::open(const Config& config, std::ostream& log_out, StoreAccess access,
                                               const WorldSeams& seams) {
  auto world = SessionWorld::open(config, log_out, access, seams);
  if (!world) return std::unexpected(world.error());
  return std::make_unique<Session>(config, std::move(*world), nullptr, true);
}

void Session::make_clients() {
  const auto& pinned = m_config.pinned;
  // Every client of the key draws from one bucket, without bursts: a fixed one-second
  // window on the server side must never see more than the configured rate. Its window of
  // requests in flight is pinned.concurrency for the whole process, however many sessions
  // (the agent's sources) send at once.
  auto limiter = m_world->limiters().get("pinned " + pinned.base_url, pinned.max_requests_per_second, 1,
                                         pinned.concurrency);
  // A write refused for an unknown classification means the slugs kept are stale.
  auto stale = [world = m_world.get()] { world->slugs().stale(); };
  m_transport = make_transport();
  m_client = std::make_unique<PinnedClient>(pinned, *m_transport, log(), clock(), RetryPolicy{}, limiter);
  m_client->on_unknown_slug(stale);
  m_senders.push_back(m_client.get());
  for (int i = 1; i < pinned.concurrency; ++i) {
    m_sender_transports.push_back(make_transport());
    m_sender_clients.push_back(std::make_unique<PinnedClient>(pinned, *m_sender_transports.back(), log(), clock(),
                                                              RetryPolicy{}, limiter));
    m_sender_clients.back()->on_unknown_slug(stale);
    m_senders.push_back(m_sender_clients.back().get());
  }
}

std::unique_ptr<http::Transport> Session::make_transport() {
  if (m_requests == nullptr) return m_world->transport();
  return std::make_unique<http::CountingTransport>(m_world->transport(), *m_requests);
}

connectors::ConnectorContext Session::connector_context(const std::string& source) {
  connectors::SourceMemory* memory = nullptr;
  if (store() != nullptr) {
    auto& slot = m_memories[source];
    if (!slot) slot = std::make_unique<StoreMemory>(*store(), source, m_world->store_writable());
    memory = slot.get();
  }
  return {clock(), m_world->limiters(), log(), [this] { return make_transport(); }, m_config.pinned.timeout, source,
          memory};
}

Result<KnownSlugs> Session::known_slugs() {
  auto slugs = m_world->slugs().get(*m_client, log());
  if (!slugs) return std::unexpected(slugs.error());
  if (!*slugs) return KnownSlugs{};
  return KnownSlugs{**slugs};
}

PassReport Session::sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger) {
  return sync_source(source, mode, trigger, PassOptions{});
}

PassReport Session::sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger,
                                const PassOptions& options) {
  PassReport report;
  report.source = source.name;
  // Every log line of the pass's requests names its source (one pass at a time per session).
  for (auto* client : m_senders) client->set_log_source(source.name);
  const bool applying = mode == PassMode::apply && store() != nullptr;
  // The session's config does not change: the fingerprint (a SHA-256) is worked out once.
  auto [kept, fresh] = m_fingerprints.try_emplace(source.name);
  if (fresh) kept->second = pause_fingerprint(m_config.pinned, source);
  const std::string& fingerprint = kept->second;
  if (applying) {
    if (auto paused = check_pause(*store(), source, fingerprint, options.manual, log())) return *paused;
  }
  auto slugs = known_slugs();
  if (!slugs) {
    report.stopped = slugs.error();
    report.key_refused = slugs.error().kind == ErrorKind::auth;
    if (applying) pause_if_refused(*store(), report, fingerprint, log());
    return report;
  }
  // A connector lives as long as the session, so what it learns once (a sheet's time
  // zone and titles, an access token) costs no request on later passes.
  auto& connector = m_connectors[source.name];
  if (!connector) {
    auto made = make_connector(m_config, source, connector_context(source.name));
    if (!made) {
      report.stopped = made.error();
      return report;
    }
    connector = std::move(*made);
  }
  const auto& pinned = m_config.pinned;
  PassContext ctx{source, *connector, *m_client, store(), *slugs, log(), clock(), pinned.idempotency_window,
                  options, m_senders,
                  RetryPolicy{pinned.max_attempts, pinned.retry_delay, pinned.max_retry_delay}};
  ctx.snapshots = &m_world->snapshots();
  ctx.helpers = &m_world->helpers();
  std::optional<ProgressLine> progress;
  if (m_progress) {
    auto& out = m_world->log_out();
    progress.emplace(out, is_terminal(out) ? ProgressOutput::terminal : ProgressOutput::off, clock(), source.name);
    ctx.progress = &*progress;
  }
  report = run_pass(ctx, mode, trigger);
  if (applying) pause_if_refused(*store(), report, fingerprint, log());
  return report;
}

}  // namespace pinsync::agent

#include "agent/sync/session.h"

#include "agent/config/sources.h"

namespace pinsync::agent {

Session::Session(const Config& config, std::ostream& log_out)
    : m_config(config),
      m_own_log(std::make_unique<Logger>(log_out, config.agent.log_level, config.agent.log_format, m_clock)),
      m_progress_out(&log_out),
      m_log(m_own_log.get()),
      m_own_limiters(std::make_unique<RateLimiters>(m_clock)),
      m_limiters(m_own_limiters.get()) {
  make_clients();
}

Session::Session(const Config& config, std::shared_ptr<SharedSessionState> shared, http::RequestCounter* requests)
    : m_config(config),
      m_shared(std::move(shared)),
      m_log(m_shared->log.get()),
      m_limiters(m_shared->limiters.get()),
      m_requests(requests != nullptr ? requests : &m_own_requests) {
  make_clients();
}

void Session::make_clients() {
  const auto& pinned = m_config.pinned;
  // Every client of the key draws from one bucket, without bursts: a fixed one-second
  // window on the server side must never see more than the configured rate.
  auto limiter = m_limiters->get("pinned " + pinned.base_url, pinned.max_requests_per_second, 1);
  m_transport = make_transport();
  m_client = std::make_unique<PinnedClient>(pinned, *m_transport, *m_log, m_clock, RetryPolicy{}, limiter);
  m_senders.push_back(m_client.get());
  for (int i = 1; i < pinned.concurrency; ++i) {
    m_sender_transports.push_back(make_transport());
    m_sender_clients.push_back(std::make_unique<PinnedClient>(pinned, *m_sender_transports.back(), *m_log, m_clock,
                                                              RetryPolicy{}, limiter));
    m_senders.push_back(m_sender_clients.back().get());
  }
}

std::unique_ptr<http::Transport> Session::make_transport() {
  return std::make_unique<http::CountingTransport>(http::make_curl_transport(), *m_requests);
}

Result<std::shared_ptr<SharedSessionState>> Session::open_shared(const Config& config, std::ostream& log_out) {
  auto shared = std::make_shared<SharedSessionState>();
  auto lock = state::StateLock::acquire(config.state_path);
  if (!lock) return std::unexpected(lock.error());
  shared->lock = std::move(*lock);
  auto store = state::Store::open(config.state_path, shared->clock);
  if (!store) return std::unexpected(store.error());
  shared->store = std::move(*store);
  shared->log = std::make_unique<Logger>(log_out, config.agent.log_level, config.agent.log_format, shared->clock);
  shared->limiters = std::make_unique<RateLimiters>(shared->clock);
  return shared;
}

std::unique_ptr<Session> Session::attach(const Config& config, std::shared_ptr<SharedSessionState> shared,
                                         http::RequestCounter* requests) {
  return std::unique_ptr<Session>(new Session(config, std::move(shared), requests));
}

Result<std::unique_ptr<Session>> Session::open(const Config& config, std::ostream& log_out, StoreAccess access) {
  std::unique_ptr<Session> session(new Session(config, log_out));
  if (access == StoreAccess::none) return session;
  if (access == StoreAccess::read && !std::filesystem::exists(config.state_path)) return session;
  if (access == StoreAccess::write) {
    auto lock = state::StateLock::acquire(config.state_path);
    if (!lock) return std::unexpected(lock.error());
    session->m_lock = std::move(*lock);
  }
  auto store = state::Store::open(config.state_path, session->m_clock);
  if (!store) return std::unexpected(store.error());
  session->m_store = std::move(*store);
  return session;
}

connectors::ConnectorContext Session::connector_context(const std::string& source) {
  return {m_clock, *m_limiters, *m_log, [this] { return make_transport(); }, m_config.pinned.timeout, source};
}

Result<KnownSlugs> Session::known_slugs() {
  if (m_slugs) return *m_slugs;
  auto slugs = m_client->classifications();
  if (!slugs) {
    if (slugs.error().kind == ErrorKind::auth) return std::unexpected(slugs.error());
    m_log->warn("classifications unavailable; slugs are checked by Pinned Events instead",
               {{"reason", slugs.error().message}});
    m_slugs = KnownSlugs{};
  } else {
    m_slugs = KnownSlugs{std::move(*slugs)};
  }
  return *m_slugs;
}

PassReport Session::sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger) {
  return sync_source(source, mode, trigger, PassOptions{});
}

PassReport Session::sync_source(const SourceConfig& source, PassMode mode, std::string_view trigger,
                                const PassOptions& options) {
  PassReport report;
  report.source = source.name;
  const bool applying = mode == PassMode::apply && store() != nullptr;
  const auto fingerprint = pause_fingerprint(m_config.pinned, source);
  if (applying) {
    if (auto paused = check_pause(*store(), source, fingerprint, options.manual, *m_log)) return *paused;
  }
  auto slugs = known_slugs();
  if (!slugs) {
    report.stopped = slugs.error();
    report.key_refused = slugs.error().kind == ErrorKind::auth;
    if (applying) pause_if_refused(*store(), report, fingerprint, *m_log);
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
  PassContext ctx{source, *connector, *m_client, store(), *slugs, *m_log, m_clock, pinned.idempotency_window,
                  options, m_senders,
                  RetryPolicy{pinned.max_attempts, pinned.retry_delay, pinned.max_retry_delay}};
  std::optional<ProgressLine> progress;
  if (m_progress_out != nullptr) {
    progress.emplace(*m_progress_out, is_terminal(*m_progress_out) ? ProgressOutput::terminal : ProgressOutput::off,
                     m_clock, source.name);
    ctx.progress = &*progress;
  }
  report = run_pass(ctx, mode, trigger);
  if (applying) pause_if_refused(*store(), report, fingerprint, *m_log);
  return report;
}

}  // namespace pinsync::agent

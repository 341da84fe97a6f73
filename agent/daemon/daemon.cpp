#include "agent/daemon/daemon.h"

#include <algorithm>
#include <chrono>

#include "agent/config/load.h"
#include "agent/daemon/quota_plan.h"
#include "agent/daemon/scheduler.h"
#include "agent/daemon/stored_status.h"
#include "agent/daemon/worker.h"

namespace pinsync::agent {

namespace {

// A source's status as the run log left it: its last passes (page and /status), when each
// result was last seen and the last success, so a restart does not blank what the operator
// and a staleness alert rely on. The pass counters start again (they are counters).
std::shared_ptr<SourceStats> stats_from_history(state::Store& store, Logger& log, const std::string& source) {
  auto stats = std::make_shared<SourceStats>();
  stats->status.name = source;
  add_pass_history(store, log, stats->status);
  return stats;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::start(const Config& config, std::ostream& log_out, DaemonSeams seams) {
  auto world = SessionWorld::open(config, log_out, StoreAccess::write, seams.world);
  if (!world) return std::unexpected(world.error());
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->m_seams = std::move(seams);
  daemon->m_world = std::move(*world);
  daemon->m_alerter = Alerter::from_config(config, daemon->m_world->log(), daemon->m_seams.world.unpooled(),
                                           daemon->m_world->clock());
  daemon->m_admin_port = config.agent.admin_port;
  daemon->m_state_path = config.state_path;
  daemon->m_started_at = unix_seconds(daemon->m_world->clock());
  daemon->m_scheduler = daemon->make_scheduler(config);
  daemon->start_workers(std::make_shared<const Config>(config), {});
  return daemon;
}

std::shared_ptr<Scheduler> Daemon::make_scheduler(const Config& config) {
  Clock& clock = m_world->clock();
  auto alarm = m_seams.alarms ? m_seams.alarms(clock) : make_timer_alarm(clock);
  // One ring starts every pass due within this window: a twentieth of the shortest poll
  // interval, at most a second — nothing on an interval of minutes, and at a thousand sources
  // polled every minute it turns ~16 wake-ups a second (of the timer's thread and a worker's)
  // into one.
  std::chrono::milliseconds gather(1000);
  for (const auto& source : config.sources) {
    gather = std::min(gather, std::chrono::duration_cast<std::chrono::milliseconds>(source.poll_interval) / 20);
  }
  return std::make_shared<Scheduler>(clock, static_cast<std::size_t>(std::max(1, config.agent.workers)),
                                     std::move(alarm), gather);
}

Daemon::~Daemon() {
  stop(std::chrono::seconds(30));
  if (m_scheduler) m_scheduler->stop();
}

void Daemon::start_workers(std::shared_ptr<const Config> config,
                           std::map<std::string, std::shared_ptr<SourceStats>> keep) {
  // Before the first pass: what the schedule asks of each API quota, and the intervals
  // that fit (an Airtable source's requests follow the rows it had last time).
  state::Store* store = m_world->store();
  QuotaPlan plan = plan_quotas(*config, [store](const std::string& source) -> std::size_t {
    if (store == nullptr) return 0;
    const auto rows = store->rows(source);
    return rows ? rows->size() : 0;
  });
  for (const auto& scope : plan.stretched) {
    m_world->log().warn("poll intervals stretched to fit an API quota",
                        {{"quota", scope.scope.label}, {"detail", scope.message()}});
  }
  for (const auto& round : plan.long_first_rounds) {
    m_world->log().info("first passes spread to fit an API quota",
                        {{"quota", round.scope.label}, {"detail", round.message()}});
  }
  std::chrono::seconds shortest = std::chrono::hours(24);
  for (const auto& source : config->sources) shortest = std::min(shortest, plan.interval_of(source.name, source.poll_interval));
  auto offsets = first_pass_offsets(config->sources.size(), shortest, m_scheduler->counts().workers);
  const auto now = m_world->clock().monotonic();
  std::vector<std::shared_ptr<SourceWorker>> fresh;
  for (std::size_t i = 0; i < config->sources.size(); ++i) {
    const auto& source = config->sources[i];
    auto stats = keep.contains(source.name) ? keep[source.name] : stats_from_history(*m_world->store(), m_world->log(), source.name);
    const auto interval = plan.interval_of(source.name, source.poll_interval);
    const auto reason = plan.reasons.find(source.name);
    SourceSchedule schedule{now + offsets[i], interval, reason == plan.reasons.end() ? "" : reason->second, {}};
    // A source drawing on a quota goes when the quota's first round lets it (quota_plan.h).
    if (const auto round = plan.first_passes.find(source.name); round != plan.first_passes.end()) {
      offsets[i] = std::max(offsets[i], round->second.first);
      schedule.first_due = now + offsets[i];
      if (round->second.second) schedule.second_due = std::max(now + *round->second.second, schedule.first_due + interval);
    }
    fresh.push_back(SourceWorker::start(m_scheduler, config, source, m_world, stats, m_alerter, std::move(schedule)));
    m_world->log().info("source scheduled", {{"source", source.name},
                                            {"poll_interval_s", interval.count()},
                                            {"first_pass_in_ms", offsets[i].count()}});
  }
  std::lock_guard lock(m_mutex);
  m_config = std::move(config);
  m_workers = std::move(fresh);
}

std::vector<std::shared_ptr<SourceWorker>> Daemon::workers() {
  std::lock_guard lock(m_mutex);
  return m_workers;
}

Result<std::vector<PassReport>> Daemon::resync(const ResyncRequest& request) {
  auto all = workers();
  if (!request.ask.rows.empty() && request.source.empty() && all.size() > 1) {
    return fail(ErrorKind::invalid, "resync: rows are named by their source's IDs: give the source too");
  }
  std::vector<std::pair<std::shared_ptr<SourceWorker>, std::uint64_t>> tickets;
  for (const auto& w : all) {
    if (!request.source.empty() && w->source().name != request.source) continue;
    auto ticket = w->request(manual_pass(request.ask), "resync");
    if (!ticket) return fail(ErrorKind::transient, "the agent is stopping; resync not started");
    tickets.emplace_back(w, *ticket);
  }
  if (tickets.empty()) {
    std::string names;
    for (const auto& w : all) names += (names.empty() ? "" : ", ") + w->source().name;
    return fail(ErrorKind::invalid, "resync: no source named '" + request.source + "'; sources: " + names);
  }
  std::vector<PassReport> reports;
  for (auto& [worker, ticket] : tickets) {
    auto report = worker->wait(ticket);
    if (!report) {
      return fail(ErrorKind::transient, "resync of " + worker->source().name +
                                            ": the agent stopped or reloaded before the pass ran; try again");
    }
    reports.push_back(std::move(*report));
  }
  return reports;
}

namespace {



Result<std::shared_ptr<SourceWorker>> worker_named(const std::vector<std::shared_ptr<SourceWorker>>& all,
                                                   const std::string& source) {
  std::string names;
  for (const auto& w : all) {
    if (w->source().name == source) return w;
    names += (names.empty() ? "" : ", ") + w->source().name;
  }
  return fail(ErrorKind::invalid, "no source named '" + source + "'; sources: " + names);
}

}  // namespace

Result<void> Daemon::pause(const std::string& source, const std::string& reason) {
  auto worker = worker_named(workers(), source);
  if (!worker) return std::unexpected(worker.error());
  if (auto r = store().set_pause(source, reason, "", state::PausedBy::operator_); !r) return r;
  log().info("source paused by an operator", {{"source", source}, {"reason", reason}});
  return {};
}

Result<bool> Daemon::resume(const std::string& source) {
  auto worker = worker_named(workers(), source);
  if (!worker) return std::unexpected(worker.error());
  auto was = store().pause(source);
  if (!was) return std::unexpected(was.error());
  if (!*was) return false;
  if (auto r = store().clear_pause(source); !r) return std::unexpected(r.error());
  log().info("source resumed by an operator", {{"source", source}});
  (*worker)->request(PassOptions{}, "resume");
  return true;
}

void Daemon::resync_all() {
  for (const auto& w : workers()) w->request(manual_pass(), "signal");
}

ReloadStatus Daemon::reload_status() {
  std::lock_guard lock(m_mutex);
  return m_reload;
}

Result<void> Daemon::reload(const std::filesystem::path& file) {
  auto result = reload_config(file);
  {
    std::lock_guard lock(m_mutex);
    m_reload = ReloadStatus{unix_seconds(m_world->clock()), result.has_value(), result ? "" : result.error().message};
  }
  // Logged once /status shows it: whoever reads the line finds the same there.
  if (!result) {
    log().error("config reload failed; the agent keeps running on the old config",
                {{"file", file.string()}, {"reason", result.error().message}});
  }
  return result;
}

Result<void> Daemon::reload_config(const std::filesystem::path& file) {
  auto loaded = load_config(file);
  if (!loaded) return std::unexpected(loaded.error());
  if (loaded->state_path != m_state_path) {
    return fail(ErrorKind::config, "state.path changed to " + loaded->state_path.string() +
                                       ": restart pinsync run to move the state");
  }
  std::shared_ptr<const Config> before;
  {
    std::lock_guard lock(m_mutex);
    before = m_config;
  }
  if (before && loaded->agent.log_level != log().level()) {
    log().set_level(loaded->agent.log_level);
    log().warn("agent.log_level changed; it applies from now on", {{"log_level", std::string(level_name(loaded->agent.log_level))}});
  }
  if (before && loaded->agent.log_format != before->agent.log_format) {
    log().warn("agent.log_format changed; it takes effect when pinsync run restarts");
  }
  if (loaded->agent.admin_port != m_admin_port) {
    log().warn("agent.admin_listen changed; it takes effect when pinsync run restarts",
               {{"admin_port", m_admin_port}});  // null: off
  }
  std::vector<std::shared_ptr<SourceWorker>> old;
  {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return fail(ErrorKind::transient, "the agent is stopping; reload skipped");
    old = m_workers;
  }
  std::map<std::string, std::shared_ptr<SourceStats>> keep;
  for (const auto& w : old) {
    keep[w->source().name] = w->stats();
    w->finish(false);
  }
  for (const auto& w : old) w->join();
  // Every pass of the old workers is done: a pool of the new size takes over.
  m_scheduler->stop();
  m_scheduler = make_scheduler(*loaded);
  // The memory file carries what was alerted, so a new Alerter picks up where this one was.
  m_alerter = Alerter::from_config(*loaded, log(), m_seams.world.unpooled(), m_world->clock());
  if (m_alerter && !m_status_page.empty()) m_alerter->set_status_page(m_status_page);
  log().info("config reloaded", {{"file", file.string()}, {"sources", loaded->sources.size()}});
  start_workers(std::make_shared<const Config>(std::move(*loaded)), std::move(keep));
  return {};
}

void Daemon::set_status_page(std::string url) {
  m_status_page = std::move(url);
  if (m_alerter) m_alerter->set_status_page(m_status_page);
}

bool Daemon::stop(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<SourceWorker>> all;
  {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    all = m_workers;
  }
  for (const auto& w : all) w->finish(true);
  if (m_world) m_world->clock().stop();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  bool all_done = true;
  for (const auto& w : all) all_done = w->wait_done(deadline) && all_done;
  if (!all_done) return false;
  for (const auto& w : all) w->join();
  return true;
}

std::int64_t Daemon::now() const { return unix_seconds(m_world->clock()); }

std::vector<SourceStatus> Daemon::status() {
  std::vector<SourceStatus> out;
  for (const auto& w : workers()) {
    SourceStatus s;
    {
      std::lock_guard lock(w->stats()->mutex);
      s = w->stats()->status;
    }
    s.requests = w->stats()->requests.snapshot();
    add_stored_facts(store(), s);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pinsync::agent

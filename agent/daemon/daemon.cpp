#include "agent/daemon/daemon.h"

#include <chrono>
#include <condition_variable>
#include <optional>
#include <random>
#include <thread>

#include <Poco/Clock.h>
#include <Poco/Util/Timer.h>
#include <Poco/Util/TimerTaskAdapter.h>

#include "agent/config/load.h"

namespace pinsync::agent {

namespace {

constexpr std::size_t k_recent_passes = 10;
constexpr std::size_t k_kept_reports = 64;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The interval with ±10 % jitter, so sources polled at the same interval drift apart.
std::chrono::milliseconds jittered(std::chrono::seconds interval) {
  thread_local std::mt19937 gen(std::random_device{}());
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return std::chrono::milliseconds(static_cast<std::int64_t>(
      static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(interval).count()) * factor(gen)));
}

std::string result_of(const PassReport& r) { return r.stopped ? "stopped" : (r.clean() ? "ok" : "rows_failed"); }

std::string error_of(const PassReport& r) {
  if (r.stopped) return r.stopped->message;
  for (const auto& row : r.rows) {
    if (row.action == "invalid" || row.action == "failed") {
      return row.row_ref + (row.source_id.empty() ? "" : " (" + row.source_id + ")") + ": " + row.detail;
    }
  }
  return "";
}

}  // namespace

// The counters of one source; they outlive its worker across reloads.
struct SourceStats {
  std::mutex mutex;
  SourceStatus status;  // rows_by_state and problem_rows are filled on demand
  http::RequestCounter requests;  // thread-safe on its own
};

// One source's scheduler: a Poco::Util::Timer (its own thread) runs the source's passes —
// each scheduled one at poll_interval with jitter, each requested one (resync) as soon as
// the running pass is done — so a source's passes never overlap and a slow source never
// delays another.
class SourceWorker {
 public:
  SourceWorker(std::shared_ptr<const Config> config, const SourceConfig& source,
               std::shared_ptr<SharedSessionState> shared, std::shared_ptr<SourceStats> stats,
               std::shared_ptr<Alerter> alerter)
      : m_config(std::move(config)),
        m_source(source),
        m_session(Session::attach(*m_config, std::move(shared), &stats->requests)),
        m_stats(std::move(stats)),
        m_alerter(std::move(alerter)) {
    {
      std::lock_guard lock(m_stats->mutex);
      m_stats->status.name = source.name;
      m_stats->status.kind = source.kind;
      m_stats->status.poll_interval = source.poll_interval;
      m_stats->status.next_pass_at = unix_now();
    }
    std::lock_guard lock(m_mutex);
    m_next_due = std::chrono::steady_clock::now();
    schedule_locked(m_next_due);
  }

  ~SourceWorker() {
    finish(false);
    join();
  }

  const SourceConfig& source() const { return m_source; }
  const std::shared_ptr<SourceStats>& stats() const { return m_stats; }
  bool done() const { return m_done.load(); }

  // Queues a pass (or joins an identical queued one). Returns its ticket, or nullopt
  // when the worker is stopping.
  std::optional<std::uint64_t> request(PassOptions options, std::string trigger) {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return std::nullopt;
    for (const auto& q : m_queue) {
      if (q.options.only_row == options.only_row && q.options.force == options.force &&
          q.options.manual == options.manual && q.options.accept_removals == options.accept_removals) {
        return q.ticket;
      }
    }
    m_queue.push_back({++m_next_ticket, std::move(options), std::move(trigger)});
    schedule_locked(std::chrono::steady_clock::now());
    return m_queue.back().ticket;
  }

  // Waits for ticket's pass. Returns its report, or nullopt when the worker stopped first.
  std::optional<PassReport> wait(std::uint64_t ticket) {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_reports.contains(ticket) || m_done.load(); });
    if (const auto it = m_reports.find(ticket); it != m_reports.end()) return it->second;
    return std::nullopt;
  }

  // Takes no more work and drops the passes not yet started. With `cancel`, the running
  // pass stops between rows and backoff sleeps end at once; without, it completes.
  void finish(bool cancel) {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
      if (!m_running) m_done = true;
      m_cv.notify_all();
    }
    m_timer.cancel(false);
    if (cancel) {
      m_cancel = true;
      m_session->clock().stop();
    }
  }
  // Waits for the running pass, if any, after finish(). (Not Timer::cancel(true): Poco
  // 1.11 can drop the second of two cancel requests and then wait for ever.)
  void join() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return !m_running; });
    m_done = true;
    m_cv.notify_all();
  }

 private:
  struct Queued {
    std::uint64_t ticket = 0;
    PassOptions options;
    std::string trigger;
  };

  // Asks the timer for a run at `when` (steady clock); a run with nothing due does nothing.
  void schedule_locked(std::chrono::steady_clock::time_point when) {
    Poco::Clock at;
    const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(when - std::chrono::steady_clock::now());
    if (delay.count() > 0) at += delay.count();
    m_timer.schedule(new Poco::Util::TimerTaskAdapter<SourceWorker>(*this, &SourceWorker::on_timer), at);
  }

  // On the timer's thread: runs the first requested pass, else the scheduled one when due.
  void on_timer(Poco::Util::TimerTask& /*task*/) {
    std::unique_lock lock(m_mutex);
    if (m_stopping) return;
    const auto now = std::chrono::steady_clock::now();
    Queued pass;
    const bool scheduled = m_queue.empty();
    if (scheduled) {
      if (now < m_next_due) return;  // woken for a request another run already served
      pass = {++m_next_ticket, PassOptions{}, "schedule"};
      // Between full scans, sources that can list their changes read only those;
      // a full scan every full_scan_interval notices unapproved and deleted rows.
      pass.options.changes_only = m_last_full_scan && now - *m_last_full_scan < m_source.full_scan_interval;
    } else {
      pass = std::move(m_queue.front());
      m_queue.pop_front();
    }
    pass.options.cancel = &m_cancel;
    m_running = true;
    set_running(true);
    lock.unlock();
    const auto started = unix_now();
    const auto t0 = std::chrono::steady_clock::now();
    PassReport report = m_session->sync_source(m_source, PassMode::apply, pass.trigger, pass.options);
    if (!pass.options.changes_only && !report.stopped) m_last_full_scan = t0;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // After every pass, outside the worker's lock: a slow webhook delays only this source.
    // A pass cut short by shutdown says nothing about the source's health.
    if (m_alerter && !m_cancel.load()) m_alerter->report(pass_health(report, m_session->store()));
    lock.lock();
    m_running = false;
    if (scheduled && !m_stopping) {
      m_next_due = std::chrono::steady_clock::now() + jittered(m_source.poll_interval);
      schedule_locked(m_next_due);
    }
    record(pass.trigger, started, seconds, report, m_next_due);
    m_reports.emplace(pass.ticket, std::move(report));
    while (m_reports.size() > k_kept_reports) m_reports.erase(m_reports.begin());
    if (m_stopping) m_done = true;
    m_cv.notify_all();
  }

  void set_running(bool running) {
    std::lock_guard lock(m_stats->mutex);
    m_stats->status.running = running;
  }

  void record(const std::string& trigger, std::int64_t started, double seconds, const PassReport& report,
              std::chrono::steady_clock::time_point next_due) {
    std::lock_guard lock(m_stats->mutex);
    auto& s = m_stats->status;
    s.running = false;
    PassRecord rec{trigger, started, unix_now(), seconds, result_of(report), report};
    ++s.passes_by_result[rec.result];
    std::size_t bucket = 0;
    while (bucket < k_duration_bucket_count && seconds > k_duration_buckets[bucket]) ++bucket;
    ++s.duration_counts[bucket];
    s.duration_sum += seconds;
    s.api_requests += report.api_requests;
    if (report.clean()) s.last_success_at = rec.finished_at;
    s.last_error = error_of(report);
    s.next_pass_at = unix_now() + std::chrono::duration_cast<std::chrono::seconds>(
                                      next_due - std::chrono::steady_clock::now()).count();
    s.recent.push_front(std::move(rec));
    if (s.recent.size() > k_recent_passes) s.recent.pop_back();
  }

  std::shared_ptr<const Config> m_config;
  const SourceConfig& m_source;
  std::unique_ptr<Session> m_session;
  std::shared_ptr<SourceStats> m_stats;
  std::shared_ptr<Alerter> m_alerter;
  std::atomic<bool> m_cancel{false};
  std::atomic<bool> m_done{false};  // stopping, and no pass runs any more

  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  bool m_running = false;
  std::chrono::steady_clock::time_point m_next_due;
  std::optional<std::chrono::steady_clock::time_point> m_last_full_scan;  // timer thread only
  std::deque<Queued> m_queue;
  std::uint64_t m_next_ticket = 0;
  std::map<std::uint64_t, PassReport> m_reports;
  Poco::Util::Timer m_timer;  // last: destroyed (its thread joined) before everything it uses
};

Result<std::unique_ptr<Daemon>> Daemon::start(const Config& config, std::ostream& log_out) {
  auto shared = Session::open_shared(config, log_out);
  if (!shared) return std::unexpected(shared.error());
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->m_shared = std::move(*shared);
  daemon->m_shared->log->add_secret(config.pinned.api_key);
  daemon->m_alerter = Alerter::from_config(config, *daemon->m_shared->log, [] { return http::make_curl_transport(); });
  daemon->m_admin_listen = config.agent.admin_listen;
  daemon->m_state_path = config.state_path;
  daemon->start_workers(std::make_shared<const Config>(config), {});
  return daemon;
}

Daemon::~Daemon() { stop(std::chrono::seconds(30)); }

void Daemon::start_workers(std::shared_ptr<const Config> config,
                           std::map<std::string, std::shared_ptr<SourceStats>> keep) {
  std::vector<std::shared_ptr<SourceWorker>> fresh;
  for (const auto& source : config->sources) {
    auto stats = keep.contains(source.name) ? keep[source.name] : std::make_shared<SourceStats>();
    fresh.push_back(std::make_shared<SourceWorker>(config, source, m_shared, stats, m_alerter));
    m_shared->log->info("source scheduled", {{"source", source.name},
                                            {"poll_interval", std::to_string(source.poll_interval.count()) + "s"}});
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
  std::vector<std::pair<std::shared_ptr<SourceWorker>, std::uint64_t>> tickets;
  for (const auto& w : all) {
    if (!request.source.empty() && w->source().name != request.source) continue;
    auto ticket = w->request(manual_pass(request.row, request.force, request.accept_removals), "resync");
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

void Daemon::resync_all() {
  for (const auto& w : workers()) w->request(manual_pass(), "signal");
}

Result<void> Daemon::reload(const std::filesystem::path& file) {
  auto loaded = load_config(file);
  if (!loaded) {
    log().error("config reload failed; the agent keeps running on the old config",
                {{"file", file.string()}, {"reason", loaded.error().message}});
    return std::unexpected(loaded.error());
  }
  if (loaded->state_path != m_state_path) {
    const std::string why = "state.path changed to " + loaded->state_path.string() +
                            "; the agent keeps running on the old config: restart pinsync run to move the state";
    log().error("config reload refused", {{"file", file.string()}, {"reason", why}});
    return fail(ErrorKind::config, why);
  }
  if (loaded->agent.admin_listen != m_admin_listen) {
    log().warn("agent.admin_listen changed; it takes effect when pinsync run restarts",
               {{"admin_listen", m_admin_listen}});
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
  // The memory file carries what was alerted, so a new Alerter picks up where this one was.
  m_alerter = Alerter::from_config(*loaded, log(), [] { return http::make_curl_transport(); });
  log().info("config reloaded", {{"file", file.string()}, {"sources", std::to_string(loaded->sources.size())}});
  start_workers(std::make_shared<const Config>(std::move(*loaded)), std::move(keep));
  return {};
}

bool Daemon::stop(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<SourceWorker>> all;
  {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    all = m_workers;
  }
  for (const auto& w : all) w->finish(true);
  if (m_shared) m_shared->clock.stop();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  bool all_done = false;
  while (!all_done) {
    all_done = true;
    for (const auto& w : all) all_done = all_done && w->done();
    if (all_done || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!all_done) return false;
  for (const auto& w : all) w->join();
  return true;
}

std::vector<SourceStatus> Daemon::status() {
  std::vector<SourceStatus> out;
  for (const auto& w : workers()) {
    SourceStatus s;
    {
      std::lock_guard lock(w->stats()->mutex);
      s = w->stats()->status;
    }
    s.requests = w->stats()->requests.snapshot();
    if (auto pause = store().pause(s.name); pause && *pause) s.paused_reason = (*pause)->reason;
    if (auto rows = store().rows(s.name)) {
      s.retry_queue_depth = 0;
      for (const auto& r : *rows) {
        ++s.rows_by_state[std::string(state::to_string(r.state))];
        if (r.state == state::RowState::failed) ++*s.retry_queue_depth;  // dead rows left the queue
        if (state::needs_attention(r.state)) s.problem_rows.push_back(r);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pinsync::agent

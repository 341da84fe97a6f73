#include "agent/daemon/worker.h"

#include <random>

#include <Poco/Clock.h>
#include <Poco/Util/TimerTaskAdapter.h>

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

// Why the pass was not clean, for /status's last_error: its stop, else the first row
// left invalid, failed or dead; "" after a clean pass.
std::string error_of(const PassReport& r) {
  if (r.stopped) return r.stopped->message;
  for (const auto& row : r.rows) {
    if (row.action == RowAction::invalid || row.action == RowAction::failed || row.action == RowAction::dead) {
      return row.row_ref + (row.source_id.empty() ? "" : " (" + row.source_id + ")") + ": " + row.detail;
    }
  }
  return "";
}

}  // namespace

SourceWorker::SourceWorker(std::shared_ptr<const Config> config, const SourceConfig& source,
                           std::shared_ptr<SessionWorld> world, std::shared_ptr<SourceStats> stats,
                           std::shared_ptr<Alerter> alerter)
    : m_config(std::move(config)),
      m_source(source),
      m_session(std::make_unique<Session>(*m_config, std::move(world), &stats->requests)),
      m_stats(std::move(stats)),
      m_alerter(std::move(alerter)) {
  {
    std::lock_guard lock(m_stats->mutex);
    m_stats->status.name = source.name;
    m_stats->status.kind = std::string(source.kind());
    m_stats->status.poll_interval = source.poll_interval;
    m_stats->status.next_pass_at = unix_now();
  }
  std::lock_guard lock(m_mutex);
  m_next_due = std::chrono::steady_clock::now();
  schedule_locked(m_next_due);
}

SourceWorker::~SourceWorker() {
  finish(false);
  join();
}

std::optional<std::uint64_t> SourceWorker::request(PassOptions options, std::string trigger) {
  std::lock_guard lock(m_mutex);
  if (m_stopping) return std::nullopt;
  for (const auto& q : m_queue) {
    if (q.options.only_rows == options.only_rows && q.options.rearm_dead == options.rearm_dead &&
        q.options.recreate_rows == options.recreate_rows &&
        q.options.force == options.force &&
        q.options.manual == options.manual && q.options.accept_removals == options.accept_removals) {
      return q.ticket;
    }
  }
  m_queue.push_back({++m_next_ticket, std::move(options), std::move(trigger)});
  schedule_locked(std::chrono::steady_clock::now());
  return m_queue.back().ticket;
}

std::optional<PassReport> SourceWorker::wait(std::uint64_t ticket) {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [&] { return m_reports.contains(ticket) || m_done; });
  if (const auto it = m_reports.find(ticket); it != m_reports.end()) return it->second;
  return std::nullopt;
}

void SourceWorker::finish(bool cancel) {
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

bool SourceWorker::wait_done(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(m_mutex);
  return m_cv.wait_until(lock, deadline, [&] { return !m_running; });
}

// Not Timer::cancel(true): Poco 1.11 can drop the second of two cancel requests and then
// wait for ever.
void SourceWorker::join() {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [&] { return !m_running; });
  m_done = true;
  m_cv.notify_all();
}

// Asks the timer for a run at `when` (steady clock); a run with nothing due does nothing.
void SourceWorker::schedule_locked(std::chrono::steady_clock::time_point when) {
  Poco::Clock at;
  const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(when - std::chrono::steady_clock::now());
  if (delay.count() > 0) at += delay.count();
  m_timer.schedule(new Poco::Util::TimerTaskAdapter<SourceWorker>(*this, &SourceWorker::on_timer), at);
}

// On the timer's thread: runs the first requested pass, else the scheduled one when due.
void SourceWorker::on_timer(Poco::Util::TimerTask& /*task*/) {
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

void SourceWorker::set_running(bool running) {
  std::lock_guard lock(m_stats->mutex);
  m_stats->status.running = running;
}

void SourceWorker::record(const std::string& trigger, std::int64_t started, double seconds, const PassReport& report,
                          std::chrono::steady_clock::time_point next_due) {
  std::lock_guard lock(m_stats->mutex);
  auto& s = m_stats->status;
  s.running = false;
  s.next_pass_at = unix_now() + std::chrono::duration_cast<std::chrono::seconds>(
                                    next_due - std::chrono::steady_clock::now()).count();
  // A resync of named rows is not a pass of the source: it says nothing of how the source
  // syncs, so it moves none of its counters, times or its last pass.
  if (report.row_scoped) return;
  PassRecord rec{trigger, started, unix_now(), seconds, result_of(report), report};
  ++s.passes_by_result[rec.result];
  s.last_pass_at_by_result[rec.result] = rec.finished_at;
  std::size_t bucket = 0;
  while (bucket < k_duration_bucket_count && seconds > k_duration_buckets[bucket]) ++bucket;
  ++s.duration_counts[bucket];
  s.duration_sum += seconds;
  s.api_requests += report.api_requests;
  if (report.succeeded()) s.last_success_at = rec.finished_at;
  s.last_error = error_of(report);
  s.recent.push_front(std::move(rec));
  if (s.recent.size() > k_recent_passes) s.recent.pop_back();
}

}  // namespace pinsync::agent

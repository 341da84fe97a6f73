#include "agent/daemon/worker.h"

#include <algorithm>
#include <random>

namespace pinsync::agent {

namespace {

constexpr std::size_t k_kept_reports = 64;

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

std::shared_ptr<SourceWorker> SourceWorker::start(std::shared_ptr<Scheduler> scheduler,
                                                 std::shared_ptr<const Config> config, const SourceConfig& source,
                                                 std::shared_ptr<SessionWorld> world,
                                                 std::shared_ptr<SourceStats> stats, std::shared_ptr<Alerter> alerter,
                                                 SourceSchedule schedule) {
  std::shared_ptr<SourceWorker> worker(new SourceWorker(std::move(scheduler), std::move(config), source,
                                                        std::move(world), std::move(stats), std::move(alerter),
                                                        schedule));
  // The pool holds the worker only while it runs a pass, so the agent may drop it any time.
  std::lock_guard lock(worker->m_mutex);
  worker->m_task = worker->m_scheduler->add(
      [weak = std::weak_ptr<SourceWorker>(worker)] {
        if (auto self = weak.lock()) self->run_next();
      },
      worker->m_next_due);
  return worker;
}

SourceWorker::SourceWorker(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<const Config> config,
                           const SourceConfig& source, std::shared_ptr<SessionWorld> world,
                           std::shared_ptr<SourceStats> stats, std::shared_ptr<Alerter> alerter, SourceSchedule schedule)
    : m_scheduler(std::move(scheduler)),
      m_config(std::move(config)),
      m_source(source),
      m_session(std::make_unique<Session>(*m_config, std::move(world), &stats->requests)),
      m_stats(std::move(stats)),
      m_alerter(std::move(alerter)),
      m_next_due(schedule.first_due),
      m_interval(schedule.interval.count() > 0 ? schedule.interval : source.poll_interval),
      m_second_due(schedule.second_due) {
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(m_next_due - m_session->clock().monotonic());
  std::lock_guard lock(m_stats->mutex);
  m_stats->status.name = source.name;
  m_stats->status.kind = std::string(source.kind());
  m_stats->status.poll_interval = m_interval;
  m_stats->status.configured_poll_interval = source.poll_interval;
  m_stats->status.quota_note = std::move(schedule.quota_note);
  m_stats->status.next_pass_at = unix_seconds(m_session->clock()) + std::max<std::int64_t>(0, wait.count());
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
        q.options.recreate_rows == options.recreate_rows && q.options.forget_rows == options.forget_rows &&
        q.options.force == options.force &&
        q.options.manual == options.manual && q.options.accept_removals == options.accept_removals &&
        q.options.recover == options.recover && q.options.accept_new_state == options.accept_new_state) {
      return q.ticket;
    }
  }
  m_queue.push_back({++m_next_ticket, std::move(options), std::move(trigger)});
  m_scheduler->hurry(m_task);  // ahead of every scheduled pass; after this source's running one
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
  m_scheduler->remove(m_task);
  if (cancel) {
    m_cancel = true;
    m_session->clock().stop();
  }
}

bool SourceWorker::wait_done(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(m_mutex);
  return m_cv.wait_until(lock, deadline, [&] { return !m_running; });
}

void SourceWorker::join() {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [&] { return !m_running; });
  m_done = true;
  m_cv.notify_all();
}

std::optional<SourceWorker::Queued> SourceWorker::next_pass_locked(TimePoint now) {
  if (!m_queue.empty()) {
    Queued pass = std::move(m_queue.front());
    m_queue.pop_front();
    return pass;
  }
  // A requested pass was served instead: the schedule stands. (Started within the
  // scheduler's gather window of its time, the pass is due: it runs a little early.)
  if (now + m_scheduler->gather() < m_next_due) return std::nullopt;
  Queued pass{++m_next_ticket, PassOptions{}, "schedule", true};
  // Between full scans, sources that can list their changes read only those;
  // a full scan every full_scan_interval notices unapproved and deleted rows.
  pass.options.changes_only = m_last_full_scan && now - *m_last_full_scan < m_source.full_scan_interval;
  return pass;
}

// On a pool thread; the scheduler never runs it twice at once.
void SourceWorker::run_next() {
  Clock& clock = m_session->clock();
  std::unique_lock lock(m_mutex);
  if (m_stopping) return;
  auto next = next_pass_locked(clock.monotonic());
  if (!next) {
    m_scheduler->set_due(m_task, m_next_due);
    return;
  }
  Queued pass = std::move(*next);
  pass.options.cancel = &m_cancel;
  m_running = true;
  set_running(true);
  lock.unlock();
  const auto started = unix_seconds(m_session->clock());
  const auto t0 = clock.monotonic();
  PassReport report = m_session->sync_source(m_source, PassMode::apply, pass.trigger, pass.options);
  if (!pass.options.changes_only && !report.stopped) m_last_full_scan = t0;
  const double seconds = std::chrono::duration<double>(clock.monotonic() - t0).count();
  // After every pass, outside the worker's lock: a slow webhook delays only this source.
  // A pass cut short by shutdown says nothing about the source's health.
  if (m_alerter && !m_cancel.load()) m_alerter->report(pass_health(report, m_session->store()));
  lock.lock();
  m_running = false;
  if (pass.scheduled) {
    m_next_due = clock.monotonic() + jittered(m_interval);
    // The quota's first round: the second pass keeps its place after the round, unjittered.
    if (m_second_due && *m_second_due > clock.monotonic()) m_next_due = *m_second_due;
    m_second_due.reset();
  }
  if (!m_stopping) {
    m_scheduler->set_due(m_task, m_next_due);
    if (!m_queue.empty()) m_scheduler->hurry(m_task);
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
                          TimePoint next_due) {
  std::lock_guard lock(m_stats->mutex);
  auto& s = m_stats->status;
  s.running = false;
  s.next_pass_at = unix_seconds(m_session->clock()) + std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                                          next_due - m_session->clock().monotonic()).count());
  // A resync of named rows is not a pass of the source: it says nothing of how the source
  // syncs, so it moves none of its counters, times or its last pass.
  if (report.row_scoped) return;
  PassRecord rec{trigger, started, unix_seconds(m_session->clock()), seconds, result_of(report), report};
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

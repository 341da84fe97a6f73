#include "agent/sync/executor.h"

#include <Poco/Exception.h>
#include <Poco/Runnable.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <set>

#include "agent/pinned/keys.h"
#include "agent/pinned/drift.h"
#include "agent/pinned/event_gist.h"
#include "core/datetime.h"

namespace pinsync::agent {

namespace {

using state::OutboxEntry;
using state::RowState;
using state::WriteAction;
using state::WriteOutcome;

// Creates older than the idempotency window minus this are checked before a resend.
constexpr std::chrono::seconds k_window_margin{60};
// Rows per batch for each client: large enough that the two commits of a batch cost
// little per row, small enough that a slow answer holds up few others.
constexpr std::size_t k_rows_per_client = 32;
constexpr std::size_t k_min_batch = 16;

}  // namespace

// One row's piece of work in a batch, and what came of it.
struct Executor::JobResult {
  enum class What {
    skipped,        // never started: the source stopped or the agent is stopping
    sent,           // `write` holds the answer
    adopted,        // a create in doubt was found in Pinned Events: `event_id`
    needs_review,   // a create in doubt that cannot be checked (no events:read)
    ambiguous,      // a create in doubt that more than one unowned event matches: `candidates`
    lookup_failed,  // the look-up for a create in doubt failed: `message`
    in_step,        // force: the event equals the row
    drifted,        // force: the event differs (or cannot be read): re-send
    read_failed,    // force: reading the event failed: `message`
    // adoption by event-ID cell: the event is in another channel (`event_id`, its channel in
    // `candidates`): never taken, the row gets an event of its own
    foreign,
    // recovery: the create was not sent — Pinned Events cannot be searched for an event the
    // row may already have (`message` says why); the row stays unknown to the store
    not_looked_up,
  };
  What what = What::skipped;
  WriteResult write;
  std::optional<std::int64_t> event_id;
  std::vector<std::int64_t> candidates;
  std::string message;
  bool cannot_read = false;  // force: the key lacks events:read
  std::chrono::milliseconds took{0};  // sent: how long the write took, retries included
};

struct Executor::Job {
  const PlanItem* item = nullptr;
  bool force_check = false;  // resync --force: read the event before deciding
  OutboxEntry entry;         // the request (not for force_check)
  bool in_doubt = false;     // entry is a stored create whose outcome is unknown
  bool look_first = false;   // in doubt past the idempotency window: look before resending
  bool reviewed = false;     // a person re-armed it from needs_review (resync --row)
  bool recovery = false;     // a create of a source in recovery: looked for first (look_first)
  // An update adopting the event the row's event-ID cell names (PlanItem::adopted_event):
  // the event is read first and written only when it differs from the row.
  bool adopt_check = false;
  std::string note;  // what the operator should know instead of the plan item's note ("": that one)
  JobResult result;
};

Executor::Executor(const PassContext& ctx, PassReport& report, std::set<std::string> reviewed_rows)
    : m_ctx(ctx), m_report(report), m_senders(ctx.senders), m_backoff(ctx.retry_queue),
      m_reviewed_rows(std::move(reviewed_rows)) {
  if (m_senders.empty()) m_senders.push_back(&ctx.client);
}

std::int64_t Executor::now() const {
  return unix_seconds(m_ctx.clock);
}

OutboxEntry Executor::new_entry(const PlanItem& item, WriteAction action, std::optional<std::int64_t> event_id,
                                std::string key) const {
  const auto& row = *item.row;
  OutboxEntry entry;
  entry.source = m_ctx.source.name;
  entry.source_id = row.source_id;
  entry.row_ref = row.row_ref;
  entry.action = action;
  entry.event_id = event_id;
  entry.idempotency_key = std::move(key);
  entry.body = row.payload;
  entry.payload_hash = row.payload_hash;
  entry.created_at = now();
  return entry;
}

Executor::Job Executor::create_job(const PlanItem& item, std::string note) {
  Job job;
  job.item = &item;
  // A recreated event needs a key of its own: the first create's key may still be
  // answered from Pinned Events' idempotency cache with the deleted event.
  const std::string& id = item.row->source_id;
  const std::string key_id = item.recreate && item.stored && item.stored->event_id
                                 ? id + "-recreate-" + std::to_string(*item.stored->event_id)
                                 : id;
  job.entry = new_entry(item, WriteAction::create, std::nullopt, create_key(m_ctx.source.name, key_id));
  // A source in recovery may have made this event before its state file forgot.
  job.recovery = !m_ctx.recovering.empty() && !item.recreate;
  job.look_first = job.recovery;
  job.note = std::move(note);
  return job;
}

Executor::Job Executor::update_job(const PlanItem& item, std::int64_t event_id) {
  Job job;
  job.item = &item;
  job.entry = new_entry(item, WriteAction::update, event_id,
                        update_key(m_ctx.source.name, item.row->source_id, item.row->payload_hash));
  return job;
}

Result<Executor::Job> Executor::status_job(const PlanItem& item) {
  // The key counts the row's successful writes so far (keys.h): the change log has them.
  auto audit = m_ctx.store->audit(m_ctx.source.name, item.source_id);
  if (!audit) return std::unexpected(audit.error());
  const int writes = static_cast<int>(std::ranges::count_if(
      *audit, [](const state::AuditRecord& a) { return a.http_status >= 200 && a.http_status < 300; }));
  Job job;
  job.item = &item;
  const bool down = item.action == PlanAction::unpublish;
  const auto* owner = item.taken_from != nullptr ? item.taken_from : item.stored;
  auto& entry = job.entry;
  entry.source = m_ctx.source.name;
  entry.source_id = item.source_id;
  entry.row_ref = item.row_ref;
  entry.action = WriteAction::update;
  entry.event_id = owner->event_id;
  entry.created_at = now();
  if (down) {
    // Only the status changes: the event keeps what the row last sent, for when it comes back.
    entry.idempotency_key = unpublish_key(m_ctx.source.name, item.source_id, writes);
    entry.body = R"({"status":"draft"})";
    entry.payload_hash = unpublished_hash(owner->payload_hash);
  } else {
    entry.idempotency_key = republish_key(m_ctx.source.name, item.source_id, writes, item.row->payload_hash);
    entry.body = item.row->payload;
    entry.payload_hash = item.row->payload_hash;
  }
  return job;
}

Executor::Job Executor::job_for(const PlanItem& item) {
  const auto& row = *item.row;
  // A create in doubt is finished with its stored body and key before anything else.
  if (const auto stored = m_in_doubt.find(row.source_id); stored != m_in_doubt.end()) {
    Job job;
    job.item = &item;
    job.entry = stored->second;
    job.entry.row_ref = row.row_ref;
    job.in_doubt = true;
    const auto age = std::chrono::seconds(now() - job.entry.created_at);
    job.look_first = age > m_ctx.idempotency_window - k_window_margin;
    job.reviewed = m_reviewed_rows.contains(row.source_id);
    return job;
  }
  if (item.action == PlanAction::create) return create_job(item);
  if (item.adopted_event) {
    Job job = update_job(item, *item.adopted_event);
    job.adopt_check = true;
    return job;
  }
  // A re-added row updates the event it takes over; it has no record of its own yet.
  return update_job(item, item.taken_from != nullptr ? *item.taken_from->event_id : *item.stored->event_id);
}

void Executor::work(Job& job, PinnedClient& client) {
  auto& r = job.result;
  if (job.adopt_check) {
    // Read, it is written only when it differs; unread (no events:read, deleted, a failure),
    // the update tells: a 404 then holds the row as gone, like any deleted event.
    auto event = client.get_event(*job.entry.event_id);
    if (event) {
      // An event of another channel is not this source's, whoever pasted its ID.
      if (const auto channel = event_channel(*event); channel && *channel != m_ctx.source.channel_id) {
        r.what = JobResult::What::foreign;
        r.event_id = job.entry.event_id;
        r.candidates = {*channel};
        return;
      }
    }
    bool same = false;
    if (event) {
      const auto differs = event_differs(job.item->row->payload, *event);
      same = differs && !*differs;
    }
    if (same) {
      r.what = JobResult::What::adopted;
      r.event_id = job.entry.event_id;
    } else {
      r.what = JobResult::What::drifted;
      r.cannot_read = !event && event.error().kind == ErrorKind::auth;
    }
    return;
  }
  if (job.force_check) {
    auto event = client.get_event(*job.item->stored->event_id);
    if (!event && event.error().kind == ErrorKind::auth) {
      r.what = JobResult::What::drifted;
      r.cannot_read = true;
    } else if (!event) {
      r.what = JobResult::What::read_failed;
      r.message = "could not read the event back: " + event.error().message;
    } else {
      const auto differs = event_differs(job.item->row->payload, *event);
      r.what = differs && !*differs ? JobResult::What::in_step : JobResult::What::drifted;
    }
    return;
  }
  const auto sent_at = m_ctx.clock.monotonic();
  r.write = job.entry.action == WriteAction::create
                ? client.create_event(job.entry.body, job.entry.idempotency_key)
                : client.update_event(*job.entry.event_id, job.entry.body, job.entry.idempotency_key);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(m_ctx.clock.monotonic() - sent_at);
  r.what = JobResult::What::sent;
}

void Executor::send_batch(std::vector<Job>& batch) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&](PinnedClient& client) {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= batch.size()) return;
      if (stop.load() || (m_ctx.options.cancel != nullptr && m_ctx.options.cancel->load())) continue;
      work(batch[i], client);
      if (batch[i].result.what == JobResult::What::sent && batch[i].result.write.status == WriteStatus::auth) {
        stop.store(true);  // a refused key refuses every other request too
      }
    }
  };
  // The pass's thread sends with the first client; each further one is lent a thread of the
  // process's helpers while one is free (other passes may hold them: then fewer send).
  struct Helper final : Poco::Runnable {
    std::function<void()> body;
    void run() override { body(); }
  };
  const std::size_t wanted = m_ctx.helpers == nullptr ? 0 : std::min(m_senders.size(), batch.size()) - 1;
  std::vector<Helper> helpers(wanted);  // sized once: the pool holds references to them
  std::mutex mutex;
  std::condition_variable finished;
  std::size_t running = 0;
  std::exception_ptr failure;  // the first exception of any sender, thrown once all have stopped
  auto send_with = [&](PinnedClient& client) {
    try {
      worker(client);
    } catch (...) {
      const std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop.store(true);
    }
  };
  for (std::size_t t = 0; t < wanted; ++t) {
    helpers[t].body = [&, client = m_senders[t + 1]] {
      send_with(*client);
      const std::lock_guard lock(mutex);  // notified under the lock: the waiter may end at once
      --running;
      finished.notify_one();
    };
    const std::lock_guard lock(mutex);
    try {
      m_ctx.helpers->start(helpers[t]);
      ++running;
    } catch (const Poco::Exception&) {
      break;  // no thread to be had (all lent, or none could start): fewer send
    }
  }
  send_with(*m_senders[0]);
  std::unique_lock lock(mutex);
  finished.wait(lock, [&] { return running == 0; });
  if (failure) std::rethrow_exception(failure);
}

state::Failure Executor::retry_failure(const Job& job, const std::string& reason, bool keep_outbox,
                                       std::optional<std::chrono::seconds> retry_after,
                                       const std::string& resend_note) {
  const auto* stored = job.item->stored ? &*job.item->stored : nullptr;
  const int before = stored && stored->attempted_hash == job.entry.payload_hash ? stored->attempts : 0;
  state::Failure f;
  f.keep_outbox = keep_outbox;
  f.attempts = before + 1;
  if (f.attempts >= m_ctx.retry_queue.max_attempts) {
    f.state = RowState::dead;
    f.reason = reason + " — gave up after " + std::to_string(f.attempts) +
               " attempts, nothing more is sent by itself: once the cause is fixed, edit the row or run pinsync "
               "resync --source " + m_ctx.source.name + " --row " + job.entry.source_id +
               (keep_outbox ? " (it is sent with its first key, so it cannot make a second event)" : "");
    return f;
  }
  f.state = RowState::failed;
  const auto wait = m_backoff.delay(f.attempts, retry_after);
  f.next_attempt_at = now() + std::chrono::ceil<std::chrono::seconds>(wait).count();
  f.reason = reason + resend_note + " — attempt " + std::to_string(f.attempts + 1) + " at " +
             format_utc(f.next_attempt_at);
  return f;
}

std::optional<std::string> Executor::doubt_not_found(const OutboxEntry& entry) {
  // A create has no event to be deleted: its 404 is the route missing where base_url points.
  if (entry.action == WriteAction::create) {
    return "Pinned Events answered 404 to a create (POST /events): pinned.base_url is probably wrong (or a proxy "
           "in front of it answers for a different service) — nothing was created; fix base_url and sync again";
  }
  if (m_not_found_doubt) return *m_not_found_doubt;
  m_not_found_doubt.emplace();
  const std::int64_t event_id = entry.event_id.value_or(0);
  const std::string deny = " — nothing was marked deleted; the row stays in the retry queue";
  auto rows = m_ctx.store->rows(m_ctx.source.name);
  if (!rows) return std::nullopt;
  constexpr int k_witnesses = 3;  // an event deleted by hand is one; three are not all deleted
  std::vector<std::int64_t> asked;
  for (const auto& r : *rows) {
    if (static_cast<int>(asked.size()) == k_witnesses) break;
    if (r.state != RowState::synced || !r.event_id || *r.event_id == event_id) continue;
    auto answer = m_ctx.client.get_event(*r.event_id);
    // Read, or refused for want of events:read: either way Pinned Events itself answers
    // at base_url, and it knows this source's events: that one was deleted.
    if (answer || answer.error().kind == ErrorKind::auth) return std::nullopt;
    if (answer.error().kind != ErrorKind::not_found) {
      *m_not_found_doubt = "Pinned Events answered 404 for event " + std::to_string(event_id) +
                           ", and checking event " + std::to_string(*r.event_id) +
                           ", which this source synced, failed too (" + answer.error().message +
                           "), so pinsync cannot tell a deleted event from an API that does not answer" + deny;
      return *m_not_found_doubt;
    }
    asked.push_back(*r.event_id);
  }
  if (asked.empty()) {
    // No other event to ask about: the channel's event list says whether the API is there.
    auto listed = m_ctx.client.read_channel_events(m_ctx.source.channel_id);
    if (listed || listed.error().kind == ErrorKind::auth) return std::nullopt;
    *m_not_found_doubt = "Pinned Events answered 404 for event " + std::to_string(event_id) +
                         " and reading the events of channel " + std::to_string(m_ctx.source.channel_id) +
                         " failed too (" + listed.error().message + "): " +
                         (listed.error().kind == ErrorKind::not_found
                              ? "pinned.base_url is probably wrong (or a proxy in front of it answers for a "
                                "different service)"
                              : "pinsync cannot tell a deleted event from an API that does not answer") +
                         deny;
    return *m_not_found_doubt;
  }
  std::string others;
  for (const auto id : asked) others += (others.empty() ? "" : ", ") + std::to_string(id);
  *m_not_found_doubt = "Pinned Events answered 404 for event " + std::to_string(event_id) + " and also for event" +
                       (asked.size() > 1 ? "s " : " ") + others +
                       ", which this source synced: pinned.base_url is probably wrong (or a proxy in front of it "
                       "answers for a different service) — nothing was marked deleted; fix base_url and sync again";
  return *m_not_found_doubt;
}

std::string Executor::gone_reason(const Job& job) const {
  const auto& entry = job.entry;
  // What was lost: the event as pinsync last wrote it, else (written before pinsync kept
  // that) as this update would have made it.
  const state::RowRecord* known = job.item->stored != nullptr ? job.item->stored : job.item->taken_from;
  EventGist gist;
  if (known != nullptr) gist = {known->event_title, known->event_start, known->event_status};
  if (gist.title.empty() && gist.start.empty()) gist = gist_of(entry.body);
  const std::string row = "pinsync resync --source " + m_ctx.source.name + " --row " + entry.source_id;
  return describe_event(entry.event_id.value_or(0), gist) + " was deleted in Pinned Events; nothing is sent for " +
         "this row until you decide: " + row + " --recreate creates it again, " + row + " --forget lets it go " +
         "(recreate_deleted: true recreates every such row)";
}

void Executor::settle_status_write(const Job& job, const WriteOutcome& outcome,
                                   std::vector<state::Outcome>& outcomes) {
  const auto& item = *job.item;
  const auto id = *outcome.event_id;
  if (item.action == PlanAction::unpublish) {
    // The event keeps its title and start; only its status is now pinsync's draft.
    const auto* stored = item.stored;
    state::EventShown shown{stored->event_title, stored->event_start, std::string(k_unpublished)};
    outcomes.push_back({job.entry, outcome, std::nullopt, std::move(shown), RowState::removed});
    add(item, RowAction::unpublished, id, item.note);
    ++m_report.removed;
    ++m_report.unpublished;
    return;
  }
  auto gist = gist_of(job.entry.body);
  outcomes.push_back({job.entry, outcome, std::nullopt,
                      {std::move(gist.title), std::move(gist.start), std::move(gist.status)}});
  add(item, RowAction::republished, id, item.note);
  ++m_report.updated;
  ++m_report.republished;
}

void Executor::settle_write(Job& job, std::vector<state::Outcome>& outcomes, std::vector<Job>& follow_ups) {
  const WriteResult& result = job.result.write;
  auto& entry = job.entry;
  WriteOutcome outcome{result.http_status, result.request_id, result.event_id};
  const bool status_write = job.item->action == PlanAction::unpublish || job.item->action == PlanAction::republish;
  const std::string what =
      status_write ? std::string(to_string(job.item->action)) : std::string(to_string(entry.action));
  m_ctx.log.info(what,
                 {{"source", m_ctx.source.name},
                  {"row", entry.row_ref},
                  {"action", what},
                  {"status", result.http_status},
                  {"duration_ms", job.result.took.count()},
                  {"result", std::string(to_string(result.status))},
                  {"request_id", result.request_id},
                  {"event_id", result.event_id}});
  auto failed = [&](state::Failure f, RowAction action, int& counter) {
    add(*job.item, action, entry.event_id, f.reason);
    ++counter;
    outcomes.push_back({entry, outcome, std::move(f), {}});
  };
  switch (result.status) {
    case WriteStatus::ok: {
      if (entry.action == WriteAction::update && !outcome.event_id) outcome.event_id = entry.event_id;
      if (status_write) {
        settle_status_write(job, outcome, outcomes);
        return;
      }
      auto gist = gist_of(entry.body);
      outcomes.push_back({entry, outcome, std::nullopt,
                          {std::move(gist.title), std::move(gist.start), std::move(gist.status)}});
      const auto id = *outcome.event_id;
      if (job.in_doubt && entry.payload_hash != job.item->row->payload_hash) {
        follow_ups.push_back(update_job(*job.item, id));  // edited while in doubt: now the edit
        return;
      }
      const bool created = entry.action == WriteAction::create;
      add(*job.item, created ? RowAction::created : RowAction::updated, id,
          job.item->action == PlanAction::unchanged ? "re-sent by resync --force"
          : job.note.empty()                         ? job.item->note
                                                     : job.note);
      ++(created ? m_report.created : m_report.updated);
      return;
    }
    case WriteStatus::invalid:
      if (job.item->action == PlanAction::unpublish) {
        // Only {"status":"draft"} was sent: the event, not the row, is what to look at.
        const std::string why = std::string(k_take_down_refused) + std::to_string(entry.event_id.value_or(0)) +
                                " down to draft: " + result.message +
                                " — no cell of the row can fix this: look at the event in Pinned Events, then run "
                                "pinsync resync --source " + m_ctx.source.name + " --row " + entry.source_id +
                                " (nothing is sent for it until then)";
        failed({RowState::invalid, result.field, why, false, 1, 0}, RowAction::invalid, m_report.invalid);
        return;
      }
      failed({RowState::invalid, result.field, result.message, false, 1, 0}, RowAction::invalid, m_report.invalid);
      return;
    case WriteStatus::auth:
      failed({RowState::failed, "", result.message, false, 1, 0}, RowAction::failed, m_report.failed);
      m_report.stopped = Error{ErrorKind::auth, m_ctx.source.name + ": " + result.message};
      m_report.key_refused = true;
      m_continue = false;
      return;
    case WriteStatus::not_found: {
      if (const auto doubt = doubt_not_found(entry)) {
        // Not believed: every other write of the pass would meet the same 404.
        auto f = retry_failure(job, *doubt, false, std::nullopt);
        const bool dead = f.state == RowState::dead;
        failed(std::move(f), dead ? RowAction::dead : RowAction::failed, dead ? m_report.dead : m_report.failed);
        m_report.stopped = Error{ErrorKind::config, m_ctx.source.name + ": " + *doubt};
        m_continue = false;
        return;
      }
      if (job.item->action == PlanAction::unpublish) {
        // Deleted is as down as it gets: the row stays removed and is not planned again (held
        // as gone it would be marked removed and taken down again, pass after pass). Should it
        // come back, its bring-back meets the 404 and the row is held as gone then.
        const auto* stored = job.item->stored;
        state::EventShown shown{stored->event_title, stored->event_start, std::string(k_unpublished)};
        outcomes.push_back({entry, outcome, std::nullopt, std::move(shown), RowState::removed});
        add(*job.item, RowAction::removed, entry.event_id,
            job.item->note.substr(0, job.item->note.find("; its event")) + "; " +
                describe_event(entry.event_id.value_or(0), {stored->event_title, stored->event_start}) +
                " was deleted in Pinned Events: nothing to take down");
        ++m_report.removed;
        return;
      }
      failed({RowState::gone, "", gone_reason(job), false, 1, 0}, RowAction::held, m_report.held);
      return;
    }
    case WriteStatus::conflict:
      if (entry.action == WriteAction::update) {
        const std::string why = result.message + " — check the event in Pinned Events, then resync the row";
        failed({RowState::needs_review, "", why, false, 1, 0}, RowAction::held, m_report.held);
        return;
      }
      // The key is in progress elsewhere or was used with another body: the stored create
      // is resent with the same key, and looked up once the window has passed. Never a new key.
      [[fallthrough]];
    case WriteStatus::retryable:
    case WriteStatus::in_doubt: {
      // An unpublish or republish keeps its request too: resent with the same key, and the
      // planner knows its event's status is in doubt meanwhile (PlanOptions::status_in_doubt).
      const bool keep = entry.action == WriteAction::create || result.status == WriteStatus::in_doubt || status_write;
      auto f = retry_failure(job, result.message, keep, result.retry_after,
                             keep ? " — will be resent with the same key" : "");
      const bool dead = f.state == RowState::dead;
      failed(std::move(f), dead ? RowAction::dead : RowAction::failed, dead ? m_report.dead : m_report.failed);
      return;
    }
  }
}

void Executor::settle(Job& job, std::vector<state::Outcome>& outcomes, std::vector<state::RowStateUpdate>& updates,
                      std::vector<Job>& follow_ups) {
  using What = JobResult::What;
  const auto& item = *job.item;
  // Creates and updates have a row; an unpublish may not (the row left the source).
  auto& r = job.result;
  switch (r.what) {
    case What::skipped:
      return;
    case What::sent:
      settle_write(job, outcomes, follow_ups);
      return;
    case What::adopted: {
      if (job.adopt_check || job.recovery) {
        const std::string why = job.adopt_check
                                    ? "adopted event " + std::to_string(*r.event_id) +
                                          ", named by its event-ID cell; it already equals the row"
                                    : "adopted event " + std::to_string(*r.event_id) +
                                          ", which equals the row and no other row owns — " + m_ctx.recovering;
        m_ctx.log.info("adopted an existing event", {{"source", m_ctx.source.name},
                                                     {"row", item.row->row_ref},
                                                     {"event_id", *r.event_id},
                                                     {"reason", why}});
        auto gist = gist_of(job.entry.body);
        job.entry.event_id = r.event_id;
        outcomes.push_back({job.entry, WriteOutcome{200, "", r.event_id}, std::nullopt,
                            {std::move(gist.title), std::move(gist.start), std::move(gist.status)}});
        add(item, RowAction::adopted, r.event_id, why);
        ++m_report.adopted;
        return;
      }
      m_ctx.log.info("adopted an event created by an earlier attempt",
                     {{"source", m_ctx.source.name}, {"row", item.row->row_ref}, {"event_id", *r.event_id}});
      auto gist = gist_of(job.entry.body);
      outcomes.push_back({job.entry, WriteOutcome{200, "", r.event_id}, std::nullopt,
                          {std::move(gist.title), std::move(gist.start), std::move(gist.status)}});
      if (job.entry.payload_hash != item.row->payload_hash) {
        follow_ups.push_back(update_job(item, *r.event_id));
        return;
      }
      add(item, RowAction::created, r.event_id, "adopted the event an earlier attempt created");
      ++m_report.created;
      return;
    }
    case What::needs_review: {
      const std::string why =
          "a create sent earlier has an unknown outcome and its idempotency window has passed; the key "
          "lacks events:read, so pinsync cannot check whether the event exists: look in Pinned Events — "
          "if the event is not there, run pinsync resync --source " +
          m_ctx.source.name + " --row " + item.row->source_id + " to send it; if it is, give the key events:read and resync";
      updates.push_back({m_ctx.source.name, item.row->source_id, item.row->row_ref, RowState::needs_review, "", "", why});
      add(item, RowAction::held, std::nullopt, why);
      ++m_report.held;
      return;
    }
    case What::ambiguous: {
      std::string ids;
      for (const auto id : r.candidates) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
      m_report.recovery_open |= job.recovery;  // the row's event is still to be told apart
      const std::string why =
          job.recovery
              ? m_ctx.recovering + "; events " + ids +
                    " in Pinned Events each equal this row and no other row owns them, so pinsync cannot tell which "
                    "one is its event: delete the duplicates in Pinned Events, then run pinsync resync --source " +
                    m_ctx.source.name + " --row " + item.row->source_id + " to adopt the one left" :
          "a create sent earlier has an unknown outcome and its idempotency window has passed; events " + ids +
          " in Pinned Events each equal this row and no other row owns them, so pinsync cannot tell which one "
          "it made: delete the duplicates in Pinned Events, then run pinsync resync --source " +
          m_ctx.source.name + " --row " + item.row->source_id + " to adopt the one left";
      updates.push_back({m_ctx.source.name, item.row->source_id, item.row->row_ref, RowState::needs_review, "", "", why});
      add(item, RowAction::held, std::nullopt, why);
      ++m_report.held;
      return;
    }
    case What::lookup_failed: {
      // Counts as an attempt: a look-up that keeps failing must not keep the row from dying.
      auto f = retry_failure(job, "could not check for an earlier create: " + r.message, true, std::nullopt);
      const bool dead = f.state == RowState::dead;
      add(item, dead ? RowAction::dead : RowAction::failed, std::nullopt, f.reason);
      ++(dead ? m_report.dead : m_report.failed);
      outcomes.push_back({job.entry, WriteOutcome{}, std::move(f), {}});
      return;
    }
    case What::in_step:
      ++m_report.unchanged;
      return;
    case What::foreign: {
      // Sent as it is: the channel's scan for creates (recovery) is over by now.
      Job create = create_job(item, "its event-ID cell names event " + std::to_string(*r.event_id) + " of channel " +
                                        std::to_string(r.candidates.front()) + ", not this source's channel " +
                                        std::to_string(m_ctx.source.channel_id) + ": a new event is created for it");
      create.recovery = create.look_first = false;
      follow_ups.push_back(std::move(create));
      return;
    }
    case What::read_failed:
      add(item, RowAction::failed, item.stored->event_id, r.message);
      ++m_report.failed;
      return;
    case What::not_looked_up: {
      m_report.recovery_open = true;
      const std::string why =
          r.message.empty()
              ? "not created: " + m_ctx.recovering +
                    ", and pinsync cannot look for an event this row may already have (the key lacks events:read "
                    "and the source writes no event IDs back)"
              : "not created: " + m_ctx.recovering + ", and looking for an event this row may already have failed (" +
                    r.message + "); the next pass looks again";
      add(item, r.message.empty() ? RowAction::held : RowAction::failed, std::nullopt, why);
      ++(r.message.empty() ? m_report.held : m_report.failed);
      if (r.message.empty()) ++m_not_looked_up;
      return;
    }
    case What::drifted: {
      if (job.adopt_check) {
        // It differs, or could not be read: the update sets it to the row (and a 404 says it is gone).
        Job update = job;
        update.adopt_check = false;
        update.result = {};
        follow_ups.push_back(std::move(update));
        return;
      }
      if (r.cannot_read && !m_warned_no_read) {
        m_ctx.log.warn("the key may not read events (events:read); --force re-sends every approved row",
                       {{"source", m_ctx.source.name}});
        m_warned_no_read = true;
      }
      // The usual update key would be answered from Pinned Events' idempotency cache
      // without applying anything, so a forced write gets a key of its own.
      Job update;
      update.item = &item;
      update.entry = new_entry(item, WriteAction::update, item.stored->event_id,
                               update_key(m_ctx.source.name, item.row->source_id + "-force-" + std::to_string(now()),
                                          item.row->payload_hash));
      follow_ups.push_back(std::move(update));
      return;
    }
  }
}

Result<std::vector<std::int64_t>> Executor::unowned(const Job& job, const std::vector<std::int64_t>& candidates,
                                                    const std::set<std::int64_t>& taken) {
  std::vector<std::int64_t> out;
  for (const auto id : candidates) {
    if (taken.contains(id)) continue;
    auto owners = m_ctx.store->rows_with_event(id);
    if (!owners) return std::unexpected(owners.error());
    const bool another_row = std::ranges::any_of(*owners, [&](const state::RowRecord& owner) {
      return owner.source != job.entry.source || owner.source_id != job.entry.source_id;
    });
    if (!another_row) out.push_back(id);
  }
  return out;
}

bool Executor::check_adoptions(std::vector<Job>& queue) {
  for (auto& job : queue) {
    if (!job.adopt_check) continue;
    const std::int64_t event = *job.entry.event_id;
    auto owners = m_ctx.store->rows_with_event(event);
    if (!owners) return store_failed(owners.error());
    const auto other = std::ranges::find_if(*owners, [&](const state::RowRecord& owner) {
      return owner.source != job.entry.source || owner.source_id != job.entry.source_id;
    });
    if (other == owners->end()) continue;
    // Another row's event (of another source: the planner saw this source's): never shared.
    job = create_job(*job.item, "its event-ID cell names event " + std::to_string(event) + ", which belongs to " +
                                    other->source_id + " of " + other->source + ": a new event is created for it");
  }
  return true;
}

bool Executor::resolve_in_doubt(std::vector<Job>& queue) {
  using What = JobResult::What;
  std::vector<Job*> looking;
  std::vector<std::string> bodies;
  for (auto& job : queue) {
    if (!job.look_first) continue;
    looking.push_back(&job);
    bodies.push_back(job.entry.body);
  }
  if (looking.empty()) return true;
  // The key may have expired: resending could create a second event. One scan of the
  // channel answers every create in doubt of the pass. Rows looked for only because the
  // state file does not know them take the agent's shared listing: their events, if any,
  // are older than this process (a create in doubt is this process's own: listed afresh).
  ChannelListing listing;
  if (m_ctx.snapshots != nullptr && std::ranges::all_of(looking, [](const Job* j) { return j->recovery; })) {
    listing = [this](std::int64_t channel) {
      return m_ctx.snapshots->events(channel, *m_senders[0], m_ctx.options.recover);
    };
  }
  const auto found = m_senders[0]->find_created_events(bodies, listing);
  std::set<std::int64_t> taken;  // adopted by an earlier row of this scan, or by a row's event-ID cell
  for (const auto& job : queue) {
    if (job.adopt_check) taken.insert(*job.entry.event_id);
  }
  for (std::size_t i = 0; i < looking.size(); ++i) {
    Job& job = *looking[i];
    auto& r = job.result;
    if (!found) {
      const bool cannot_read = found.error().kind == ErrorKind::auth;
      if (job.recovery) {
        // The event-ID cells are the record then: a row without one has no event yet.
        const auto* columns = m_ctx.source.write_back();
        if (cannot_read && columns != nullptr && !columns->event_id_column.empty()) {
          job.look_first = false;
          continue;
        }
        r.what = What::not_looked_up;
        r.message = cannot_read ? "" : found.error().message;
        continue;
      }
      if (cannot_read && job.reviewed) {
        job.look_first = false;  // the person looked in Pinned Events: the event is not there
        continue;
      }
      r.what = cannot_read ? What::needs_review : What::lookup_failed;
      r.message = found.error().message;
      continue;
    }
    // Never another row's event: two rows alike in every field still have two events.
    auto candidates = unowned(job, (*found)[i], taken);
    if (!candidates) return store_failed(candidates.error());
    if (candidates->empty()) {
      job.look_first = false;  // not created: resent as stored
    } else if (candidates->size() == 1) {
      r.what = What::adopted;
      r.event_id = candidates->front();
      taken.insert(candidates->front());
    } else {
      r.what = What::ambiguous;
      r.candidates = std::move(*candidates);
    }
  }
  // What the scan settled is committed now, before any send: a pass killed later keeps it.
  std::vector<state::Outcome> outcomes;
  std::vector<state::RowStateUpdate> updates;
  std::vector<Job> follow_ups;
  for (auto* job : looking) settle(*job, outcomes, updates, follow_ups);
  if (auto r = m_ctx.store->record_outcomes(outcomes); !r) return store_failed(r.error());
  if (auto r = m_ctx.store->set_row_states(updates); !r) return store_failed(r.error());
  std::erase_if(queue, [](const Job& job) { return job.result.what != What::skipped; });
  for (auto& f : follow_ups) queue.push_back(std::move(f));
  return true;
}

bool Executor::run(const std::vector<const PlanItem*>& writes, const std::vector<const PlanItem*>& forced) {
  if (writes.empty() && forced.empty()) return true;
  auto stored = m_ctx.store->outbox_entries(m_ctx.source.name);
  if (!stored) return store_failed(stored.error());
  for (auto& e : *stored) {
    if (e.action == WriteAction::create) m_in_doubt.emplace(e.source_id, std::move(e));
  }

  std::vector<Job> queue;
  queue.reserve(writes.size() + forced.size());
  // The retry queue's rows go before new work, in-doubt creates first of all.
  std::vector<const PlanItem*> ordered(writes);
  std::stable_partition(ordered.begin(), ordered.end(), [&](const PlanItem* i) {
    return i->retry || m_in_doubt.contains(i->source_id);
  });
  for (const auto* item : ordered) {
    if (item->action != PlanAction::unpublish && item->action != PlanAction::republish) {
      queue.push_back(job_for(*item));
      continue;
    }
    auto job = status_job(*item);
    if (!job) return store_failed(job.error());
    queue.push_back(std::move(*job));
  }
  for (const auto* item : forced) {
    Job job;
    job.item = item;
    job.force_check = true;
    queue.push_back(std::move(job));
  }

  if (!check_adoptions(queue)) return false;
  if (!resolve_in_doubt(queue)) return false;
  if (m_not_looked_up > 0) {
    const std::string& name = m_ctx.source.name;
    m_report.stopped = Error{
        ErrorKind::config,
        name + ": " + std::to_string(m_not_looked_up) + " row" + (m_not_looked_up == 1 ? " was" : "s were") +
            " not created — " + m_ctx.recovering +
            ", and pinsync cannot tell which of its rows already have events (the key lacks events:read and the "
            "source writes no event IDs back). Give the key events:read and sync again (pinsync then adopts the "
            "events that exist), or, if this state file is new but the rows really have no events yet, confirm with "
            "pinsync recover --source " + name + " --accept-new-state"};
  }

  const std::size_t batch_size = std::max(k_min_batch, k_rows_per_client * m_senders.size());
  std::size_t done = 0;
  if (m_ctx.progress != nullptr) m_ctx.progress->start(queue.size());
  while (done < queue.size() && m_continue) {
    if (m_ctx.options.cancel != nullptr && m_ctx.options.cancel->load()) {
      m_report.stopped = Error{ErrorKind::transient, m_ctx.source.name +
                                                         ": the agent is stopping; the rest of this pass is left "
                                                         "for the next one (the outbox keeps sent writes safe)"};
      return false;
    }
    const std::size_t end = std::min(queue.size(), done + batch_size);
    std::vector<Job> batch(std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(done)),
                           std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(end)));
    done = end;

    std::vector<OutboxEntry> intents;
    intents.reserve(batch.size());
    for (const auto& job : batch) {
      // A check reads before it writes; what it writes goes as a follow-up, through the outbox.
      if (!job.force_check && !job.adopt_check) intents.push_back(job.entry);
    }
    if (auto r = m_ctx.store->put_outboxes(intents); !r) return store_failed(r.error());

    send_batch(batch);

    std::vector<state::Outcome> outcomes;
    std::vector<state::RowStateUpdate> updates;
    std::vector<Job> follow_ups;
    for (auto& job : batch) settle(job, outcomes, updates, follow_ups);
    if (auto r = m_ctx.store->record_outcomes(outcomes); !r) return store_failed(r.error());
    if (auto r = m_ctx.store->set_row_states(updates); !r) return store_failed(r.error());
    if (m_ctx.progress != nullptr) m_ctx.progress->step(batch.size());
    for (auto& f : follow_ups) queue.push_back(std::move(f));
  }
  if (m_ctx.progress != nullptr) m_ctx.progress->finish();
  if (!m_continue) return false;
  if (m_ctx.options.cancel != nullptr && m_ctx.options.cancel->load() && !m_report.stopped) {
    m_report.stopped = Error{ErrorKind::transient, m_ctx.source.name +
                                                       ": the agent is stopping; the rest of this pass is left "
                                                       "for the next one (the outbox keeps sent writes safe)"};
    return false;
  }
  return true;
}

bool Executor::store_failed(const Error& e) {
  m_report.stopped = e;
  m_continue = false;
  return false;
}

void Executor::add(const PlanItem& item, RowAction action, std::optional<std::int64_t> event_id, std::string detail) {
  m_report.rows.push_back({item.row_ref, item.source_id, action, event_id, std::move(detail)});
}

}  // namespace pinsync::agent

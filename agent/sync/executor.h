// Sends a pass's writes. Rows go in batches: the batch's requests are committed to the
// outbox in one transaction before any is sent, sent by up to `concurrency` clients at
// once over their own keep-alive connections, and their outcomes committed in one
// transaction after (group commit: two fsyncs per batch, not two per row). It applies the
// retry queue's rules to failures and finishes creates in doubt before anything else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/sync/pass_types.h"
#include "agent/sync/planner.h"
#include "core/backoff.h"

namespace pinsync::agent {

class Executor {
 public:
  // `ctx.store` must not be null. `ctx.senders` (or ctx.client alone) send the requests.
  // `reviewed_rows` are rows a person re-armed from needs_review with resync --row: their
  // create in doubt is still looked up, but when the key may not read events it is sent
  // as stored (the person looked in Pinned Events instead).
  Executor(const PassContext& ctx, PassReport& report, std::set<std::string> reviewed_rows = {});

  // Sends a create or update for each item (PlanAction create/update), and for items in
  // `forced` (unchanged rows under resync --force) checks the event and re-sends it when
  // it drifted. Retries are sent first. Returns false when the source had to stop (a
  // refused key, the store failing, the agent stopping); report.stopped says why.
  bool run(const std::vector<const PlanItem*>& writes, const std::vector<const PlanItem*>& forced);

 private:
  struct Job;
  struct JobResult;

  Job job_for(const PlanItem& item);
  // The unpublish or republish of an item planned so (on_removed: draft), with its own key;
  // the store's error when the row's change log cannot be read.
  Result<Job> status_job(const PlanItem& item);
  // The create of `item` (its own key when recreated; looked for first while the source is in
  // recovery), with `note` for the operator instead of the item's when given.
  Job create_job(const PlanItem& item, std::string note = "");
  Job update_job(const PlanItem& item, std::int64_t event_id);
  void work(Job& job, PinnedClient& client);
  void send_batch(std::vector<Job>& batch);
  // Looks up every create in doubt of `queue` past the idempotency window in one scan of
  // Pinned Events, commits what it settles (adopted, held, failed look-up) and removes
  // those jobs from the queue; the rest are resent as stored. Returns false when the
  // store failed.
  bool resolve_in_doubt(std::vector<Job>& queue);
  // Turns each adoption (PlanItem::adopted_event) of an event another row of the store owns —
  // of another source: the planner saw this source's — into a create with a note saying whose
  // event the cell named. Returns false when the store failed.
  bool check_adoptions(std::vector<Job>& queue);
  // The candidate events no other row owns and no earlier row of this scan took, or the
  // store's error.
  Result<std::vector<std::int64_t>> unowned(const Job& job, const std::vector<std::int64_t>& candidates,
                                            const std::set<std::int64_t>& taken);
  void settle(Job& job, std::vector<state::Outcome>& outcomes, std::vector<state::RowStateUpdate>& updates,
              std::vector<Job>& follow_ups);
  void settle_write(Job& job, std::vector<state::Outcome>& outcomes, std::vector<Job>& follow_ups);
  // A successful unpublish (the row stays removed, its event "unpublished") or republish.
  void settle_status_write(const Job& job, const state::WriteOutcome& outcome, std::vector<state::Outcome>& outcomes);
  // The row's next place in the retry queue, or dead past max_attempts. `resend_note` is
  // added to the reason only while the row will be sent again by itself.
  state::Failure retry_failure(const Job& job, const std::string& reason, bool keep_outbox,
                               std::optional<std::chrono::seconds> retry_after, const std::string& resend_note = "");
  // Why a 404 to `entry` is not believed to mean that its event was deleted, or nullopt when
  // it is. A create's 404 is never believed (it has no event). An update's is believed when
  // another event this source synced still answers (read, or refused for want of
  // events:read: Pinned Events itself answered), or, with no such event, when the channel's
  // event list does; not believed when those answer 404 too (a wrong base_url, a proxy) or
  // fail otherwise (nothing can be told). Asked once per pass; nullopt also when the store
  // cannot be read.
  std::optional<std::string> doubt_not_found(const state::OutboxEntry& entry);
  // The reason of a row whose event was deleted: which event, with the title and start it
  // last held, and the two commands that decide what happens to the row.
  std::string gone_reason(const Job& job) const;
  state::OutboxEntry new_entry(const PlanItem& item, state::WriteAction action, std::optional<std::int64_t> event_id,
                               std::string key) const;
  void add(const PlanItem& item, RowAction action, std::optional<std::int64_t> event_id, std::string detail);
  bool store_failed(const Error& e);
  std::int64_t now() const;

  const PassContext& m_ctx;
  PassReport& m_report;
  std::vector<PinnedClient*> m_senders;
  Backoff m_backoff;
  std::map<std::string, state::OutboxEntry, std::less<>> m_in_doubt;  // stored creates by source id
  bool m_continue = true;
  bool m_warned_no_read = false;
  std::optional<std::optional<std::string>> m_not_found_doubt;  // doubt_not_found's answer, once asked
  std::set<std::string> m_reviewed_rows;
  int m_not_looked_up = 0;  // recovery creates held: Pinned Events cannot be searched (no events:read)
};

}  // namespace pinsync::agent

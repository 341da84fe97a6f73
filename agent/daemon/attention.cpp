#include "agent/daemon/attention.h"

#include "core/datetime.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

std::int64_t rows_in(const SourceStatus& s, state::RowState st) {
  const auto it = s.rows_by_state.find(std::string(state::to_string(st)));
  return it == s.rows_by_state.end() ? 0 : it->second;
}

std::string counted(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string source_body(const std::string& source) {
  json::Writer w;
  w.begin_object().key("source").value(source).end_object();
  return w.take();
}

Need pause_need(const SourceStatus& s) {
  const std::string since = s.paused_since > 0 ? " since " + format_utc(s.paused_since) : "";
  if (s.paused_by == "operator") {
    return {NeedKind::paused, "PAUSED", "paused by an operator" + since + ": " + s.paused_reason,
            "pinsync resume --source " + s.name, PageAction{"Resume", "/resume", source_body(s.name)}};
  }
  // pinsync's own pause ends with a resync once the key or its access is fixed.
  return {NeedKind::paused, "PAUSED: KEY REFUSED", "paused by pinsync" + since + ": " + s.paused_reason,
          "fix the key or its channel access, then pinsync resync --source " + s.name, resync_action(s.name)};
}

}  // namespace

std::string_view to_string(NeedKind kind) {
  switch (kind) {
    case NeedKind::paused: return "paused";
    case NeedKind::stopped: return "stopped";
    case NeedKind::suspect: return "suspect";
    case NeedKind::dead_rows: return "dead_rows";
    case NeedKind::held_rows: return "held_rows";
    case NeedKind::failing: return "failing";
  }
  return "unknown";
}

PageAction resync_action(const std::string& source, bool dead) {
  json::Writer w;
  w.begin_object().key("source").value(source);
  if (dead) w.key("dead").value(true);
  w.end_object();
  return {dead ? "Resync dead rows" : "Resync source", "/resync", w.take()};
}

std::vector<PageAction> source_actions(const SourceStatus& s) {
  std::vector<PageAction> out{resync_action(s.name)};
  if (s.paused_reason.empty()) out.push_back({"Pause", "/pause", source_body(s.name)});
  else out.push_back({"Resume", "/resume", source_body(s.name)});
  return out;
}

std::vector<Need> needs_of(const SourceStatus& s) {
  std::vector<Need> out;
  if (!s.paused_reason.empty()) out.push_back(pause_need(s));
  const PassRecord* last = s.recent.empty() ? nullptr : &s.recent.front();
  if (last && last->result == PassResult::stopped) {
    out.push_back({NeedKind::stopped, "STOPPED",
                   !s.last_error.empty() ? s.last_error
                                         : (last->report.stopped ? last->report.stopped->message : std::string()),
                   "fix what the message says, then pinsync resync --source " + s.name, resync_action(s.name)});
  }
  if (last && !last->report.suspect.empty()) {
    out.push_back({NeedKind::suspect, "SUSPECT READ HELD", "nothing was marked removed: " + last->report.suspect,
                   "check the source; if those rows really are gone: pinsync resync --source " + s.name +
                       " --accept-removals",
                   std::nullopt});
  }
  if (const auto dead = rows_in(s, state::RowState::dead); dead > 0) {
    out.push_back({NeedKind::dead_rows, counted(dead, "DEAD ROW", "DEAD ROWS"),
                   "sends that failed past the attempt limit; nothing more is tried until a resync",
                   "pinsync resync --source " + s.name + " --dead", resync_action(s.name, true)});
  }
  const auto held = rows_in(s, state::RowState::needs_review) + rows_in(s, state::RowState::gone);
  if (held > 0) {
    out.push_back({NeedKind::held_rows, counted(held, "HELD ROW", "HELD ROWS"),
                   "a create in doubt or an event deleted in Pinned Events: each row below says what to check",
                   "pinsync errors --source " + s.name + ", then pinsync resync --source " + s.name +
                       " --row ID (--recreate or --forget for a deleted event)",
                   std::nullopt});
  }
  if (const auto failed = rows_in(s, state::RowState::failed); failed > 0) {
    out.push_back({NeedKind::failing, counted(failed, "FAILED ROW", "FAILED ROWS"),
                   "sends failed; they wait in the retry queue and are tried again on their own",
                   "pinsync resync --source " + s.name + " (to try them now)", resync_action(s.name)});
  }
  return out;
}

int row_rank(state::RowState st) {
  switch (st) {
    case state::RowState::dead: return 0;
    case state::RowState::failed: return 1;
    case state::RowState::gone: return 2;
    case state::RowState::needs_review: return 3;
    case state::RowState::invalid: return 4;
    default: return 5;
  }
}

}  // namespace pinsync::agent

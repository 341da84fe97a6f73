// Whether a source needs a person, and what to do about it: the one rule behind the
// status page's verdict and badges, /status's "needs_you" and /metrics'
// pinsync_source_needs_action. Pure functions of a SourceStatus.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/daemon/status.h"

namespace pinsync::agent {

// Why a source needs a person, most urgent first.
enum class NeedKind {
  paused,     // paused by an operator or by pinsync (its key or access was refused)
  stopped,    // the last pass could not sync the source (unreadable, the store failed)
  suspect,    // the last read looked wrong: its removals are held back
  dead_rows,  // rows past the attempt limit: nothing more is tried until a resync
  held_rows,  // rows held for review (needs_review) or whose event was deleted (gone)
  failing,    // rows failed and wait in the retry queue
};
// "paused", "stopped", "suspect", "dead_rows", "held_rows", "failing".
std::string_view to_string(NeedKind kind);

// A button of the page: a POST to the admin endpoint with a JSON body.
struct PageAction {
  std::string label;  // "Resync source", "Resync dead rows", "Pause", "Resume"
  std::string path;   // "/resync", "/pause", "/resume"
  std::string body;   // the JSON body, e.g. {"source":"acme","dead":true}
};

// One reason a source needs a person.
struct Need {
  NeedKind kind;
  std::string badge;    // short words in capitals: "PAUSED", "2 DEAD ROWS", "SUSPECT READ HELD"
  std::string detail;   // why, in the agent's words (may be "")
  std::string command;  // the one command that fixes it (or the next step, when a person must look)
  std::optional<PageAction> action;  // the button that does the command, when one does
};

// What needs a person about `source`, most urgent first (the NeedKind order); empty when
// nothing does. Invalid rows are not a need: they are the partner's to fix and are shown
// apart (pass results count them as a success, report.h).
std::vector<Need> needs_of(const SourceStatus& source);

// The buttons every source has: "Resync source", and "Pause" or "Resume".
std::vector<PageAction> source_actions(const SourceStatus& source);
// The POST /resync body {"source":S} ({"source":S,"dead":true} with `dead`).
PageAction resync_action(const std::string& source, bool dead = false);

// The order in which the page lists a source's rows: dead, failed, gone, needs_review,
// invalid (then anything else); a smaller rank comes first.
int row_rank(state::RowState state);

}  // namespace pinsync::agent

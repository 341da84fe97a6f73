#!/usr/bin/env bash
# The layering rule, held against the #include lines of the code (CI runs it through ctest):
#   - a folder includes only its own headers and those of the folders it stands on;
#   - no two modules (a header and its .cpp) include each other;
#   - a quoted include names its header from the repository root ("core/clock.h"), so the
#     check can place it: a relative ("../clock.h") or bare ("clock.h") one fails. System
#     headers (<…>) are not checked.
# Floors, top to bottom (ARCHITECTURE.md): agent/cli -> agent/daemon -> agent/alerts ->
# agent/sync -> {agent/mapping, agent/pinned} -> agent/config, all over connectors, state
# and core; connectors and state stand on core alone. The sandbox shares no code with
# pinsync: its API folders stand on sandbox/http only, never on each other.
# tests/ and fuzz/ may include anything and are not checked.
#   scripts/check_layers.sh [ROOT]    ROOT defaults to the repository; exit 1 on a violation
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

declare -A stands_on=(
  [core]=""
  [connectors]="core"
  [state]="core"
  [agent/config]="connectors state core"
  [agent/mapping]="agent/config connectors state core"
  [agent/pinned]="agent/config connectors state core"
  [agent/sync]="agent/mapping agent/pinned agent/config connectors state core"
  [agent/alerts]="agent/sync agent/mapping agent/pinned agent/config connectors state core"
  [agent/daemon]="agent/alerts agent/sync agent/mapping agent/pinned agent/config connectors state core"
  [agent/cli]="agent/daemon agent/alerts agent/sync agent/mapping agent/pinned agent/config connectors state core"
  [sandbox/http]=""
  [sandbox/pinned]="sandbox/http"
  [sandbox/google]="sandbox/http"
  [sandbox/airtable]="sandbox/http"
  [sandbox]="sandbox/pinned sandbox/google sandbox/airtable sandbox/http"
)

stands_on_table=""
for f in "${!stands_on[@]}"; do stands_on_table+="$f=${stands_on[$f]};"; done

files=$(find core connectors state agent sandbox -type f \( -name '*.h' -o -name '*.cpp' \) 2>/dev/null | sort)
# One awk pass over every quoted #include: "FILE:LINE:#include "TARGET"".
# shellcheck disable=SC2086  # the file list is split on purpose
grep -Hn -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files /dev/null |
  awk -v table="$stands_on_table" -v nfiles="$(echo "$files" | wc -l)" '
    # The folder a path belongs to for this rule: agent/ and sandbox/ by their subfolder (a
    # file directly in sandbox/ is "sandbox"), the others by their top folder; "" for paths
    # the rule does not cover (tests/, system headers).
    function folder_of(path,   parts, n) {
      n = split(path, parts, "/")
      if (parts[1] == "agent") return n >= 3 ? "agent/" parts[2] : "agent/"
      if (parts[1] == "sandbox") return n >= 3 ? "sandbox/" parts[2] : "sandbox"
      if (parts[1] == "core" || parts[1] == "connectors" || parts[1] == "state") return parts[1]
      return ""
    }
    function module_of(path) { sub(/\.(h|cpp)$/, "", path); return path }
    BEGIN {
      n = split(table, entries, ";")
      for (i = 1; i <= n; ++i) {
        if (entries[i] == "") continue
        eq = index(entries[i], "=")
        name = substr(entries[i], 1, eq - 1)
        known[name] = 1
        m = split(substr(entries[i], eq + 1), below, " ")
        for (j = 1; j <= m; ++j) allowed[name, below[j]] = 1
      }
    }
    {
      first = index($0, ":"); file = substr($0, 1, first - 1)
      rest = substr($0, first + 1); second = index(rest, ":"); line = substr(rest, 1, second - 1)
      target = rest; sub(/^[^"]*"/, "", target); sub(/".*$/, "", target)
      from = folder_of(file); to = folder_of(target)
      if (from == "agent/") {
        if (!(file in told)) print file ": a source file directly in agent/ belongs to no floor; put it in one of agent/\x27s folders"
        told[file] = 1; ++failures; next
      }
      if (!(from in known)) {
        if (!(file in told)) print file ": folder " from " has no place in the floors of scripts/check_layers.sh; add it there and to ARCHITECTURE.md"
        told[file] = 1; ++failures; next
      }
      if (to == "") {
        print file ":" line ": includes \"" target "\", which the layering check cannot place: write the path from the repository root (e.g. \"core/clock.h\")"
        ++failures; next
      }
      if (from != to && !((from, to) in allowed)) {
        print file ":" line ": includes \"" target "\": " from " stands only on its own folder and the folders below it"
        ++failures
      }
      a = module_of(file); b = module_of(target)
      if (a != b) edge[a, b] = 1
    }
    END {
      for (key in edge) {
        split(key, p, SUBSEP)
        if (p[1] < p[2] && ((p[2], p[1]) in edge)) {
          print p[1] ".{h,cpp} and " p[2] ".{h,cpp} include each other: move what both need into a header of its own"
          ++failures
        }
      }
      if (failures > 0) { print "check_layers: " failures " violation(s) of the layering rule"; exit 1 }
      print "check_layers: ok (" nfiles " files)"
    }'

#!/usr/bin/env bash
# scripts/check_layers.sh passes on the tree as it is, and fails — naming the file and the
# line — on each kind of wrong include: upward, sideways between siblings, sandbox and
# pinsync sharing code, two modules including each other, and a quoted include it cannot
# place (relative or bare).
set -euo pipefail
repo="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

expect_ok() {
  local name="$1" root="$2" out
  if ! out=$("$repo/scripts/check_layers.sh" "$root" 2>&1); then
    echo "FAIL $name: expected no violation, got:"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

# expect_violation NAME ROOT TEXT: the check fails and its output contains TEXT.
expect_violation() {
  local name="$1" root="$2" text="$3" out
  if out=$("$repo/scripts/check_layers.sh" "$root" 2>&1); then
    echo "FAIL $name: expected a violation, the check passed:"; echo "$out"; failures=$((failures + 1)); return
  fi
  if ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL $name: expected '$text' in:"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

# A copy of the real tree's sources, with one wrong include added.
copy_tree() {
  local dest="$1"
  mkdir -p "$dest"
  (cd "$repo" && tar cf - core connectors state agent sandbox) | (cd "$dest" && tar xf -)
}

expect_ok "the repository as it is" "$repo"

copy_tree "$work/up"
echo '#include "agent/cli/cli.h"' >>"$work/up/agent/config/config.h"
line=$(wc -l <"$work/up/agent/config/config.h")
expect_violation "config including the CLI (upward)" "$work/up" \
  "agent/config/config.h:$line: includes \"agent/cli/cli.h\""

copy_tree "$work/sideways"
echo '#include "agent/pinned/client.h"' >>"$work/sideways/agent/mapping/cells.cpp"
expect_violation "mapping including pinned (siblings)" "$work/sideways" "agent/mapping/cells.cpp"

copy_tree "$work/core_up"
echo '#include "state/store.h"' >>"$work/core_up/core/clock.cpp"
expect_violation "core including state" "$work/core_up" "core/clock.cpp"

copy_tree "$work/shared"
echo '#include "core/error.h"' >>"$work/shared/sandbox/main.cpp"
expect_violation "the sandbox including pinsync's core" "$work/shared" "sandbox/main.cpp"

copy_tree "$work/mutual"
printf '#include "core/clock.h"\n' >"$work/mutual/core/zz_loop.h"
echo '#include "core/zz_loop.h"' >>"$work/mutual/core/clock.cpp"
expect_violation "two modules including each other" "$work/mutual" \
  "core/clock.{h,cpp} and core/zz_loop.{h,cpp} include each other"

copy_tree "$work/flat"
printf '#include "core/clock.h"\n' >"$work/flat/agent/stray.cpp"
expect_violation "a file directly in agent/" "$work/flat" "agent/stray.cpp: a source file directly in agent/"

copy_tree "$work/relative"
echo '#include "../core/clock.h"' >>"$work/relative/agent/mapping/cells.cpp"
line=$(wc -l <"$work/relative/agent/mapping/cells.cpp")
expect_violation "a relative include" "$work/relative" \
  "agent/mapping/cells.cpp:$line: includes \"../core/clock.h\", which the layering check cannot place"

copy_tree "$work/bare"
echo '#include "clock.h"' >>"$work/bare/core/backoff.cpp"
expect_violation "a bare include" "$work/bare" "core/backoff.cpp"

copy_tree "$work/system"
echo '#include <vector>' >>"$work/system/core/backoff.cpp"
expect_ok "a system include is not checked" "$work/system"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi

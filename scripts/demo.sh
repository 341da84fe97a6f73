#!/usr/bin/env bash
# The main job, offline: builds pinsync if needed, starts the local sandbox API,
# syncs examples/partner-events.csv into it, shows plan, results and status, edits two
# rows and syncs again to show exactly two updates, then stops the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages
echo "==> building (build/)"
BUILD_TARGETS="pinsync pinsync-sandbox" build_release >/dev/null

bin="$PWD/build/bin"
work="$(mktemp -d -t pinsync-demo.XXXXXX)"
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting pinsync-sandbox (a local stand-in for the Pinned Events API) on a free loopback port"
start_sandbox "$work" || exit 1
url="$sandbox_url"
echo "sandbox at $url"

cp examples/partner-events.csv "$work/partner-events.csv"
export PINSYNC_DEMO_URL="$url"
export PINSYNC_DEMO_STATE="$work/pinsync-state.db"
export PINSYNC_DEMO_CSV="$work/partner-events.csv"
export PINNED_EVENTS_API_KEY="sandbox-key"
config="examples/demo.yaml"

# pinsync exits 5 when rows are left invalid: the demo sheet has two on purpose.
run() {
  local rc=0
  "$bin/pinsync" "$@" --config "$config" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
    echo "demo: 'pinsync $*' failed with exit code $rc" >&2
    exit "$rc"
  fi
}

step "pinsync check — is everything set up?"
run check
step "pinsync plan — what would happen (sends nothing, changes nothing)"
run plan
step "pinsync sync — the first pass creates one event per approved, valid row"
run sync
step "pinsync status"
run status
step "pinsync errors — rows that could not be sent, with the cell and the reason"
run errors

step "a partner edits two rows: NYC-002 moves to 10:00 PM, VLC-003 gets a new title"
sed -i -e 's/^NYC-002,Yes,Stand-up Saturdays,12\/5\/2026,9:30 PM/NYC-002,Yes,Stand-up Saturdays,12\/5\/2026,10:00 PM/' \
       -e 's/^VLC-003,yes,Taller de Cerámica,/VLC-003,yes,Taller de Cerámica y Esmaltes,/' "$work/partner-events.csv"
step "pinsync sync — exactly two updates, nothing created twice"
run sync

step "what the sandbox received"
curl -s "$url/_sandbox/stats"
echo
events=$(curl -s "$url/_sandbox/events" | grep -o '"idempotencyKey"' | wc -l)
echo "events stored in the sandbox: $events"

step "done; stopping the sandbox"

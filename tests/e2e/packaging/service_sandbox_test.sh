#!/usr/bin/env bash
# `pinsync run` under the sandbox of scripts/pinsync.service, as far as this machine allows.
#
# systemd itself cannot start the unit here: the test machines (and CI) are containers
# whose PID 1 is not systemd, so `systemd-run` has no manager to talk to. Instead the
# agent runs with what the unit asks for, rebuilt from the kernel's own pieces:
#   - User=, NoNewPrivileges=, CapabilityBoundingSet=: setpriv (an unprivileged user, no
#     new privileges, an empty bounding set);
#   - ProtectSystem=strict, ProtectHome=, PrivateTmp=: a private mount namespace
#     (unshare) in which the file systems it reads are read-only, /home, /root and /tmp
#     are empty, and only its state folder is writable (skipped where unshare fails);
#   - SystemCallFilter=, RestrictAddressFamilies=, MemoryDenyWriteExecute=: these are
#     seccomp filters only systemd installs, so the agent runs under strace instead, and
#     every system call it made must be one the unit's filter allows (as systemd-analyze
#     lists them), every socket one of the allowed families, and no mapping both writable
#     and executable.
# The agent syncs a CSV source against pinsync-sandbox, answers /healthz, reloads its
# config on SIGHUP and stops with exit 0 on SIGTERM.
#   service_sandbox_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
source_dir="$(cd "$(dirname "$0")/../../.." && pwd)"
unit="$source_dir/scripts/pinsync.service"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 0; }

# The unit runs the release binary; LeakSanitizer cannot run under strace.
if grep -q '^PINSYNC_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then skip "a sanitizer build"; fi
[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to another user, a mount namespace)"
for tool in setpriv strace systemd-analyze curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -x "$build/bin/pinsync" ] && [ -x "$build/bin/pinsync-sandbox" ] || fail "build $build first"

# Not under /tmp: the agent's view of /tmp is empty (PrivateTmp=).
work="$(mktemp -d "$build/service-sandbox-XXXXXX")"
sandbox_pid=""
agent_pid=""
cleanup() {
  [ -z "$agent_pid" ] || kill -KILL "$agent_pid" 2>/dev/null || true
  # Also when the test failed before it read the agent's pid: the agent (and strace around it)
  # is the one process with this work folder's config on its command line.
  pkill -KILL -f -- "--config $work/pinsync.yaml" 2>/dev/null || true
  [ -z "$sandbox_pid" ] || kill -TERM "$sandbox_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
user=65534  # nobody: any unprivileged id the files below are not owned by
mkdir -m 0700 "$work/state" "$work/out"
chown "$user:$user" "$work/state" "$work/out"

"$build/bin/pinsync-sandbox" --listen 127.0.0.1:0 >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/sandbox.out" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/sandbox.out")"
[ -n "$url" ] || { cat "$work/sandbox.err" >&2; fail "the sandbox did not start"; }

cp "$source_dir/examples/partner-events.csv" "$work/partner.csv"
sed -e 's|^  log_level: error.*|  log_level: info\n  log_format: json\n  admin_listen: 127.0.0.1:0|' \
    "$source_dir/examples/demo.yaml" >"$work/pinsync.yaml"
grep -q '^  admin_listen: 127.0.0.1:0$' "$work/pinsync.yaml" || fail "examples/demo.yaml changed: update this test"
chmod 0644 "$work/partner.csv" "$work/pinsync.yaml"

# The agent's command line: strace (as the service user, so it needs no privilege) around
# pinsync run; setpriv drops to that user like User=, NoNewPrivileges=, CapabilityBoundingSet=.
agent=(setpriv "--reuid=$user" "--regid=$user" --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all
       strace -f -qq -o "$work/out/trace" -s 64
       "$build/bin/pinsync" run --config "$work/pinsync.yaml")
env=(PINSYNC_DEMO_URL="$url" PINSYNC_DEMO_STATE="$work/state/state.db" PINSYNC_DEMO_CSV="$work/partner.csv"
     PINNED_EVENTS_API_KEY=sandbox-key)

# The mount namespace: ProtectSystem=strict, ProtectHome=, PrivateTmp=.
mounts='set -e
mount --make-rprivate /
for m in $(for p in / /etc /usr /var "$WORK" "$BUILD"; do findmnt -no TARGET -T "$p"; done | sort -u); do
  mount -o remount,bind,ro "$m"
done
for d in "$WORK/state" "$WORK/out"; do mount --bind "$d" "$d"; mount -o remount,bind,rw "$d"; done
for d in /home /root /tmp; do
  case "$BUILD/" in "$d"/*) continue ;; esac  # a build folder in /root stays visible
  if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 tmpfs "$d"; fi
done
exec "$@"'
if unshare --mount true 2>/dev/null; then
  fs="read-only file systems, empty /home /root /tmp"
  env WORK="$work" BUILD="$build" "${env[@]}" unshare --mount sh -c "$mounts" sh "${agent[@]}" \
    >"$work/agent.out" 2>"$work/agent.err" &
else
  fs="no mount namespace here: file systems as they are"
  env "${env[@]}" "${agent[@]}" >"$work/agent.out" 2>"$work/agent.err" &
fi
launcher=$!
echo "agent: as uid $user, no new privileges, no capabilities, $fs, under strace"

# wait_log PATTERN SECONDS: waits for PATTERN in the agent's log.
wait_log() {
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "$1" "$work/agent.err" && return 0
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/agent.err" >&2
  fail "the agent's log does not show $1"
}
wait_log '"msg":"agent running"' 20
agent_pid="$(sed -n 's/.*"msg":"agent running".*"pid":\([0-9]*\)[,}].*/\1/p' "$work/agent.err" | head -n 1)"
[ -n "$agent_pid" ] || fail "no pid in the agent's log"
admin="$(sed -n 's/.*"msg":"admin endpoint on \(http:[^"]*\)".*/\1/p' "$work/agent.err" | head -n 1)"
[ -n "$admin" ] || fail "no admin endpoint in the agent's log"
curl -sf "$admin/healthz" >/dev/null || fail "GET $admin/healthz"

# The first pass creates the approved, valid rows' events.
for _ in $(seq 1 200); do
  events="$(curl -sf "$url/_sandbox/events" | grep -o '"idempotencyKey":' | wc -l || true)"
  [ "$events" -gt 0 ] && break
  sleep 0.1
done
[ "$events" -gt 0 ] || { cat "$work/agent.err" >&2; fail "no event reached the sandbox"; }
[ -s "$work/state/state.db" ] || fail "no state file in the state folder"
kill -HUP "$agent_pid"
wait_log 'SIGHUP: reloading the config' 10
kill -TERM "$agent_pid"
rc=0
wait "$launcher" || rc=$?
agent_pid=""
[ "$rc" -eq 0 ] || { cat "$work/agent.err" >&2; fail "the agent exited with $rc after SIGTERM"; }
echo "agent: synced ($events events), answered /healthz, reloaded on SIGHUP, stopped with exit 0"

# What the unit's seccomp filters would have allowed. The groups, expanded.
systemd-analyze syscall-filter 2>/dev/null | awk '
  /^@/ { group = $1; next }
  /^ *#/ || NF == 0 { next }
  { print group, $1 }' >"$work/groups"
expand() {  # expand GROUP…: the system calls of the groups, nested groups resolved
  local item
  for item in "$@"; do
    if [[ "$item" == @* ]]; then
      expand $(awk -v g="$item" '$1 == g { print $2 }' "$work/groups")
    else
      echo "$item"
    fi
  done
}
filter="$(sed -n 's/^SystemCallFilter=//p' "$unit")"
allowed=()
denied=()
while read -r line; do
  if [[ "$line" == "~"* ]]; then read -r -a items <<<"${line#\~}"; denied+=("${items[@]}")
  else read -r -a items <<<"$line"; allowed+=("${items[@]}"); fi
done <<<"$filter"
expand "${allowed[@]}" | sort -u >"$work/allowed"
expand "${denied[@]}" | sort -u >"$work/denied"
[ -s "$work/allowed" ] || fail "systemd-analyze syscall-filter listed nothing for: $filter"

sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$work/out/trace" | sort -u >"$work/used"
[ "$(wc -l <"$work/used")" -gt 20 ] || fail "strace recorded too few system calls"
outside="$(comm -23 "$work/used" "$work/allowed" | tr '\n' ' ')"
inside_denied="$(comm -12 "$work/used" "$work/denied" | tr '\n' ' ')"
[ -z "$outside" ] || fail "system calls outside SystemCallFilter=${allowed[*]}: $outside"
[ -z "$inside_denied" ] || fail "system calls the unit denies (~${denied[*]}): $inside_denied"
echo "system calls: $(wc -l <"$work/used") kinds, all allowed by the unit's SystemCallFilter"

families="$(sed -n 's/^[0-9]* *socket(\(AF_[A-Z0-9]*\),.*/\1/p' "$work/out/trace" | sort -u | tr '\n' ' ')"
allowed_families=" $(sed -n 's/^RestrictAddressFamilies=//p' "$unit") "
for family in $families; do
  [[ "$allowed_families" == *" $family "* ]] || fail "a socket of family $family, not in RestrictAddressFamilies"
done
echo "socket families: $families(allowed:$allowed_families)"

# MemoryDenyWriteExecute= refuses a mapping both writable and executable, and making
# memory executable afterwards (mprotect with PROT_EXEC).
if grep -E '^[0-9]* *mmap\(.*PROT_WRITE\|PROT_EXEC|^[0-9]* *(mprotect|pkey_mprotect)\(.*PROT_EXEC' "$work/out/trace"; then
  fail "memory made writable and executable, or executable later (MemoryDenyWriteExecute=yes refuses it)"
fi
echo "memory: never writable and executable, never made executable later"

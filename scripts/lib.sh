# Shared by demo.sh, test.sh, fuzz.sh and bench.sh: install missing Debian packages, build.
# Sourced, not run.

PINSYNC_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev libsimdjson-dev libyaml-cpp-dev
  libsqlitecpp-dev libsqlite3-dev libpoco-dev libssl-dev
  doctest-dev libhowardhinnant-date-dev tzdata sqlite3 curl
  help2man lintian systemd strace
)
# help2man: the manual page pinsync(1) (build); lintian, systemd (systemd-analyze) and
# strace: the packaging and service tests (tests/e2e/packaging).

# ensure_packages [PACKAGE…]: installs whichever of the named packages (default:
# PINSYNC_PACKAGES) are missing (needs root, as on CI).
ensure_packages() {
  local wanted=("$@")
  if [ "${#wanted[@]}" -eq 0 ]; then wanted=("${PINSYNC_PACKAGES[@]}"); fi
  local missing=()
  local p
  for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The builds of scripts/ (tests, demo, bench, fuzzing) treat warnings as errors: they run
# with Debian 12's g++, the compiler CI uses. A plain `cmake` build never does.

# build_release: the normal build in build/, configured as a user or a packager would
# (`cmake -DCMAKE_BUILD_TYPE=Release`: CMake's own -O3 -DNDEBUG), with warnings as errors —
# so CI proves the plain build a user runs, without a build of its own for that. Only the
# sandbox and the tests, which are not installed, compile as unity builds (CI's time).
build_release() {
  build build -DCMAKE_BUILD_TYPE=Release -DPINSYNC_WERROR=ON -DPINSYNC_UNITY_TESTS=ON
}

# build_sanitized: build-asan/, unoptimised with line tables (enough for stack traces),
# AddressSanitizer + UndefinedBehaviorSanitizer. A unity build (each target compiled as a
# few units of up to 16 files: about half the compile time); the release build, compiled file
# by file, is the one that proves every file includes what it uses. With the fuzz targets
# for test.sh's corpus replay (PINSYNC_FUZZ_REPLAY: needs clang's libFuzzer runtime, which
# the caller installs: ensure_packages clang libclang-rt-14-dev). Its tests run the normal
# build's pinsync-sandbox (a test fixture; build_release first): the sanitizers check pinsync.
build_sanitized() {
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DPINSYNC_SANITIZE=ON -DPINSYNC_WERROR=ON \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DPINSYNC_FUZZ_REPLAY=ON \
    -DPINSYNC_SANDBOX_BIN_DIR="$(pwd)/build/bin"
}

# build DIR [extra cmake args…]: configures (again, so that a changed option reaches a build
# folder made before), then builds everything, or only the targets named in BUILD_TARGETS
# (space-separated) when it is set.
build() {
  local dir="$1"
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  # shellcheck disable=SC2086  # BUILD_TARGETS is a word list on purpose
  cmake --build "$dir" -j "$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
}

# start_sandbox WORKDIR [ARGS…]: starts build/bin/pinsync-sandbox on a free loopback port
# with its output in WORKDIR, sets sandbox_pid and sandbox_url, and returns non-zero with
# the sandbox's stderr on stderr when it does not come up within 10 s. Pair it with
# stop_sandbox (e.g. in an EXIT trap).
start_sandbox() {
  local dir="$1"
  shift
  build/bin/pinsync-sandbox --listen 127.0.0.1:0 "$@" >"$dir/sandbox.out" 2>"$dir/sandbox.err" &
  sandbox_pid=$!
  local _
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$dir/sandbox.out" 2>/dev/null && break
    sleep 0.1
  done
  sandbox_url="$(sed -n 's/^listening on //p' "$dir/sandbox.out" | head -n 1)"
  if [ -z "$sandbox_url" ]; then
    echo "the sandbox did not start:" >&2
    cat "$dir/sandbox.err" >&2
    return 1
  fi
}

# stop_sandbox: stops the sandbox start_sandbox started, if it still runs.
stop_sandbox() {
  if [ -n "${sandbox_pid:-}" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
}

#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds a normal and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (warnings as errors; the normal one
# with CMake's own Release flags, as a user's `cmake -DCMAKE_BUILD_TYPE=Release` builds),
# runs the whole ctest suite in both, scans what the tests wrote for test secrets, and
# replays each fuzz target's seed corpus under the sanitizers with a few seconds of blind
# mutations (coverage-guided fuzzing: scripts/fuzz.sh). Exits non-zero on any failure.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L unit    only one ctest label (unit, sandbox, e2e, chaos), both builds
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages
# promtool (in Debian's prometheus package) lints /metrics in tests/e2e/daemon; only the tests need it.
ensure_packages prometheus
# libFuzzer's runtime and FuzzedDataProvider.h, for the fuzz targets of the sanitizer build.
ensure_packages clang libclang-rt-14-dev

echo "==> normal build (build/)"
build_release

full=0
if [ "$#" -eq 0 ]; then full=1; fi  # a slice (-L unit) skips the corpus replay

# Tests save pinsync's output and state files here for the secrets scan (tests/support/artifacts.h).
rm -rf build/test-artifacts build-asan/test-artifacts
mkdir -p build

# The tests mostly wait on sockets and child processes, so the sanitizer build compiles
# while the normal tests run (their waits have room for a busy machine). Compiling is most
# of the run on two cores, so the sanitizer build is pinsync's: its tests run the normal
# build's pinsync-sandbox (a test fixture, whose conformance tests ran in the normal build),
# compile the test code itself plain (pinsync's libraries they link and the pinsync
# processes they run are instrumented: those are what is checked), and the fuzz targets live
# in it (no third build of the libraries): that keeps the whole run under the 15-minute
# budget.
echo "==> sanitizer build, in the background (log: build/asan-build.log)"
build_sanitized >build/asan-build.log 2>&1 &
asan_build=$!

echo "==> tests, normal build"
if ! PINSYNC_TEST_ARTIFACTS="$PWD/build/test-artifacts" \
  ctest --test-dir build --output-on-failure -j 2 "$@"; then
  kill "$asan_build" 2>/dev/null || true
  exit 1
fi
scripts/secrets_scan.sh build

if ! wait "$asan_build"; then
  cat build/asan-build.log >&2
  echo "test.sh: the sanitizer build failed" >&2
  exit 1
fi
echo "==> sanitizer build done"

echo "==> tests, AddressSanitizer + UndefinedBehaviorSanitizer build"
PINSYNC_TEST_ARTIFACTS="$PWD/build-asan/test-artifacts" \
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2 "$@"
scripts/secrets_scan.sh build-asan

if [ "$full" -eq 1 ]; then
  echo "==> fuzz targets under the sanitizers: each seed corpus, then 5 s of blind mutations"
  echo "    (coverage-guided fuzzing: scripts/fuzz.sh 300)"
  scripts/fuzz.sh --built-in build-asan 5
fi

#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds a normal and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (warnings as errors), runs the whole
# ctest suite in both, scans what the tests wrote for test secrets, proves that a user's
# plain `cmake -DCMAKE_BUILD_TYPE=Release` build of the two programs succeeds (CMake's own
# flags, no -Werror), and fuzzes each parser briefly. Exits non-zero on any failure.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L unit    only one ctest label (unit, sandbox, e2e, chaos), both builds
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages

echo "==> normal build (build/)"
build_release
echo "==> sanitizer build (build-asan/)"
build_sanitized

full=0
if [ "$#" -eq 0 ]; then full=1; fi  # a slice (-L unit) skips the fuzzing
# background_builds: the fuzz build, then the build a user runs (build_default_flags); on a
# failure, its log and what failed on stdout.
background_builds() {
  if ! scripts/fuzz.sh --build-only >build/fuzz-build.log 2>&1; then
    cat build/fuzz-build.log
    echo "test.sh: the fuzz build failed"
    return 1
  fi
  if ! build_default_flags >build/default-build.log 2>&1; then
    cat build/default-build.log
    echo "test.sh: the default-flags build (cmake -DCMAKE_BUILD_TYPE=Release, no -Werror) failed"
    return 1
  fi
}

if [ "$full" -eq 1 ]; then
  # Both compile while the tests of both builds mostly wait on sockets and children.
  echo "==> fuzz build, then default-flags build (build-default/), in the background"
  background_builds >build/background-builds.log 2>&1 &
  background=$!
fi

# Tests save pinsync's output and state files here for the secrets scan (tests/support/artifacts.h).
rm -rf build/test-artifacts build-asan/test-artifacts

echo "==> tests, normal build"
PINSYNC_TEST_ARTIFACTS="$PWD/build/test-artifacts" \
  ctest --test-dir build --output-on-failure -j 2 "$@"
scripts/secrets_scan.sh build

echo "==> tests, AddressSanitizer + UndefinedBehaviorSanitizer build"
PINSYNC_TEST_ARTIFACTS="$PWD/build-asan/test-artifacts" \
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2 "$@"
scripts/secrets_scan.sh build-asan

if [ "$full" -eq 1 ]; then
  if ! wait "$background"; then
    cat build/background-builds.log >&2
    exit 1
  fi
  echo "==> fuzzing (short runs; scripts/fuzz.sh 300 for a longer look)"
  scripts/fuzz.sh 8
fi

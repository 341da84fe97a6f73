#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds a normal and an
# AddressSanitizer + UndefinedBehaviorSanitizer build, and runs the whole ctest
# suite in both. Exits non-zero on any failure.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L unit    only one ctest label (unit, e2e, chaos), both builds
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages

echo "==> normal build (build/)"
build_release
echo "==> sanitizer build (build-asan/)"
build_sanitized

echo "==> tests, normal build"
ctest --test-dir build --output-on-failure -j 2 "$@"

echo "==> tests, AddressSanitizer + UndefinedBehaviorSanitizer build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2 "$@"

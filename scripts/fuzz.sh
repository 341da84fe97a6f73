#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in build-fuzz/ and runs each for a while on a copy of
# its seed corpus. Exits non-zero when a target crashes or breaks an invariant, naming the
# file that holds the input; replay it with: build-fuzz/bin/TARGET FILE
#   ./scripts/fuzz.sh          20 seconds per target
#   ./scripts/fuzz.sh 300      longer runs
#   FUZZ_TARGETS="fuzz_csv" ./scripts/fuzz.sh 60    only some targets
#   ./scripts/fuzz.sh --build-only                   build, do not run
#   ./scripts/fuzz.sh --built-in build-asan 5       runs the targets a sanitizer build made with
#                                                    -DPINSYNC_FUZZ_REPLAY=ON (no coverage: the seed
#                                                    corpus replayed, then blind mutations; test.sh)
# The targets are built with g++ (ASan + UBSan + GCC coverage hooks) and linked against
# libFuzzer from clang's runtime: Debian 12's clang 14 cannot compile libstdc++'s
# std::expected, which pinsync uses everywhere (see fuzz/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

build_only=0
built_in=""
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
elif [ "${1:-}" = "--built-in" ]; then
  built_in="${2:?--built-in needs a build folder}"
  shift 2
fi
seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2
  exit 2
fi
all_targets=(fuzz_csv fuzz_datetime fuzz_mapper fuzz_pinned_api fuzz_sheets fuzz_airtable)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

dir="${built_in:-build-fuzz}"
if [ -z "$built_in" ]; then
  ensure_packages
  ensure_packages clang libclang-rt-14-dev
  echo "==> fuzz build (build-fuzz/)"
  BUILD_TARGETS=pinsync_fuzz_targets build build-fuzz -DPINSYNC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DPINSYNC_WERROR=ON -DCMAKE_UNITY_BUILD=ON
fi
if [ "$build_only" -eq 1 ]; then exit 0; fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
work="$dir/fuzz-run"
rm -rf "$work"
mkdir -p "$work" "$dir/fuzz-crashes"

# run_target NAME: fuzzes NAME for $seconds on a fresh copy of fuzz/corpus/NAME; its output
# goes to $work/NAME.log.
run_target() {
  local name="$1"
  mkdir -p "$work/$name"
  cp -r "fuzz/corpus/$name/." "$work/$name/"
  "$dir/bin/$name" "$work/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -artifact_prefix="$dir/fuzz-crashes/$name-" -print_final_stats=1 >"$work/$name.log" 2>&1
}

echo "==> fuzzing ${targets[*]}, ${seconds}s each, $(nproc) at a time"
pids=()
for name in "${targets[@]}"; do
  run_target "$name" &
  pids+=("$!")
  if [ "${#pids[@]}" -ge "$(nproc)" ]; then
    wait "${pids[0]}" || true
    pids=("${pids[@]:1}")
  fi
done
wait || true

failed=0
for name in "${targets[@]}"; do
  log="$work/$name.log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if grep -qE '^(==[0-9]+==ERROR|SUMMARY: |.*invariant failed)' "$log" || [ -z "$runs" ]; then
    failed=1
    artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    echo "FAIL  $name: see $log"
    grep -E 'invariant failed|ERROR: |SUMMARY: ' "$log" | head -5 | sed 's/^/      /'
    if [ -n "$artifact" ]; then
      echo "      input saved in $artifact (replay: $dir/bin/$name $artifact)"
    fi
  else
    features=$(grep -oE 'ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
    echo "ok    $name: $runs runs${features:+, $features}"
  fi
done
exit "$failed"

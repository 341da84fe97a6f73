#!/usr/bin/env bash
# The secrets scan over what the test suite wrote: fails when a test secret
# (tests/support/secrets.txt) shows up in ctest's log of a build folder or in the pinsync
# output and state files the tests saved there (PINSYNC_TEST_ARTIFACTS=DIR/test-artifacts,
# set by scripts/test.sh). Names the file and line of each hit and the secret's label,
# never the secret itself.
#   scripts/secrets_scan.sh build [build-asan …]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/secrets_scan.sh BUILD_DIR [BUILD_DIR…]" >&2
  exit 2
fi
list=tests/support/secrets.txt

files=()
saved=0
for dir in "$@"; do
  for log in "$dir"/Testing/Temporary/LastTest*.log; do
    [ -f "$log" ] && files+=("$log")
  done
  if [ -d "$dir/test-artifacts" ]; then
    while IFS= read -r -d '' f; do
      files+=("$f")
      saved=$((saved + 1))
    done < <(find "$dir/test-artifacts" -type f -print0)
  fi
done
if [ "${#files[@]}" -eq 0 ]; then
  echo "secrets scan: nothing to scan in $* (run ctest first)" >&2
  exit 2
fi

found=0
secrets=0
while read -r kind label value; do
  case "$kind" in
    fixed) mode=-F ;;
    regex) mode=-E ;;
    *) continue ;;  # comments and blank lines
  esac
  secrets=$((secrets + 1))
  # -a: state files are binary; cut keeps FILE:LINE and drops the matched text.
  hits=$(grep -a -n -H "$mode" -e "$value" -- "${files[@]}" | cut -d: -f1,2 || true)
  if [ -n "$hits" ]; then
    found=1
    while IFS= read -r where; do
      echo "SECRET  $where: holds the test secret \"$label\" (see $list)"
    done <<<"$hits"
  fi
done <"$list"

if [ "$found" -ne 0 ]; then
  echo "secrets scan: FAILED — a secret reached the output above; find where it is printed and redact it" >&2
  exit 1
fi
echo "secrets scan: none of $secrets secrets in ${#files[@]} files ($saved saved by the tests) of $*"

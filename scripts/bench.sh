#!/usr/bin/env bash
# Measures pinsync against pinsync-sandbox on loopback and prints one table: each scenario's
# measure as median, min and max over the runs, its target and whether it is met.
#   ./scripts/bench.sh            full sizes (a 100,000-row sheet, imports of 10,000 and 5,000
#                                 rows, 20,000 Airtable records, 1,000 sources x 20 rows in one
#                                 agent), 3 runs each (BENCH_RUNS=N: more)
#   ./scripts/bench.sh --quick    small sizes (100 sources for many), 1 run: a smoke check
#   ./scripts/bench.sh --only NAME[,NAME]   only those scenarios: ceiling, nochange, yardstick,
#                                 import, limited, airtable, many, quota (combines with --quick)
# yardstick: a no-change pass over one CSV by pinsync and by bench/naive_sync.py (the script an
# integrator writes from the API docs; python3-requests) side by side, at 10,000 and 100,000
# rows, and pinsync alone at 1,000,000 (BENCH_YARDSTICK_MILLION=0 skips it: seeding it takes
# minutes once; seeds are cached in build/bench).
# quota: 120 Google sheets (20 rows each) behind one service account at poll_interval 1m, an
# agent for 10 minutes without and 10 with the change gate (--quick: 30 sheets, 2 minutes each).
# many: one `pinsync run` with N sources (half CSV files, half API-key sandbox sheets) against
# `pinsync sync` of the same rows as one CSV source. Each run takes about 2 minutes at full size
# (the 1m-schedule measure alone takes a minute by design, plus 30 s idle), so
# BENCH_MANY_RUNS=1 is an acceptable shortcut for this scenario only. BENCH_PINSYNC_BEFORE=PATH
# adds the same measures for another pinsync binary (e.g. one built before a change), as
# "before" rows (BENCH_PINSYNC_BEFORE_LIMIT=S, default 300: how long each of its two agents may
# take before it is stopped and reported as unfinished).
# Installs what it misses (wrk, GNU time, jq), builds Release (build/), runs its own sandbox on a
# free port; the table also goes to build/bench/last.md (build/bench/last-only.md after --only).
# Not part of test.sh: timings depend on the machine, so nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

quick=0
only=""
k_scenarios="ceiling nochange yardstick import limited airtable many quota"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      [ $# -ge 2 ] || { echo "bench.sh: --only needs a scenario name ($k_scenarios)" >&2; exit 2; }
      only="${2//,/ }"
      shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (use --quick, --only NAME or nothing)" >&2; exit 2 ;;
  esac
  shift
done
for name in $only; do
  [[ " $k_scenarios " == *" $name "* ]] || { echo "bench.sh: unknown scenario $name (one of: $k_scenarios)" >&2; exit 2; }
done
# wanted NAME: true when the scenario runs (all of them without --only).
wanted() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }

if [ "$quick" -eq 1 ]; then
  runs=1; sheet_rows=10000; import_rows=1000; limited_rows=400; airtable_records=1000; wrk_seconds=1
  many_sources=100; many_idle=10; yardstick_sizes="10000"; naive_sizes="10000"
  quota_sheets=30; quota_seconds=120
else
  runs="${BENCH_RUNS:-3}"; sheet_rows=100000; import_rows=10000; limited_rows=5000; airtable_records=20000
  wrk_seconds=3; many_sources=1000; many_idle=30; naive_sizes="10000 100000"
  quota_sheets=120; quota_seconds=600
  yardstick_sizes="10000 100000"
  [ "${BENCH_YARDSTICK_MILLION:-1}" = 0 ] || yardstick_sizes+=" 1000000"
fi
many_rows=20
limit_rps=200

ensure_packages
ensure_packages wrk time jq python3-requests openssl sqlite3
echo "==> building Release (build/)"
BUILD_TARGETS="pinsync pinsync-sandbox" build_release >/dev/null
# The commit measured: the table is printed at the end, when HEAD may have moved.
measured_rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes')"

bin="$PWD/build/bin"
gen="$PWD/bench/gen_data.sh"
mkdir -p build/bench
cache="$PWD/build/bench"
work="$(mktemp -d -t pinsync-bench.XXXXXX)"
# The agent the many-sources scenario runs (pinsync run), when one runs.
agent_pid=""
stop_agent() {
  [ -n "$agent_pid" ] || return 0
  local _
  kill -TERM "$agent_pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$agent_pid" 2>/dev/null; then
    step "  the agent did not stop within 30 s of SIGTERM; killing it"
    kill -KILL "$agent_pid" 2>/dev/null || true
  fi
  agent_rc=0
  wait "$agent_pid" 2>/dev/null || agent_rc=$?
  agent_pid=""
}
cleanup() {
  stop_agent
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '==> %s\n' "$*" >&2; }
die() { echo "bench.sh: $*" >&2; exit 1; }

# ---- the sandbox ---------------------------------------------------------------------------
step "starting pinsync-sandbox on a free loopback port"
start_sandbox "$work" || die "see above"
url="$sandbox_url"

# control METHOD PATH [BODY-FILE]: a control request; fails the bench on a non-2xx answer.
control() {
  local args=(-sS -o "$work/control.out" -w '%{http_code}' -X "$1" "$url$2")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
  local code
  code="$(curl "${args[@]}")"
  [[ "$code" == 2* ]] || die "$1 $2 answered $code: $(head -c 500 "$work/control.out")"
}
control_json() { printf '%s' "$3" >"$work/body.json"; control "$1" "$2" "$work/body.json"; }

# requests METHOD ROUTE [STATUS]: how many such requests the sandbox counted since its last reset.
requests() {
  curl -sS "$url/_sandbox/stats" |
    jq --arg m "$1" --arg r "$2" --argjson s "${3:--1}" \
      '[.requests[] | select(.method == $m and .route == $r and ($s < 0 or .status == $s)) | .count] | add // 0'
}
# Every request to a route prefix with a given status (all methods).
requests_with_status() {
  curl -sS "$url/_sandbox/stats" |
    jq --arg p "$1" --argjson s "$2" '[.requests[] | select((.route | startswith($p)) and .status == $s) | .count] | add // 0'
}

# ---- pinsync configs -------------------------------------------------------------------------
export PINNED_EVENTS_API_KEY=sandbox-key GOOGLE_API_KEY=sandbox-google-key AIRTABLE_TOKEN=sandbox-airtable-token
mapping_common='      classifications:
        column: Category
        map: {Jazz: music, Stand-up: comedy, Markets: markets, Theatre: theatre}
      city:
        column: City
        places:
          New York: {place_id: place-new-york, country_code: US}
          Valencia: {place_id: place-valencia, country_code: ES}
          London: {place_id: place-london, country_code: GB}
          Berlin: {place_id: place-berlin, country_code: DE}'

# write_config FILE STATE CONCURRENCY MAX_RPS SOURCE_KIND: one source of the given kind.
write_config() {
  local file="$1" state="$2" concurrency="$3" max_rps="$4" kind="$5" source
  case "$kind" in
    csv) source="    kind: csv
    path: $work/import.csv
    id_column: Event ID
    timezone: America/New_York
    mapping:
      title: Title
      start_date: Date
      start_time: Start
      end_time: End
      location_name: Venue
$mapping_common" ;;
    sheet) source="    kind: google_sheets
    spreadsheet_id: benchSheet100k
    sheet: Events
    auth:
      api_key: \${GOOGLE_API_KEY}
    id_column: Event ID
    mapping:
      title: Title
      start_date: Date
      start_time: Start
      end_time: End
      location_name: Venue
$mapping_common" ;;
    airtable) source="    kind: airtable
    base_id: appBench000000001
    table: Events
    token: \${AIRTABLE_TOKEN}
    timezone: Europe/Madrid
    mapping:
      title: Title
      start: When
${mapping_common//Category/Genre}" ;;
  esac
  cat >"$file" <<EOF
pinned:
  base_url: $url
  api_key: \${PINNED_EVENTS_API_KEY}
  concurrency: $concurrency
  max_requests_per_second: $max_rps
google:
  sheets_base_url: $url
airtable:
  base_url: $url
state:
  path: $state
agent:
  log_level: warn
sources:
  - name: bench
$source
    approved:
      column: Approved
    channel_id: 42
EOF
}

# timed_pinsync COMMAND CONFIG: runs pinsync; sets $wall (s), $rss_mb. Fails the bench unless
# pinsync exits 0.
timed_pinsync() {
  local start end rc=0
  start=$EPOCHREALTIME
  /usr/bin/time -f '%M %U %S' -o "$work/time.out" "$bin/pinsync" "$1" --config "$2" >"$work/pinsync.out" 2>"$work/pinsync.err" || rc=$?
  end=$EPOCHREALTIME
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$work/pinsync.out" "$work/pinsync.err" >&2
    die "pinsync $1 exited $rc"
  fi
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  rss_mb=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/time.out")
  cpu_s=$(awk '{ printf "%.2f", $2 + $3 }' "$work/time.out")
}

# ---- the table ---------------------------------------------------------------------------------
table="$work/table.md"
printf '| scenario | measure | median | min | max | target | met? |\n|---|---|---|---|---|---|---|\n' >"$table"

# row SCENARIO MEASURE TARGET CHECK VALUES...: CHECK is an awk condition on `m` (the median),
# or "-" for a row that is only reported.
row() {
  local scenario="$1" measure="$2" target="$3" check="$4"
  shift 4
  local sorted median min max met
  sorted=$(printf '%s\n' "$@" | sort -g)
  min=$(head -n 1 <<<"$sorted")
  max=$(tail -n 1 <<<"$sorted")
  median=$(awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' <<<"$sorted")
  if [ "$check" = "-" ]; then
    met="—"
  else
    met=$(awk -v m="$median" "BEGIN { print (($check) ? \"yes\" : \"**no**\") }")
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$scenario" "$measure" "$median" "$min" "$max" "$target" "$met" >>"$table"
  printf '    %s: %s = %s (min %s, max %s)\n' "$scenario" "$measure" "$median" "$min" "$max" >&2
}

# ---- 1. sandbox ceiling ------------------------------------------------------------------------
if wanted ceiling; then
  step "sandbox ceiling: wrk, POST /api/public/v1/events, keep-alive, ${wrk_seconds}s x $runs per connection count"
  for c in 1 4 8 16; do
    values=()
    for _ in $(seq 1 "$runs"); do
      control POST /_sandbox/reset
      threads=$((c < 2 ? c : 2))
      out=$(wrk -t "$threads" -c "$c" -d "${wrk_seconds}s" -s bench/post_events.lua "$url" 2>&1)
      rps=$(sed -n 's/^BENCH rps=\([0-9.]*\).*/\1/p' <<<"$out")
      non2xx=$(sed -n 's/^BENCH .*non2xx=\([0-9]*\).*/\1/p' <<<"$out")
      [ -n "$rps" ] || die "wrk gave no result: $out"
      [ "$non2xx" = 0 ] || die "wrk saw $non2xx non-2xx answers: $out"
      values+=("$(printf '%.0f' "$rps")")
    done
    row "sandbox ceiling, $c connection(s)" "creates/s" "reported" "-" "${values[@]}"
  done
  control POST /_sandbox/reset
fi

# ---- 2. no-change pass over a large sheet ------------------------------------------------------
if wanted nochange; then
  step "no-change pass: a $sheet_rows-row Google sheet"
  "$gen" sheet "$sheet_rows" >"$work/sheet.json"
  control PUT /_sandbox/sheets/benchSheet100k "$work/sheet.json"
  # The pass needs a state file that already holds every row. It is made once by a full import
  # (state on tmpfs, where fsync is free, so it takes seconds instead of minutes) and cached per
  # pinsync binary and data generator: a rebuilt pinsync gets a new one.
  seed_key=$(cat "$bin/pinsync" "$gen" | sha256sum | cut -c1-16)
  seed="$cache/nochange-$sheet_rows-$seed_key.db"
  if [ ! -f "$seed" ]; then
    step "  seeding the state file once ($sheet_rows creates; cached as $seed)"
    rm -f "$cache"/nochange-"$sheet_rows"-*.db
    shm="$(mktemp -d -p /dev/shm pinsync-bench.XXXXXX 2>/dev/null || mktemp -d)"
    write_config "$work/seed.yaml" "$shm/state.db" 8 0 sheet
    timed_pinsync sync "$work/seed.yaml"
    step "  seeded in ${wall}s"
    cp "$shm/state.db" "$seed.tmp" && mv "$seed.tmp" "$seed"
    rm -rf "$shm"
  fi
  walls=(); rss=(); reads=(); meta=(); writes=(); serve=()
  read_query="/v4/spreadsheets/benchSheet100k/values:batchGet?ranges=Events&valueRenderOption=UNFORMATTED_VALUE"
  read_query+="&dateTimeRenderOption=SERIAL_NUMBER&majorDimension=ROWS&prettyPrint=false&key=$GOOGLE_API_KEY"
  for _ in $(seq 1 "$runs"); do
    cp "$seed" "$work/nochange.db"
    write_config "$work/nochange.yaml" "$work/nochange.db" 4 0 sheet
    control POST /_sandbox/reset
    timed_pinsync sync "$work/nochange.yaml"
    walls+=("$wall"); rss+=("$rss_mb")
    reads+=("$(requests GET '/v4/spreadsheets/{id}/values:batchGet')")
    meta+=("$(requests GET '/v4/spreadsheets/{id}')")
    writes+=("$(($(requests POST /api/public/v1/events) + $(requests PATCH '/api/public/v1/events/{id}') +
      $(requests POST '/v4/spreadsheets/{id}/values:batchUpdate')))")
    # The same read by curl: the sandbox's own share of the pass's wall time.
    serve+=("$(curl -sS -o /dev/null -w '%{time_total}' "$url$read_query" | awk '{ printf "%.3f", $1 }')")
  done
  name="no-change pass, $sheet_rows-row sheet"
  row "$name" "wall time (s)" "≤ 1.0" "m <= 1.0" "${walls[@]}"
  row "$name" "peak RSS (MB)" "≤ 150" "m <= 150" "${rss[@]}"
  row "$name" "Sheets value reads" "1" "m == 1" "${reads[@]}"
  row "$name" "Sheets metadata reads" "reported" "-" "${meta[@]}"
  row "$name" "sandbox's time to serve that read (s)" "reported (part of the wall time)" "-" "${serve[@]}"
  row "$name" "writes (Pinned + Sheets)" "0" "m == 0" "${writes[@]}"
fi

# ---- 2b. the yardstick: pinsync beside the naive script ----------------------------------------
# The same CSV, the same sandbox, a state that already holds every row: a pass that finds nothing
# to do. Both states are seeded once per size (the naive one by the script itself) and cached.
if wanted yardstick; then
  naive="$PWD/bench/naive_sync.py"
  data_key=$(sha256sum <"$gen" | cut -c1-16)
  for n in $yardstick_sizes; do
    step "yardstick: no-change pass over a $n-row CSV, pinsync and the naive script"
    "$gen" yardstick "$n" >"$work/yardstick.csv"
    # write_yardstick_config FILE STATE
    write_yardstick_config() {
      cat >"$1" <<EOF
pinned:
  base_url: $url
  api_key: \${PINNED_EVENTS_API_KEY}
  concurrency: 8
state:
  path: $2
agent:
  log_level: warn
sources:
  - name: bench
    kind: csv
    path: $work/yardstick.csv
    id_column: ID
    timezone: Europe/Madrid
    approved:
      column: OK
    channel_id: 42
    mapping:
      title: Title
      start: Start
      classifications:
        column: Cat
      city:
        column: City
        places:
          Valencia: {place_id: place-valencia, country_code: ES}
EOF
    }
    write_yardstick_config "$work/yardstick.yaml" "$work/yardstick.db"
    # Keyed by what decides the seed's content (the schema, the payloads, the data), not by the
    # binary: seeding a million rows takes minutes.
    seed="$cache/yardstick-$n-$(cat state/schema.cpp agent/mapping/*.cpp "$gen" | sha256sum | cut -c1-16).db"
    if [ ! -f "$seed" ]; then
      step "  seeding pinsync's state once ($n creates; cached as $seed)"
      rm -f "$cache"/yardstick-"$n"-*.db
      shm="$(mktemp -d -p /dev/shm pinsync-bench.XXXXXX 2>/dev/null || mktemp -d)"
      write_yardstick_config "$work/seed.yaml" "$shm/state.db"
      timed_pinsync sync "$work/seed.yaml"
      cp "$shm/state.db" "$seed.tmp" && mv "$seed.tmp" "$seed"
      rm -rf "$shm"
    fi
    naive_seed="$cache/naive-$n-$data_key.json"
    if [[ " $naive_sizes " == *" $n "* ]] && [ ! -f "$naive_seed" ]; then
      step "  seeding the naive script's state once ($n creates by the script; cached as $naive_seed)"
      rm -f "$cache"/naive-"$n"-*.json
      python3 "$naive" "$url" "$work/yardstick.csv" "$naive_seed.tmp" >/dev/null
      mv "$naive_seed.tmp" "$naive_seed"
    fi
    # The first pass on this build maps every row and stores each row's cells token (as after
    # an upgrade or a config change); passes after it settle rows by their tokens — the steady
    # state of a polled source, which the timed runs measure.
    # The seed's import stored the tokens of this build: they are dropped, as a new build or
    # config makes them stale, and the copy is on disk before the clock starts.
    cp "$seed" "$work/warm.db"
    sqlite3 "$work/warm.db" "UPDATE source_rows SET cells_token = NULL" && sync "$work/warm.db"
    write_yardstick_config "$work/warm.yaml" "$work/warm.db"
    timed_pinsync sync "$work/warm.yaml"
    first_wall="$wall"; first_rss="$rss_mb"
    # A plan of the whole CSV on a new state file: every row is one to create, a line each.
    rm -f "$work/plan-new.db"*
    write_yardstick_config "$work/plan-new.yaml" "$work/plan-new.db"
    timed_pinsync plan "$work/plan-new.yaml"
    grep -q "$n to create" "$work/pinsync.out" || die "the plan did not create every row: $(head -n 2 "$work/pinsync.out")"
    plan_wall="$wall"; plan_rss="$rss_mb"
    p_walls=(); p_rss=(); n_walls=(); n_rss=(); ratios=()
    for _ in $(seq 1 "$runs"); do
      # Written to disk before the clock starts: a state file's copy still in the page cache
      # would make pinsync's first fsync pay for writing the copy.
      cp "$work/warm.db" "$work/yardstick.db" && sync "$work/yardstick.db"
      timed_pinsync sync "$work/yardstick.yaml"
      grep -q "0 created, 0 updated, $n unchanged" "$work/pinsync.out" ||
        die "pinsync's pass was not a no-change pass: $(tail -n 3 "$work/pinsync.out")"
      p_walls+=("$wall"); p_rss+=("$rss_mb")
      [[ " $naive_sizes " == *" $n "* ]] || continue
      cp "$naive_seed" "$work/naive.json" && sync "$work/naive.json"
      start=$EPOCHREALTIME
      /usr/bin/time -f '%M' -o "$work/time.out" python3 "$naive" "$url" "$work/yardstick.csv" "$work/naive.json" \
        >"$work/naive.out"
      end=$EPOCHREALTIME
      grep -q "created 0 updated 0" "$work/naive.out" || die "the naive script's pass was not a no-change pass"
      n_walls+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
      n_rss+=("$(awk '{ printf "%.1f", $1 / 1024 }' "$work/time.out")")
      ratios+=("$(awk -v a="${n_walls[-1]}" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')")
    done
    name="no-change pass, $n-row CSV"
    row "$name" "pinsync first pass of a build or config: wall (s)" "reported" "-" "$first_wall"
    row "$name" "pinsync first pass of a build or config: peak RSS (MB)" "reported" "-" "$first_rss"
    row "$name" "pinsync plan on a new state file (all to create): wall (s)" "reported" "-" "$plan_wall"
    row "$name" "pinsync plan on a new state file (all to create): peak RSS (MB)" "reported (growth)" "-" "$plan_rss"
    if [ "$n" = 100000 ]; then
      row "$name" "pinsync wall time (s)" "reported" "-" "${p_walls[@]}"
      row "$name" "pinsync peak RSS (MB)" "< 60" "m < 60" "${p_rss[@]}"
    else
      row "$name" "pinsync wall time (s)" "reported (growth)" "-" "${p_walls[@]}"
      row "$name" "pinsync peak RSS (MB)" "reported (growth)" "-" "${p_rss[@]}"
    fi
    [ ${#n_walls[@]} -gt 0 ] || continue
    row "$name" "naive script wall time (s)" "reported (the yardstick)" "-" "${n_walls[@]}"
    row "$name" "naive script peak RSS (MB)" "reported" "-" "${n_rss[@]}"
    if [ "$n" = 100000 ]; then
      row "$name" "naive time / pinsync time (same run)" "≥ 10" "m >= 10" "${ratios[@]}"
    else
      row "$name" "naive time / pinsync time (same run)" "reported" "-" "${ratios[@]}"
    fi
  done
fi

# ---- 3. initial import at concurrency 1 / 4 / 8 ------------------------------------------------
if wanted import; then
  step "initial import: $import_rows CSV rows into a fresh state file, concurrency 1 / 4 / 8"
  "$gen" csv "$import_rows" >"$work/import.csv"
  for c in 1 4 8; do
    values=()
    for _ in $(seq 1 "$runs"); do
      rm -f "$work/import.db"*
      write_config "$work/import.yaml" "$work/import.db" "$c" 0 csv
      control POST /_sandbox/reset
      timed_pinsync sync "$work/import.yaml"
      created=$(requests POST /api/public/v1/events 201)
      [ "$created" -eq "$import_rows" ] || die "import at concurrency $c created $created events, not $import_rows"
      values+=("$(awk -v n="$created" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')")
    done
    if [ "$c" -eq 8 ]; then
      row "initial import, $import_rows rows, concurrency $c" "events/s" "≥ 2,000" "m >= 2000" "${values[@]}"
    else
      row "initial import, $import_rows rows, concurrency $c" "events/s" "reported" "-" "${values[@]}"
    fi
  done
fi

# ---- 4. import against a rate-limited sandbox ------------------------------------------------
if wanted limited; then
  step "import of $limited_rows rows, sandbox limited to $limit_rps req/s per key"
  "$gen" csv "$limited_rows" >"$work/import.csv"
  pct=(); limited=()
  for _ in $(seq 1 "$runs"); do
    rm -f "$work/import.db"*
    write_config "$work/import.yaml" "$work/import.db" 8 "$limit_rps" csv
    control POST /_sandbox/reset
    control_json POST /_sandbox/faults "{\"rate_limit_per_second\":$limit_rps}"
    timed_pinsync sync "$work/import.yaml"
    created=$(requests POST /api/public/v1/events 201)
    [ "$created" -eq "$limited_rows" ] || die "rate-limited import created $created events, not $limited_rows"
    total=$(requests POST /api/public/v1/events)
    n429=$(requests_with_status /api/public/v1 429)
    pct+=("$(awk -v n="$created" -v w="$wall" -v l="$limit_rps" 'BEGIN { printf "%.1f", 100 * n / w / l }')")
    limited+=("$(awk -v a="$n429" -v t="$total" 'BEGIN { printf "%.2f", 100 * a / t }')")
  done
  control POST /_sandbox/reset
  name="import, $limited_rows rows, sandbox at $limit_rps req/s"
  row "$name" "achieved rate, % of limit" "≥ 95" "m >= 95" "${pct[@]}"
  row "$name" "429s, % of requests" "≤ 1" "m <= 1" "${limited[@]}"
fi

# ---- 5. Airtable full scan ---------------------------------------------------------------------
if wanted airtable; then
  step "Airtable full scan: $airtable_records records (pinsync plan: reads every page, sends nothing)"
  "$gen" airtable "$airtable_records" >"$work/airtable.json"
  control POST /_sandbox/airtable/reset
  control PUT /_sandbox/airtable/appBench000000001/Events "$work/airtable.json"
  pages=(); walls=(); at429=()
  for _ in $(seq 1 "$runs"); do
    rm -f "$work/plan.db"*
    write_config "$work/plan.yaml" "$work/plan.db" 4 0 airtable
    control POST /_sandbox/reset
    # pinsync paces a base within one process only: the previous run's last second must not count.
    control_json POST /_sandbox/airtable/settings '{"requests_per_second":5}'
    timed_pinsync plan "$work/plan.yaml"
    pages+=("$(requests GET '/v0/{baseId}/{table}' 200)")
    walls+=("$wall")
    at429+=("$(requests_with_status /v0/ 429)")
  done
  expected_pages=$(((airtable_records + 99) / 100))
  name="Airtable full scan, $airtable_records records"
  row "$name" "page reads" "exactly $expected_pages" "m == $expected_pages" "${pages[@]}"
  row "$name" "wall time (s)" "reported (5 req/s: ≥ $(awk -v p="$expected_pages" 'BEGIN { print (p - 1) / 5 }') s)" "-" "${walls[@]}"
  row "$name" "429s" "0" "m == 0" "${at429[@]}"
fi

# ---- 6. many sources in one agent --------------------------------------------------------------
# many_sources N ROWS INTERVAL BIN CONFIG STATE [modern|before]: writes CONFIG, an agent (`pinsync
# run`) with N sources of ROWS rows each (odd ones CSV files, even ones API-key Google sheets,
# made by many_data), every one polled every INTERVAL, its state in STATE. "before" leaves out
# the keys an agent built before agent.workers and the Sheets quota planner rejects.
write_many_config() {
  local n="$1" rows="$2" interval="$3" file="$4" state="$5" flavour="${6:-modern}" i name
  {
    cat <<EOF2
pinned:
  base_url: $url
  api_key: \${PINNED_EVENTS_API_KEY}
  concurrency: 8
  max_requests_per_second: 0
EOF2
    if [ "$flavour" = modern ]; then
      # Quotas far above the run: the quota planner must not stretch the API-key sheets' polls
      # (with Google's defaults, 500 sheets a minute would be spread over several minutes).
      cat <<EOF2
google:
  sheets_base_url: $url
  requests_per_minute_per_user: 1000000
  requests_per_minute_per_project: 1000000
agent:
  workers: 4
  admin_listen: "127.0.0.1:0"
  log_level: warn
EOF2
    else
      printf 'google:\n  sheets_base_url: %s\nagent:\n  admin_listen: "127.0.0.1:0"\n  log_level: warn\n' "$url"
    fi
    printf 'state:\n  path: %s\nsources:\n' "$state"
    for i in $(seq 1 "$n"); do
      if ((i % 2)); then
        printf -v name 'csv-%04d' "$i"
        printf '  - name: %s\n    kind: csv\n    path: %s/many/%s.csv\n    timezone: America/New_York\n' "$name" "$work" "$name"
      else
        printf -v name 'sheet-%04d' "$i"
        printf '  - name: %s\n    kind: google_sheets\n    spreadsheet_id: benchMany%04d\n    sheet: Events\n' "$name" "$i"
        # shellcheck disable=SC2016  # pinsync expands ${GOOGLE_API_KEY}, not the shell
        printf '    auth:\n      api_key: ${GOOGLE_API_KEY}\n'
      fi
      printf '    poll_interval: %s\n    id_column: Event ID\n' "$interval"
      printf '    mapping:\n      title: Title\n      start_date: Date\n      start_time: Start\n      end_time: End\n'
      printf '      location_name: Venue\n%s\n' "$mapping_common"
      printf '    approved:\n      column: Approved\n    channel_id: 42\n'
    done
  } >"$file"
}

# many_data N ROWS: source i's rows are rows (i-1)*ROWS+1 .. i*ROWS of the one-source CSV, as a
# CSV file ($work/many/csv-NNNN.csv) or a sandbox spreadsheet (benchManyNNNN, PUT once: the
# Pinned reset before each measurement leaves the sheets alone, and pinsync never writes them).
many_data() {
  local n="$1" rows="$2" i
  mkdir -p "$work/many"
  for i in $(seq 1 "$n"); do
    if ((i % 2)); then
      "$gen" csv "$rows" $(((i - 1) * rows + 1)) >"$work/many/$(printf 'csv-%04d' "$i").csv"
    else
      "$gen" sheet "$rows" $(((i - 1) * rows + 1)) >"$work/many/sheet.json"
      control PUT "/_sandbox/sheets/$(printf 'benchMany%04d' "$i")" "$work/many/sheet.json"
    fi
  done
}

# Every request to a route prefix, whatever its method and status.
requests_under() {
  curl -sS "$url/_sandbox/stats" | jq --arg p "$1" '[.requests[] | select(.route | startswith($p)) | .count] | add // 0'
}


# sample_agent: folds /proc/PID/status (Threads, VmHWM) into $peak_threads and $peak_rss_kb.
sample_agent() {
  local t h
  read -r t h < <(awk '/^Threads:/ { t = $2 } /^VmHWM:/ { h = $2 } END { print t + 0, h + 0 }' \
    "/proc/$agent_pid/status" 2>/dev/null || echo "0 0")
  ((t > peak_threads)) && peak_threads=$t
  ((h > peak_rss_kb)) && peak_rss_kb=$h
  return 0
}
# cpu_ticks: the agent's utime + stime so far, in clock ticks (fields 14 and 15 of
# /proc/PID/stat; counted after the ")" that ends the command name).
cpu_ticks() { sed 's/.*) //' "/proc/$agent_pid/stat" | awk '{ print $12 + $13 }'; }

# run_many BIN CONFIG EXPECTED IDLE_SECONDS [LIMIT [soft]]: starts `BIN run`, waits (sampling
# threads and peak RSS every ~200 ms) until the sandbox counted EXPECTED created events (at most
# LIMIT s, default 600: then the bench fails, or with "soft" the agent is stopped, $timed_out
# set and $creates_s is the limit), then, when IDLE_SECONDS > 0, measures the agent's CPU over that many seconds, then stops it with SIGTERM. Sets
# $creates_s, $creates_cpu (the agent's CPU seconds until then), $peak_threads, $peak_rss_mb, $idle_pct (% of one core; "" without idle),
# $created, $pinned_requests (every /api/public/v1 request of the run), $sheet_reads (values
# reads) and $all_requests.
run_many() {
  local agent_bin="$1" config="$2" expected="$3" idle="$4" limit="${5:-600}" soft="${6:-}"
  local start now deadline t0 t1 c0 c1
  peak_threads=0; peak_rss_kb=0; idle_pct=""; timed_out=0
  start=$EPOCHREALTIME
  "$agent_bin" run --config "$config" >"$work/agent.out" 2>"$work/agent.err" &
  agent_pid=$!
  deadline=$(awk -v s="$start" -v l="$limit" 'BEGIN { printf "%d", s + l }')
  while :; do
    if ! kill -0 "$agent_pid" 2>/dev/null; then
      tail -n 20 "$work/agent.out" "$work/agent.err" >&2
      agent_pid=""
      die "pinsync run ($agent_bin) exited before the creates were done"
    fi
    sample_agent
    created=$(requests POST /api/public/v1/events 201)
    [ "$created" -ge "$expected" ] && break
    if [ "${EPOCHREALTIME%.*}" -ge "$deadline" ]; then
      if [ "$soft" = soft ]; then
        step "  after $limit s the agent had created $created of $expected events; stopping it"
        timed_out=1
        break
      fi
      tail -n 20 "$work/agent.err" >&2
      stop_agent
      die "after $limit s the agent had created $created of $expected events"
    fi
    sleep 0.2
  done
  now=$EPOCHREALTIME
  creates_s=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.2f", b - a }')
  creates_cpu=$(awk -v c="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", c / hz }')
  [ "$timed_out" -eq 0 ] || creates_s=$limit
  if [ "$idle" -gt 0 ] && [ "$timed_out" -eq 0 ]; then
    # A moment for the last pass to finish its bookkeeping, then the steady state: every
    # source polled once a minute, nothing to send.
    sleep 2
    t0=$EPOCHREALTIME; c0=$(cpu_ticks)
    local end_idle=$((${t0%.*} + idle))
    while [ "${EPOCHREALTIME%.*}" -lt "$end_idle" ]; do
      sample_agent
      sleep 0.2
    done
    t1=$EPOCHREALTIME; c1=$(cpu_ticks)
    idle_pct=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
      'BEGIN { printf "%.2f", 100 * c / hz / (b - a) }')
  fi
  sample_agent
  stop_agent
  [ "$agent_rc" -eq 0 ] || step "  note: pinsync run exited $agent_rc after SIGTERM"
  peak_rss_mb=$(awk -v k="$peak_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  created=$(requests POST /api/public/v1/events 201)
  pinned_requests=$(requests_under /api/public/v1)
  sheet_reads=$(requests GET '/v4/spreadsheets/{id}/values:batchGet')
  all_requests=$(requests_under /)
}

if wanted many; then
  many_total=$((many_sources * many_rows))
  many_runs="${BENCH_MANY_RUNS:-$runs}"
  before_bin="${BENCH_PINSYNC_BEFORE:-}"
  # The "before" agent may be far slower; it is stopped after this long and reported as such.
  before_limit="${BENCH_PINSYNC_BEFORE_LIMIT:-300}"
  [ -z "$before_bin" ] || [ -x "$before_bin" ] || die "BENCH_PINSYNC_BEFORE=$before_bin is not an executable"
  step "many sources: $many_sources sources x $many_rows rows in one agent, against one source of $many_total rows"
  "$gen" csv "$many_total" >"$work/import.csv"
  step "  writing $((many_sources - many_sources / 2)) CSV files, PUTting $((many_sources / 2)) sheets"
  many_data "$many_sources" "$many_rows"
  one_s=(); one_cpu=(); one_created=(); one_pinned=()
  m2_s=(); m2_cpu=(); m2_ratio=(); m2_created=(); m2_pinned=(); m2_reads=()
  m60_s=(); m60_idle=(); m60_created=(); m60_pinned=(); m60_all=()
  threads=(); rss=()
  b2_s=(); b2_ratio=(); b2_reads=(); b2_created=(); b60_created=(); b60_s=(); b60_idle=(); b_threads=(); b_rss=(); b_pinned=()
  for run in $(seq 1 "$many_runs"); do
    step "  run $run/$many_runs: one source, pinsync sync"
    rm -f "$work/import.db"*
    write_config "$work/import.yaml" "$work/import.db" 8 0 csv
    control POST /_sandbox/reset
    timed_pinsync sync "$work/import.yaml"
    one_s+=("$wall"); one_cpu+=("$cpu_s")
    one_created+=("$(requests POST /api/public/v1/events 201)")
    one_pinned+=("$(requests_under /api/public/v1)")
    [ "${one_created[-1]}" -eq "$many_total" ] || die "the one-source sync created ${one_created[-1]} events, not $many_total"

    step "  run $run/$many_runs: $many_sources sources, poll_interval 2s"
    rm -f "$work/many.db"*
    write_many_config "$many_sources" "$many_rows" 2s "$work/many.yaml" "$work/many.db"
    control POST /_sandbox/reset
    run_many "$bin/pinsync" "$work/many.yaml" "$many_total" 0
    m2_cpu+=("$creates_cpu")
    m2_s+=("$creates_s"); m2_created+=("$created"); m2_pinned+=("$pinned_requests"); m2_reads+=("$sheet_reads")
    m2_ratio+=("$(awk -v a="$creates_s" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')")
    run_threads=$peak_threads; run_rss=$peak_rss_mb

    step "  run $run/$many_runs: $many_sources sources, poll_interval 1m, then ${many_idle}s idle"
    rm -f "$work/many.db"*
    write_many_config "$many_sources" "$many_rows" 1m "$work/many.yaml" "$work/many.db"
    control POST /_sandbox/reset
    run_many "$bin/pinsync" "$work/many.yaml" "$many_total" "$many_idle"
    m60_s+=("$creates_s"); m60_idle+=("$idle_pct"); m60_created+=("$created"); m60_pinned+=("$pinned_requests")
    m60_all+=("$all_requests")
    # The run's peaks: the higher of its two agents'.
    threads+=("$((peak_threads > run_threads ? peak_threads : run_threads))")
    rss+=("$(awk -v a="$peak_rss_mb" -v b="$run_rss" 'BEGIN { print (a > b ? a : b) }')")

    if [ -n "$before_bin" ]; then
      step "  run $run/$many_runs: before ($before_bin), poll_interval 2s"
      rm -f "$work/many.db"*
      write_many_config "$many_sources" "$many_rows" 2s "$work/many.yaml" "$work/many.db" before
      control POST /_sandbox/reset
      run_many "$before_bin" "$work/many.yaml" "$many_total" 0 "$before_limit" soft
      b2_s+=("$creates_s"); b_pinned+=("$pinned_requests"); b2_reads+=("$sheet_reads"); b2_created+=("$created") run_threads=$peak_threads; run_rss=$peak_rss_mb
      b2_ratio+=("$(awk -v a="$creates_s" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')")
      step "  run $run/$many_runs: before, poll_interval 1m, then ${many_idle}s idle"
      rm -f "$work/many.db"*
      write_many_config "$many_sources" "$many_rows" 1m "$work/many.yaml" "$work/many.db" before
      control POST /_sandbox/reset
      run_many "$before_bin" "$work/many.yaml" "$many_total" "$many_idle" "$before_limit" soft
      b60_s+=("$creates_s"); b60_created+=("$created")
      [ -z "$idle_pct" ] || b60_idle+=("$idle_pct")
      b_threads+=("$((peak_threads > run_threads ? peak_threads : run_threads))")
      b_rss+=("$(awk -v a="$peak_rss_mb" -v b="$run_rss" 'BEGIN { print (a > b ? a : b) }')")
    fi
  done
  control POST /_sandbox/reset
  one_name="one source, $many_total CSV rows (pinsync sync)"
  row "$one_name" "time to all creates (s)" "reported (the yardstick)" "-" "${one_s[@]}"
  row "$one_name" "pinsync's CPU (s)" "reported" "-" "${one_cpu[@]}"
  row "$one_name" "created (201)" "$many_total" "m == $many_total" "${one_created[@]}"
  row "$one_name" "Pinned requests" "reported" "-" "${one_pinned[@]}"
  name="$many_sources sources x $many_rows rows (half CSV, half sheets), pinsync run"
  one_median=$(printf '%s\n' "${one_pinned[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  row "$name" "time to all creates, poll_interval 2s (s)" "reported" "-" "${m2_s[@]}"
  row "$name" "that time ÷ one source's" "≤ 2 (in --quick the 2 s spread dominates)" "m <= 2" "${m2_ratio[@]}"
  row "$name" "the agent's CPU until then, poll_interval 2s (s)" "reported" "-" "${m2_cpu[@]}"
  # Each source polls again 2 s after its pass: reads beyond one per sheet are such re-polls,
  # made while other sources still wait for their first pass.
  row "$name" "Sheets value reads, poll_interval 2s, until stopped" "reported ($((many_sources / 2)) sheets)" "-" "${m2_reads[@]}"
  row "$name" "created (201), either interval" "$many_total (as one source)" "m == $many_total" "${m2_created[@]}" "${m60_created[@]}"
  row "$name" "Pinned requests, either interval" "= one source's ($one_median)" "m == $one_median" "${m2_pinned[@]}" "${m60_pinned[@]}"
  row "$name" "time to all creates, poll_interval 1m (s)" "reported (first passes spread over 1m by design)" "-" "${m60_s[@]}"
  row "$name" "peak threads (higher of the two agents)" "≤ 64" "m <= 64" "${threads[@]}"
  row "$name" "peak RSS, VmHWM (higher of the two agents, MB)" "≤ 150" "m <= 150" "${rss[@]}"
  row "$name" "idle CPU, poll_interval 1m, over ${many_idle}s (% of one core)" "< 1" "m < 1" "${m60_idle[@]}"
  row "$name" "sandbox requests, poll_interval 1m, whole run" "reported (Pinned + Sheets reads)" "-" "${m60_all[@]}"
  if [ -n "$before_bin" ]; then
    name="before (BENCH_PINSYNC_BEFORE): the same $many_sources sources"
    name+=", stopped after ${before_limit}s"
    row "$name" "created (201) when done or stopped, poll_interval 2s" "$many_total" "m == $many_total" "${b2_created[@]}"
    row "$name" "time to all creates, poll_interval 2s (s; a stopped run counts its limit)" "reported" "-" "${b2_s[@]}"
    row "$name" "that time ÷ one source's" "≤ 2" "m <= 2" "${b2_ratio[@]}"
    row "$name" "Sheets value reads, poll_interval 2s, until stopped" "reported ($((many_sources / 2)) sheets)" "-" "${b2_reads[@]}"
    row "$name" "Pinned requests, poll_interval 2s" "reported (one source's: $one_median)" "-" "${b_pinned[@]}"
    row "$name" "created (201) when done or stopped, poll_interval 1m" "$many_total" "m == $many_total" "${b60_created[@]}"
    row "$name" "time to all creates, poll_interval 1m (s; a stopped run counts its limit)" "reported" "-" "${b60_s[@]}"
    row "$name" "peak threads (higher of the two agents)" "≤ 64" "m <= 64" "${b_threads[@]}"
    row "$name" "peak RSS, VmHWM (higher of the two agents, MB)" "≤ 150" "m <= 150" "${b_rss[@]}"
    if [ "${#b60_idle[@]}" -gt 0 ]; then
      row "$name" "idle CPU, poll_interval 1m, over ${many_idle}s (% of one core)" "< 1" "m < 1" "${b60_idle[@]}"
    fi
  fi
fi

# ---- 6b. 120 Google sheets behind one service account ---------------------------------------
# Every sheet on a 1-minute schedule through one account: 120 reads a minute asked of Google's
# 60 per user. The agent must plan for it (stretched intervals, no 429), read every sheet within
# its stretched interval, and with the change gate read no values of a sheet that did not change.
if wanted quota; then
  step "quota: $quota_sheets Google sheets behind one service account, poll_interval 1m, ${quota_seconds}s per phase"
  sa_email="bench-sa@bench-project.iam.gserviceaccount.com"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/sa.pem" 2>/dev/null
  jq -n --rawfile key "$work/sa.pem" --arg email "$sa_email" --arg token "$url/token" \
    '{type: "service_account", project_id: "bench-project", private_key_id: "kid-bench", private_key: $key,
      client_email: $email, client_id: "1234567890", token_uri: $token}' >"$work/sa.json"
  chmod 600 "$work/sa.json"
  control POST /_sandbox/google/service-accounts "$work/sa.json"
  for i in $(seq 1 "$quota_sheets"); do
    "$gen" sheet 20 $(((i - 1) * 20 + 1)) | jq --arg email "$sa_email" '.public = false | .shared_with = [$email]' \
      >"$work/quota-sheet.json"
    control PUT "/_sandbox/sheets/$(printf 'benchQuota%03d' "$i")" "$work/quota-sheet.json"
  done
  # write_quota_config FILE GATE: every sheet through the one account, change_gate GATE.
  write_quota_config() {
    local i
    {
      printf 'pinned:\n  base_url: %s\n  api_key: ${PINNED_EVENTS_API_KEY}\n  concurrency: 8\n' "$url"
      printf 'google:\n  sheets_base_url: %s\n  drive_base_url: %s\n' "$url" "$url"
      printf 'agent:\n  admin_listen: "127.0.0.1:0"\n  log_level: info\n'  # info: the admin URL
      printf 'state:\n  path: %s/quota.db\nsources:\n' "$work"
      for i in $(seq 1 "$quota_sheets"); do
        printf '  - name: %s\n    kind: google_sheets\n    spreadsheet_id: %s\n    sheet: Events\n' \
          "$(printf 'sheet-%03d' "$i")" "$(printf 'benchQuota%03d' "$i")"
        printf '    auth:\n      service_account_file: %s/sa.json\n    change_gate: %s\n' "$work" "$2"
        printf '    poll_interval: 1m\n    id_column: Event ID\n'
        printf '    mapping:\n      title: Title\n      start_date: Date\n      start_time: Start\n      end_time: End\n'
        printf '      location_name: Venue\n%s\n' "$mapping_common"
        printf '    approved:\n      column: Approved\n    channel_id: 42\n'
      done
    } >"$1"
  }
  # quota_phase GATE: runs the agent for $quota_seconds, sampling /status every 5 s. Sets
  # $q_429 (Sheets answers 429), $q_reads (values reads), $q_drive (Drive files.get calls),
  # $q_interval (the stretched interval /status shows), $q_first (seconds until every sheet had
  # its first pass: the first round also reads each sheet's metadata, so the agent spreads it
  # over longer than an interval and the second passes wait for its end), $q_late (from then
  # on, the most any sheet went past its interval and jitter without a pass — counted from its
  # last pass or the round's end, whichever is later; ≤ 0 when every sheet was read in time),
  # $q_passes_min (the fewest passes of a sheet).
  quota_phase() {
    local gate="$1" start admin status now
    write_quota_config "$work/quota.yaml" "$gate"
    control POST /_sandbox/reset
    start=$EPOCHREALTIME
    "$bin/pinsync" run --config "$work/quota.yaml" >"$work/agent.out" 2>"$work/agent.err" &
    agent_pid=$!
    admin=""
    for _ in $(seq 1 100); do
      admin=$(sed -n 's/.*admin endpoint on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/agent.err" | head -n 1)
      [ -n "$admin" ] && break
      sleep 0.1
    done
    [ -n "$admin" ] || { stop_agent; die "the agent did not start: $(tail -n 5 "$work/agent.err")"; }
    q_late=-1000000; q_reads_start=""; q_first=""
    while :; do
      now=$EPOCHREALTIME
      [ "$(awk -v a="$start" -v b="$now" -v l="$quota_seconds" 'BEGIN { print (b - a >= l) }')" = 1 ] && break
      status=$(curl -sS "$admin/status")
      q_interval=$(jq '[.sources[].poll_interval_seconds] | max' <<<"$status")
      # Once every sheet had its first pass (a complete read at start): the reads from then on.
      if [ -z "$q_reads_start" ] && [ "$(jq '[.sources[] | [.passes[]] | add // 0] | min' <<<"$status")" -ge 1 ]; then
        q_reads_start=$(requests GET '/v4/spreadsheets/{id}/values:batchGet')
        q_first=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.0f", b - a }')
        q_first_at=${now%.*}
      fi
      # Once every sheet was read: how far the oldest last pass (or the round's end) lies
      # behind its interval, allowing its ±10 % jitter.
      if [ -n "$q_first" ]; then
        q_late=$(jq --argjson now "${now%.*}" --argjson late "$q_late" --argjson round "$q_first_at" \
          '[.sources[] | $now - ([[.last_pass_at[] | fromdateiso8601] | max // 0, $round] | max)
             - 1.1 * .poll_interval_seconds] + [$late] | max | floor' <<<"$status")
      fi
      sleep 5
    done
    q_passes_min=$(curl -sS "$admin/status" | jq '[.sources[] | [.passes[]] | add // 0] | min')
    stop_agent
    q_429=$(curl -sS "$url/_sandbox/stats" |
      jq '[.requests[] | select((.route | startswith("/v4/spreadsheets")) and .status == 429) | .count] | add // 0')
    q_reads=$(requests GET '/v4/spreadsheets/{id}/values:batchGet')
    q_reads_after=$((q_reads - ${q_reads_start:-0}))
    [ -n "$q_reads_start" ] || q_reads_after="not every sheet was read"
    q_drive=$(requests GET '/drive/v3/files/{fileId}')
  }
  quota_phase false
  name="$quota_sheets sheets, one service account, 1m"
  row "$name" "Sheets 429 answers" "0" "m == 0" "$q_429"
  row "$name" "interval each sheet is polled at (s)" "reported (stretched: 60/min quota)" "-" "$q_interval"
  row "$name" "time until every sheet was read once (s)" "reported (each first pass reads metadata too: 2 reads a sheet at 54/min)" "-" "${q_first:-never}"
  row "$name" "most any sheet's last read lay past its interval since (s)" "≤ 0" "m <= 0" "$q_late"
  row "$name" "fewest reads of one sheet in ${quota_seconds}s" "reported" "-" "$q_passes_min"
  row "$name" "Sheets value reads" "reported" "-" "$q_reads"
  # Again with the change gate, on the same state: every sheet is synced and none changes.
  quota_phase true
  name="$quota_sheets sheets, one service account, 1m, change_gate"
  row "$name" "Sheets 429 answers" "0" "m == 0" "$q_429"
  row "$name" "Sheets value reads, in all" "reported (one complete read per sheet at start)" "-" "$q_reads"
  row "$name" "Sheets value reads after every sheet's first pass (none changed)" "0" "m == 0" "$q_reads_after"
  row "$name" "Drive files.get calls" "reported" "-" "$q_drive"
  row "$name" "time until every sheet was read once (s)" "reported" "-" "${q_first:-never}"
  row "$name" "most any sheet's last pass lay past its interval since (s)" "≤ 0" "m <= 0" "$q_late"
fi

# ---- report ------------------------------------------------------------------------------------
{
  echo
  echo "runs per row: $runs$([ "$quick" -eq 1 ] && echo ' (--quick: small sizes)')$([ -n "$only" ] && echo "; only: $only")$(
    wanted many && [ "${many_runs:-$runs}" != "$runs" ] && echo "; many: $many_runs (BENCH_MANY_RUNS)")"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "pinsync $measured_rev, $(date -u +%Y-%m-%dT%H:%MZ)"
} >>"$table"
# A partial run (--only) must not replace the last full table.
if [ -z "$only" ]; then cp "$table" "$cache/last.md"; else cp "$table" "$cache/last-only.md"; fi
echo
cat "$table"

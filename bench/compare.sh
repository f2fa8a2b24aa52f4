#!/usr/bin/env bash
# `make bench-compare BASE=<git rev>`: the same workloads against two builds in one run, interleaved
# (base, this tree, base, this tree, ...) so that both see the same machine, RUNS times each (3 by
# default); prints the median and the spread (min–max) of every figure side by side.
#
# Usage: bench/compare.sh <base build dir> <build dir> [runs]
# Each build dir must hold src/server/fluss-server, bench/fluss-bench and bench/fluss_log_bench of its
# own tree: the server, the client in fluss-bench and the log engine all come from the same commit.
# Workloads (smaller than `make bench`'s, so 2 × 3 runs take ~6 minutes):
#   produce    1 KiB rows, no compression, 1 bucket, 6 s           records/s
#   consume    the produced table from the earliest offset            MB/s of payload
#   project    2 of 20 columns of it                                 records/s
#   e2e        10,000 rows/s for 6 s, append -> poll                 p50 / p99 ms
#   upsert     300,000 upserts of random ids, 1 bucket               upserts/s
#   lookup     5 s of 128-key batches                                lookups/s
#   append     log engine, 1 MiB batches, no fsync (micro-benchmark) MiB/s
set -euo pipefail
BASE_DIR=${1:?usage: bench/compare.sh <base build dir> <build dir> [runs]}
HEAD_DIR=${2:?usage: bench/compare.sh <base build dir> <build dir> [runs]}
RUNS=${3:-3}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for dir in "$BASE_DIR" "$HEAD_DIR"; do
  for bin in src/server/fluss-server bench/fluss-bench bench/fluss_log_bench; do
    [ -x "$dir/$bin" ] || { echo "compare.sh: $dir/$bin is missing (build it first)" >&2; exit 2; }
  done
done

# Starts the build's server on a free 127.0.0.1 port with a fresh data dir; sets SERVER_PID and BS.
start_server() {
  local dir=$1 name=$2
  "$dir/src/server/fluss-server" --set bind.listeners=FLUSS://127.0.0.1:0 --set data.dir="$TMP/$name-data" \
    --log-level warn >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local port=""
  for _ in $(seq 1 300); do
    port=$(grep -m1 -oE 'listening on FLUSS://127\.0\.0\.1:[0-9]+' "$TMP/$name.out" 2>/dev/null | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "compare.sh: fluss-server of $dir did not start:" >&2
    cat "$TMP/$name.out" "$TMP/$name.err" >&2
    exit 1
  fi
  BS="127.0.0.1:$port"
}

stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  rm -rf "$TMP/$1-data"
}

# One run of every workload against one build; results in $TMP/<label>-<run>-<case>.json.
run_once() {
  local label=$1 dir=$2 run=$3
  local out="$TMP/$label-$run" FB="$dir/bench/fluss-bench"
  echo "   $label run $run" >&2
  start_server "$dir" "$label-$run"
  "$FB" produce -b "$BS" --table bench.plain --compression none --buckets 1 --duration 6 --json >"$out-produce.json" 2>/dev/null
  "$FB" consume -b "$BS" --table bench.plain --json >"$out-consume.json" 2>/dev/null
  "$FB" consume -b "$BS" --table bench.plain --project id,ts --json >"$out-project.json" 2>/dev/null
  "$FB" e2e -b "$BS" --table bench.e2e --compression none --buckets 1 --rate 10000 --duration 6 --json \
    >"$out-e2e.json" 2>/dev/null
  "$FB" upsert -b "$BS" --table bench.kv --buckets 1 --compression none --records 300000 --json >"$out-upsert.json" 2>/dev/null
  "$FB" lookup -b "$BS" --table bench.kv --duration 5 --batch-keys 128 --json >"$out-lookup.json" 2>/dev/null
  stop_server "$label-$run"
  mkdir -p "$TMP/log-$label-$run"
  "$dir/bench/fluss_log_bench" --log_dir="$TMP/log-$label-$run" --benchmark_filter='BM_AppendNoFsync/1048576' \
    --benchmark_min_time=1 --benchmark_format=json >"$out-append.json" 2>/dev/null
  rm -rf "$TMP/log-$label-$run"
}

echo "== bench-compare: base = $BASE_DIR, head = $HEAD_DIR, $RUNS runs each, interleaved"
for run in $(seq 1 "$RUNS"); do
  run_once base "$BASE_DIR" "$run"
  run_once head "$HEAD_DIR" "$run"
done

node - "$TMP" "$RUNS" <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, runs] = [process.argv[2], Number(process.argv[3])];
const last = (file) => {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    try { return JSON.parse(text); } catch { return JSON.parse(text.split('\n').pop()); }
  } catch { return null; }
};
const cases = [
  ['produce 1 KiB rows, records/s', 'produce', (j) => j.records_per_sec, 0, true],
  ['consume all columns, MB/s', 'consume', (j) => j.payload_mb_per_sec, 1, true],
  ['consume 2 of 20 columns, records/s', 'project', (j) => j.records_per_sec, 0, true],
  ['e2e at 10k rows/s, p50 ms', 'e2e', (j) => j.latency_ms && j.latency_ms.p50, 2, false],
  ['e2e at 10k rows/s, p99 ms', 'e2e', (j) => j.latency_ms && j.latency_ms.p99, 2, false],
  ['upsert, upserts/s', 'upsert', (j) => j.records_per_sec, 0, true],
  ['lookup 128-key batches, lookups/s', 'lookup', (j) => j.records_per_sec, 0, true],
  ['log append 1 MiB batches, MiB/s', 'append', (j) => j.benchmarks && j.benchmarks[0] && j.benchmarks[0].bytes_per_second / 1048576, 0, true],
];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const f = (v, d) => v == null || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log('\n| case | base median (min–max) | head median (min–max) | head / base | within the spread |');
console.log('|---|---:|---:|---:|---|');
for (const [name, file, get, digits, higherIsBetter] of cases) {
  const vals = {};
  for (const label of ['base', 'head']) {
    vals[label] = [];
    for (let r = 1; r <= runs; ++r) {
      const j = last(path.join(dir, `${label}-${r}-${file}.json`));
      const v = j ? get(j) : null;
      if (v != null && !Number.isNaN(v)) vals[label].push(v);
    }
  }
  const cell = (xs) => xs.length ? `${f(median(xs), digits)} (${f(Math.min(...xs), digits)}–${f(Math.max(...xs), digits)})` : '—';
  let ratio = '—', ok = '—';
  if (vals.base.length && vals.head.length) {
    const b = median(vals.base), h = median(vals.head);
    ratio = `${(h / b).toFixed(2)}×`;
    // "No median worse than the run-to-run spread": the head's median is no worse than the base's
    // worst run (or, for latencies, no higher than the base's highest).
    ok = higherIsBetter ? (h >= Math.min(...vals.base) ? 'yes' : 'no') : (h <= Math.max(...vals.base) ? 'yes' : 'no');
  }
  console.log(`| ${name} | ${cell(vals.base)} | ${cell(vals.head)} | ${ratio} | ${ok} |`);
}
EOF

#!/usr/bin/env bash
# `make bench`: runs the micro-benchmarks and, in the same run, the peers measured on the same data.
# Usage: bench/run.sh [build dir]. Codec argument of the format benchmarks: 0 none, 1 LZ4_FRAME, 2 ZSTD.
# FLUSS_BENCH_PARTS=micro,server,kv,lake,cluster,buckets,partitioned,partitions (the default) picks the parts: micro-benchmarks,
# log tables through the server, primary-key tables through the server beside db_bench, lake tiering
# beside DuckDB, produce with replication factor 1 vs 3 on a local 3-server cluster
# (scripts/cluster.sh), and 10,000 buckets on one server (creation, RSS and disk per idle bucket,
# restarts), partitioned tables (produce to 24 partitions vs 48 buckets, FLUSS_BENCH_PARTITIONED_RUNS
# interleaved runs (3); a scan of 1 of 20 partitions vs all), and 1,000 partitions of one table
# (FLUSS_BENCH_PARTITIONS). FLUSS_BENCH_TABLES (2500) sets
# the tables of the buckets part (4 buckets each).
# FLUSS_BENCH_LAKE_ROWS (1000000) sets the rows of the lake part.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
# Every process started below is recorded here and stopped by its PID at exit.
PIDS=()
cleanup() {
  if [ -n "${CLUSTER_DIR:-}" ]; then FLUSS_CLUSTER_DIR="$CLUSTER_DIR" "$ROOT/scripts/cluster.sh" stop >/dev/null || true; fi
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port on 127.0.0.1 that nothing listens on (picked at random; bash's /dev/tcp probes it).
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "run.sh: no free port found" >&2
  return 1
}

# The micro-benchmarks, each beside its peer.
micro_benchmarks() {
  echo "== fluss-cpp: log record batch encode / decode / projection (20 columns, 4096 rows)"
  "$BUILD_DIR/bench/fluss_format_bench" --benchmark_min_time=0.5

  echo
  echo "== peer: apache-arrow (JS reference implementation) on the same Arrow stream"
  "$BUILD_DIR/bench/fluss_format_bench" --dump_arrow_stream="$TMP/mixed.arrows"
  if command -v node >/dev/null && [ -d "$ROOT/tests/interop/node_modules/apache-arrow" ]; then
    node "$ROOT/bench/arrow_js_peer.mjs" "$TMP/mixed.arrows"
  else
    echo "(skipped: run 'make interop-deps' to install apache-arrow)"
  fi

  echo
  echo "== fluss-cpp: log storage engine (256 MiB per run, 1 MiB / 64 KiB batches, one fsync at the end of each run)"
  "$BUILD_DIR/bench/fluss_log_bench" --log_dir="$TMP" --benchmark_min_time=1
  echo
  echo "== peer: the disk's raw sequential write speed, same directory, same size and block size"
  echo "   (dd bs=1M count=256 conv=fdatasync, 3 runs; the log benchmark's 1 MiB rows compare to these)"
  for run in 1 2 3; do
    dd if=/dev/zero of="$TMP/dd.bin" bs=1M count=256 conv=fdatasync 2>&1 | tail -1
    rm -f "$TMP/dd.bin"
  done
  echo "   (dd bs=64K count=4096 conv=fdatasync, for the 64 KiB rows)"
  dd if=/dev/zero of="$TMP/dd.bin" bs=64K count=4096 conv=fdatasync 2>&1 | tail -1
  rm -f "$TMP/dd.bin"

  echo
  echo "== fluss-cpp: KV tablet without the network (1,000 random upserts per batch over 1M keys; lookups)"
  "$BUILD_DIR/bench/fluss_kv_bench" --benchmark_min_time=2
}

# Starts a fluss-server on a free 127.0.0.1 port with a temp data dir ($TMP/<name>-data) and any further
# arguments (e.g. --set key=value); sets SERVER_PID and BS.
start_server() {
  local name=$1
  shift
  # $SERVER_WRAPPER (e.g. "prlimit --nofile=1024:1024") runs the server under it (it must exec it).
  ${SERVER_WRAPPER:-} "$BUILD_DIR/src/server/fluss-server" --set bind.listeners=FLUSS://127.0.0.1:0 \
    --set data.dir="$TMP/$name-data" --log-level warn "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local port=""
  for _ in $(seq 1 100); do
    port=$(grep -m1 -oE 'fluss-server listening on FLUSS://127\.0\.0\.1:[0-9]+' "$TMP/$name.out" 2>/dev/null |
      grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "run.sh: fluss-server did not start:" >&2
    cat "$TMP/$name.out" "$TMP/$name.err" >&2
    exit 1
  fi
  BS="127.0.0.1:$port"
}

# Primary-key tables: fluss-bench upsert / lookup through a real server, then RocksDB's own db_bench
# with the same key and value sizes (8-byte keys, 100-byte values, 1M random keys).
kv_end_to_end() {
  echo
  echo "== fluss-cpp primary-key table end to end: fluss-bench upsert / lookup against a fluss-server (same machine)"
  echo "   table (id BIGINT, payload STRING(100), PRIMARY KEY (id)), 1 bucket, 1,000,000 upserts of random ids < 1,000,000"
  start_server kv
  local FB="$BUILD_DIR/bench/fluss-bench"
  "$FB" upsert -b "$BS" --table bench.kv --buckets 1 --compression none --records 1000000 --json >"$TMP/kv-upsert.json"
  "$FB" lookup -b "$BS" --table bench.kv --duration 8 --batch-keys 128 --json >"$TMP/kv-lookup.json"
  "$FB" lookup -b "$BS" --table bench.kv --duration 5 --batch-keys 1 --json >"$TMP/kv-lookup-1.json"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true

  echo
  echo "== peer: db_bench (RocksDB $(dpkg-query -W -f='${Version}' librocksdb-dev 2>/dev/null || echo '?')), same sizes, WAL off as"
  echo "   fluss-cpp's RocksDB (the changelog is the WAL), LZ4 like fluss-cpp's SST files, one thread"
  db_bench --benchmarks=fillrandom,readrandom,updaterandom --num=1000000 --key_size=8 --value_size=100 \
    --disable_wal=1 --compression_type=lz4 --threads=1 --db="$TMP/db_bench" 2>&1 |
    grep -E '^(fillrandom|readrandom|updaterandom) ' | tee "$TMP/db_bench.txt"
  rm -rf "$TMP/db_bench"

  echo
  echo "== summary: primary-key tables, this run (docs/BENCHMARKS.md, 'Primary-key tables (issue 5)')"
  node "$ROOT/bench/kv_table.mjs" "$TMP"
}

# fluss-bench against a real fluss-server, then iperf3 and Redis Streams on the same machine.
server_end_to_end() {
  echo
  echo "== fluss-cpp server end to end: fluss-bench against a fluss-server on 127.0.0.1 (same machine, same run)"
  echo "   rows of 20 columns, 1 KiB of payload (id, ts, then STRING/BIGINT/DOUBLE in turn: 6 strings of 152 bytes);"
  echo "   MB/s = payload bytes / 10^6 per second; the human lines below, the JSON objects go to the summary"
  FB="$BUILD_DIR/bench/fluss-bench"
  start_server fluss-server
  # Each run prints its human line (stderr) and leaves its JSON object in $TMP/<name>.json.
  fb() {
    local name=$1
    shift
    "$FB" "$@" -b "$BS" --json >"$TMP/$name.json"
  }
  fb produce-none produce --table bench.plain --compression none --buckets 1 --duration 8
  fb produce-zstd produce --table bench.zstd --compression zstd --buckets 1 --duration 8
  fb consume-all consume --table bench.plain
  fb consume-2-str consume --table bench.plain --project id,s2
  fb consume-2-num consume --table bench.plain --project id,ts
  fb e2e e2e --table bench.e2e --compression none --buckets 1 --rate 10000 --duration 8
  fb e2e-5ms e2e --table bench.e2e5 --compression none --buckets 1 --rate 10000 --duration 8 \
    --set client.writer.batch-timeout=5ms
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true

  echo
  echo "== peer: iperf3 over loopback, one TCP stream for 5 s (the ceiling for bytes between two processes)"
  IPERF_PORT=$(free_port)
  iperf3 -s -1 -B 127.0.0.1 -p "$IPERF_PORT" --forceflush >"$TMP/iperf3-server.log" 2>&1 &
  IPERF_PID=$!
  PIDS+=("$IPERF_PID")
  # Wait for its "Server listening" line (a probe connection would use up the -1 server's one test).
  for _ in $(seq 1 50); do
    grep -q "Server listening" "$TMP/iperf3-server.log" 2>/dev/null && break
    sleep 0.1
  done
  iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t 5 -J >"$TMP/iperf3.json"
  wait "$IPERF_PID" || true
  node -e 'const e = JSON.parse(require("fs").readFileSync(process.argv[1])).end;
    console.log(`iperf3 loopback: ${(e.sum_received.bits_per_second / 8e6).toFixed(1)} MB/s received`);' "$TMP/iperf3.json"

  echo
  echo "== peer: Redis Streams, XADD of one 1 KiB field, pipelined 64 deep (redis-benchmark -P 64, 50 clients)"
  REDIS_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --logfile "$TMP/redis.log" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  # redis-benchmark 7.0 has no __data__ placeholder for arbitrary commands: -x takes the last argument
  # (the 1 KiB value, base64 text) from stdin.
  head -c 768 /dev/urandom | base64 -w0 >"$TMP/value-1k.txt"
  redis-benchmark -p "$REDIS_PORT" -n 500000 -P 64 --csv -x XADD bench-stream '*' payload <"$TMP/value-1k.txt" \
    >"$TMP/redis.csv"
  echo "redis XADD: $(tail -1 "$TMP/redis.csv")"
  echo "(stream length: $(redis-cli -p "$REDIS_PORT" XLEN bench-stream))"
  kill "$REDIS_PID"
  wait "$REDIS_PID" || true

  echo
  echo "== summary: server end to end, this run (docs/BENCHMARKS.md, 'Server end to end (issue 4)')"
  node "$ROOT/bench/server_table.mjs" "$TMP"
}

# Lake tiering: fluss-lake-bench against a fluss-server whose own tiering service is off (the benchmark
# runs the rounds), then DuckDB writing and reading the same rows as ZSTD Parquet.
lake_end_to_end() {
  local rows=${FLUSS_BENCH_LAKE_ROWS:-1000000}
  echo
  echo "== fluss-cpp lake tiering: fluss-lake-bench against a fluss-server (same machine)"
  echo "   $rows rows of a 16-column click stream, 4 buckets; 90 % tiered by LakeTiering::TierOnce rounds,"
  echo "   10 % left in the log; then a union read (lake snapshot + log tail)"
  start_server lake --set datalake.format=iceberg --set datalake.iceberg.warehouse="$TMP/lake-warehouse" \
    --set datalake.tiering.embedded=false
  "$BUILD_DIR/bench/fluss-lake-bench" -b "$BS" --warehouse "$TMP/lake-warehouse" --server-data-dir "$TMP/lake-data" \
    --rows "$rows" --json >"$TMP/lake.json"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true

  echo
  echo "== peer: DuckDB (@duckdb/node-api of tests/interop) on the same rows: COPY TO ZSTD Parquet, read_parquet"
  echo "== summary: lake tiering, this run (docs/BENCHMARKS.md, 'Lake tiering (issue 6)')"
  if command -v node >/dev/null && [ -d "$ROOT/tests/interop/node_modules/@duckdb/node-api" ]; then
    node "$ROOT/bench/lake_table.mjs" "$TMP"
  else
    echo "(DuckDB skipped: run 'make interop-deps')"
    cat "$TMP/lake.json"
  fi
}

# Cluster mode: scripts/cluster.sh starts ZooKeeper, two coordinators and three tablet servers on free
# loopback ports (data in $TMP/cluster); fluss-bench produces into a table of replication factor 1 and
# one of 3 (3 buckets each, acks=all; each table warmed up by a 1 s run first), then e2e at a fixed
# rate: append -> poll, which waits for the high watermark, so for factor 3 for the followers' fetch.
cluster_end_to_end() {
  echo
  echo "== fluss-cpp cluster: produce with replication factor 1 vs 3, acks=all, 3 tablet servers on one machine"
  echo "   (the three servers, the coordinators and ZooKeeper share this machine's cores with the client)"
  if ! command -v java >/dev/null || [ ! -f /usr/share/java/zookeeper.jar ]; then
    echo "(skipped: java and libzookeeper-java are needed: scripts/install-deps.sh)"
    return 0
  fi
  CLUSTER_DIR="$TMP/cluster"
  local zk coord tablet
  zk=$(free_port)
  coord=$(free_port)
  tablet=$(free_port)
  FLUSS_CLUSTER_DIR="$CLUSTER_DIR" FLUSS_ZK_PORT=$zk FLUSS_COORDINATOR_PORT=$coord FLUSS_TABLET_PORT=$tablet \
    "$ROOT/scripts/cluster.sh" start "$BUILD_DIR" >"$TMP/cluster-start.log" 2>&1 ||
    { cat "$TMP/cluster-start.log"; return 1; }
  BS="127.0.0.1:$coord,127.0.0.1:$tablet"
  local FB="$BUILD_DIR/bench/fluss-bench"
  for rf in 1 3; do
    # A table just created takes a moment to reach its replicas (the first writes are retried): each
    # table gets a short unmeasured run first.
    for t in rf rows_rf e2e_rf; do
      "$FB" produce -b "$BS" --table "bench.$t$rf" --replication-factor $rf --buckets 3 --compression none \
        --duration 1 >/dev/null 2>&1
    done
    "$FB" produce -b "$BS" --table "bench.rf$rf" --replication-factor $rf --buckets 3 --compression none \
      --duration 8 --json >"$TMP/cluster-produce-rf$rf.json"
    "$FB" produce -b "$BS" --table "bench.rows_rf$rf" --replication-factor $rf --buckets 3 --compression none \
      --api rows --duration 8 --json >"$TMP/cluster-produce-rows-rf$rf.json"
    "$FB" e2e -b "$BS" --table "bench.e2e_rf$rf" --replication-factor $rf --buckets 3 --compression none \
      --rate 10000 --duration 8 --set client.writer.batch-timeout=5ms --json >"$TMP/cluster-e2e-rf$rf.json"
  done
  "$BUILD_DIR/src/cli/fluss" -b "$BS" cluster status --table bench.rf3 || true
  FLUSS_CLUSTER_DIR="$CLUSTER_DIR" "$ROOT/scripts/cluster.sh" stop >/dev/null
  CLUSTER_DIR=""
}

# Many small tables on one standalone server: what an idle bucket costs, and restarts.
many_buckets() {
  local tables=${FLUSS_BENCH_TABLES:-2500}
  local buckets=$((tables * 4))
  local FB="$BUILD_DIR/bench/fluss-bench"
  echo
  echo "== fluss-cpp: $buckets buckets ($tables tables x 4, one row each) on one standalone fluss-server"
  echo "   open-file limit of this shell: soft $(ulimit -Sn), hard $(ulimit -Hn); the server raises its soft limit to the hard one"
  # kB of the server's memory (VmRSS, RssAnon, RssFile), KiB its data dir takes on disk, its descriptors.
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
  rss_split() { awk '/^RssAnon|^RssFile/ {printf "%s %s kB  ", $1, $2}' "/proc/$SERVER_PID/status"; }
  disk() { du -sk "$TMP/many-data" | cut -f1; }
  fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
  local t0 t1
  t0=$(date +%s.%N)
  start_server many
  t1=$(date +%s.%N)
  sleep 2
  local rss0 disk0
  rss0=$(rss)
  disk0=$(disk)
  echo "empty server: started in $(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s; RSS $rss0 kB ($(rss_split)); data dir $disk0 KiB; $(fds) descriptors"
  "$FB" tables -b "$BS" --table bench_many.t --tables "$tables" --buckets 4 --json >"$TMP/many-create.json"
  sleep 3  # the background flush (1 s) and writeback settle; the buckets are idle from here
  local rss1 disk1 meta
  rss1=$(rss)
  disk1=$(disk)
  meta=$(stat -c %s "$TMP/many-data/.metadata/metadata.log")
  echo "after: RSS $rss1 kB ($(rss_split)); data dir $disk1 KiB ($(du -sk --apparent-size "$TMP/many-data" | cut -f1) KiB apparent); $(fds) descriptors, $(ls -l "/proc/$SERVER_PID/fd" | grep -cE '/[0-9]{20}\.log$') on segment .log files; metadata.log $meta bytes"
  echo "per idle bucket: RSS $(( (rss1 - rss0) * 1024 / buckets )) bytes, disk $(( (disk1 - disk0) * 1024 / buckets )) bytes"
  t0=$(date +%s.%N)
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  t1=$(date +%s.%N)
  echo "clean stop: $(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s"
  t0=$(date +%s.%N)
  start_server many
  t1=$(date +%s.%N)
  echo "restart (soft limit $(awk '/^Max open files/ {print $4}' "/proc/$SERVER_PID/limits") after raising): listening after $(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s; RSS $(rss) kB; $(fds) descriptors"
  "$FB" tables -b "$BS" --table bench_many.t --tables "$tables" --buckets 4 --check --json >"$TMP/many-check.json"
  echo "after reading every table: RSS $(rss) kB; $(fds) descriptors"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  if command -v prlimit >/dev/null; then
    t0=$(date +%s.%N)
    SERVER_WRAPPER="prlimit --nofile=1024:1024" start_server many
    t1=$(date +%s.%N)
    echo "restart under ulimit -n 1024 (soft and hard): listening after $(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s; $(fds) descriptors"
    "$FB" tables -b "$BS" --table bench_many.t --tables "$tables" --buckets 4 --check --json >"$TMP/many-check-1024.json"
    kill "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  echo
  echo "== summary: many buckets, this run (docs/BENCHMARKS.md, 'Many buckets (issue 16)')"
  node -e 'const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1])), k = JSON.parse(fs.readFileSync(process.argv[2]));
    console.log(`created ${c.tables} tables (${c.tables * c.buckets} buckets) in ${c.create_seconds.toFixed(1)} s: ` +
      `CREATE TABLE p50 ${c.latency_ms.p50.toFixed(1)} ms, p99 ${c.latency_ms.p99.toFixed(1)} ms, ` +
      `first 100 ${c.first_100_create_ms.toFixed(1)} ms, last 100 ${c.last_100_create_ms.toFixed(1)} ms each; ` +
      `one row per bucket written in ${c.write_seconds.toFixed(1)} s`);
    console.log(`after restart: every bucket read back (${k.records} rows) in ${k.seconds.toFixed(1)} s`);' \
    "$TMP/many-create.json" "$TMP/many-check.json"
}

# Many partitions of one table on one standalone server: CreatePartition time, RSS and descriptors.
many_partitions() {
  local partitions=${FLUSS_BENCH_PARTITIONS:-1000}
  local FB="$BUILD_DIR/bench/fluss-bench"
  echo
  echo "== fluss-cpp: $partitions partitions x 4 buckets of one table on one standalone fluss-server"
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
  fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
  start_server partitions  # returns once the server printed its listening line
  local rss0 fds0
  rss0=$(rss)
  fds0=$(fds)
  echo "empty server: RSS $rss0 kB; $fds0 descriptors"
  "$FB" partitions -b "$BS" --table bench_partitions.t --partitions "$partitions" --buckets 4 --json \
    >"$TMP/partitions.json"
  echo "after: RSS $(rss) kB; $(fds) descriptors; metadata.log $(stat -c %s "$TMP/partitions-data/.metadata/metadata.log") bytes"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1]));
    console.log(`created ${c.partitions} partitions (${c.partitions * c.buckets} buckets) in ${c.create_seconds.toFixed(2)} s: ` +
      `CreatePartition p50 ${c.latency_ms.p50.toFixed(2)} ms, p99 ${c.latency_ms.p99.toFixed(2)} ms, ` +
      `first 100 ${c.first_100_create_ms.toFixed(2)} ms, last 100 ${c.last_100_create_ms.toFixed(2)} ms each; ` +
      `listed in ${c.list_seconds.toFixed(3)} s`);' "$TMP/partitions.json"
}

# Partitioned tables through one standalone server: (a) produce to 24 partitions x 2 buckets vs one
# table of 48 buckets, the same rows (a column p of 24 values), interleaved runs; (b) a scan of 1 of 20
# partitions vs the whole table: the bytes the client received and the server read and wrote.
partitioned_tables() {
  local runs=${FLUSS_BENCH_PARTITIONED_RUNS:-3}
  local FB="$BUILD_DIR/bench/fluss-bench"
  echo
  echo "== fluss-cpp: produce to 24 partitions x 2 buckets vs 48 buckets unpartitioned, same rows (Append per row,"
  echo "   no compression, 20 columns + p, 1 KiB payload), $runs interleaved runs of 6 s each; then a scan of 1 of 20"
  echo "   partitions vs a full scan"
  start_server partitioned
  # Each table gets an unmeasured 1 s run first (creates it and, partitioned, its 24 partitions).
  "$FB" produce -b "$BS" --table bench.part24 --p-values 24 --partitioned --buckets 2 --compression none \
    --api rows --duration 1 >/dev/null 2>&1
  "$FB" produce -b "$BS" --table bench.flat48 --p-values 24 --buckets 48 --compression none \
    --api rows --duration 1 >/dev/null 2>&1
  for run in $(seq 1 "$runs"); do
    "$FB" produce -b "$BS" --table bench.part24 --p-values 24 --partitioned --buckets 2 --compression none \
      --api rows --duration 6 --json >"$TMP/ptable-part-$run.json"
    "$FB" produce -b "$BS" --table bench.flat48 --p-values 24 --buckets 48 --compression none \
      --api rows --duration 6 --json >"$TMP/ptable-flat-$run.json"
  done
  # (b) 400,000 rows over 20 partitions (1 bucket each), then one partition, then all.
  "$FB" produce -b "$BS" --table bench.scan20 --p-values 20 --partitioned --buckets 1 --compression none \
    --records 400000 --json >"$TMP/pscan-load.json"
  # The server's read(2)/pread(2) bytes (rchar: the log segments it read; its sockets use recvmsg and
  # are not counted) and its write(2) bytes (wchar).
  io() { awk '/^rchar|^wchar/ {printf "%s ", $2}' "/proc/$SERVER_PID/io"; }
  local before after
  before=$(io)
  "$FB" consume -b "$BS" --table bench.scan20 --partition p07 --json >"$TMP/pscan-one.json"
  after=$(io)
  echo "{\"before\": [${before// /,}0], \"after\": [${after// /,}0]}" >"$TMP/pscan-one-server.json"
  before=$(io)
  "$FB" consume -b "$BS" --table bench.scan20 --json >"$TMP/pscan-all.json"
  after=$(io)
  echo "{\"before\": [${before// /,}0], \"after\": [${after// /,}0]}" >"$TMP/pscan-all-server.json"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  echo
  echo "== summary: partitioned tables, this run (docs/BENCHMARKS.md, 'Partitioned tables (issue 18)')"
  node -e 'const fs = require("fs"), dir = process.argv[1], runs = +process.argv[2];
    const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`));
    const med = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
    const fmt = (x) => Math.round(x).toLocaleString("en-US");
    const part = [], flat = [];
    for (let r = 1; r <= runs; ++r) { part.push(read(`ptable-part-${r}.json`).records_per_sec); flat.push(read(`ptable-flat-${r}.json`).records_per_sec); }
    const mp = med(part), mf = med(flat);
    console.log(`produce rows/s, 24 partitions x 2 buckets: median ${fmt(mp)} (min ${fmt(Math.min(...part))}, max ${fmt(Math.max(...part))}; runs ${part.map(fmt).join(", ")})`);
    console.log(`produce rows/s, 48 buckets unpartitioned:  median ${fmt(mf)} (min ${fmt(Math.min(...flat))}, max ${fmt(Math.max(...flat))}; runs ${flat.map(fmt).join(", ")})`);
    console.log(`partitioned / unpartitioned: ${(mp / mf).toFixed(2)}x (target >= 0.8x: ${mp / mf >= 0.8 ? "met" : "missed"})`);
    const one = read("pscan-one.json"), all = read("pscan-all.json");
    const s1 = read("pscan-one-server.json"), sa = read("pscan-all-server.json");
    const d = (s, i) => s.after[i] - s.before[i];
    console.log(`scan of 1 of 20 partitions: ${one.records} rows; client received ${fmt(one.client_bytes_received)} bytes over TCP; server read ${fmt(d(s1, 0))} bytes of log`);
    console.log(`full scan (20 partitions):  ${all.records} rows; client received ${fmt(all.client_bytes_received)} bytes over TCP; server read ${fmt(d(sa, 0))} bytes of log`);
    const ratio = one.client_bytes_received / all.client_bytes_received;
    console.log(`bytes of the one-partition scan / the full scan: client ${ratio.toFixed(4)} (1/${(1 / ratio).toFixed(1)}), ` +
      `server read ${(d(s1, 0) / d(sa, 0)).toFixed(4)} (target <= 1/15 = 0.0667: ${ratio <= 1 / 15 ? "met" : "missed"})`);' \
    "$TMP" "$runs"
}

PARTS=${FLUSS_BENCH_PARTS:-micro,server,kv,lake,cluster,buckets,partitioned,partitions}
if [[ ,$PARTS, == *,micro,* ]]; then micro_benchmarks; fi
if [[ ,$PARTS, == *,server,* ]]; then server_end_to_end; fi
if [[ ,$PARTS, == *,kv,* ]]; then kv_end_to_end; fi
if [[ ,$PARTS, == *,lake,* ]]; then lake_end_to_end; fi
if [[ ,$PARTS, == *,cluster,* ]]; then cluster_end_to_end; fi
if [[ ,$PARTS, == *,buckets,* ]]; then many_buckets; fi
if [[ ,$PARTS, == *,partitioned,* ]]; then partitioned_tables; fi
if [[ ,$PARTS, == *,partitions,* ]]; then many_partitions; fi

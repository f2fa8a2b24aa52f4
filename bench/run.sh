#!/usr/bin/env bash
# `make bench`: runs the micro-benchmarks and, in the same run, the peers measured on the same data.
# Usage: bench/run.sh [build dir]. Codec argument of the format benchmarks: 0 none, 1 LZ4_FRAME, 2 ZSTD.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

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

#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of build-fuzz for FUZZ_SECONDS (default 60) each, keeping
# a corpus per target in build-fuzz/corpus/<target>, seeded by fuzz_seeds (valid batches and frames).
# A crash leaves crash-* files in build-fuzz/ and makes this script fail.
set -euo pipefail
BUILD_DIR=$(cd "${1:-build-fuzz}" && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-60}
status=0
# Valid inputs to start from (written each run; the fuzzers keep what they find beside them).
"$BUILD_DIR/tests/fuzz/fuzz_seeds" "$BUILD_DIR/seeds"
for target in fuzz_log_batch fuzz_kv_formats fuzz_arrow fuzz_rpc_frames fuzz_metadata_file fuzz_iceberg_files; do
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$corpus"
  seeds=()
  if [ -d "$BUILD_DIR/seeds/$target" ]; then seeds=("$BUILD_DIR/seeds/$target"); fi
  echo "== $target (${SECONDS_EACH}s)"
  if ! (cd "$BUILD_DIR" && "./tests/fuzz/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 \
        -print_final_stats=1 "corpus/$target" "${seeds[@]}" 2>&1 | grep -E 'DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY'); then
    :
  fi
  if ls "$BUILD_DIR"/crash-* "$BUILD_DIR"/leak-* "$BUILD_DIR"/timeout-* >/dev/null 2>&1; then
    echo "fuzz: $target found a failing input:"; ls "$BUILD_DIR"/crash-* "$BUILD_DIR"/leak-* "$BUILD_DIR"/timeout-* 2>/dev/null
    status=1
    break
  fi
done
exit $status

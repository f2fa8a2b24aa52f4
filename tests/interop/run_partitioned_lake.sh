#!/usr/bin/env bash
# PartitionedLakeInterop: a partitioned table tiered by a real fluss-server over several rounds,
# read by DuckDB (read_parquet with a partition filter) and icebird (through the Iceberg metadata),
# against the scan of each partition (README.md).
#   run_partitioned_lake.sh <path to fluss_partitioned_lake_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run_partitioned_lake.sh <path to fluss_partitioned_lake_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED PartitionedLakeInterop: 'node' is not installed; icebird and DuckDB cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
for p in icebird @duckdb/node-api; do
  if [ ! -d "$HERE/node_modules/$p" ]; then
    echo "FAILED PartitionedLakeInterop: npm package $p missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-partitioned-lake.XXXXXX")
failures=0
step() {  # step <description> <command...>
  local what=$1
  shift
  echo "== $what"
  if ! "$@"; then
    echo "!! FAILED: $what"
    failures=$((failures + 1))
  fi
}

echo "node $(node --version), work dir $WORK"
step "fluss-server tiers a partitioned table over several rounds" "$BIN" write "$WORK"
step "icebird and DuckDB read each partition as the scan does" node "$HERE/partitioned_lake_check.mjs" "$WORK/expected.json"

# The checks must be able to fail: a row moved from one partition to another in the expected scan,
# and a row missing from the primary-key table's expected lookups.
tamper() {
  node -e '
    const fs = require("fs");
    const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const from = e.partitions.find((p) => p.rows.length > 1);
    const to = e.partitions.find((p) => p !== from);
    to.rows.push(from.rows.pop());
    e.pk.rows.pop();
    fs.writeFileSync(process.argv[2], JSON.stringify(e));
  ' "$WORK/expected.json" "$WORK/tampered.json" || return 1
  if node "$HERE/partitioned_lake_check.mjs" "$WORK/tampered.json" >"$WORK/tampered.log" 2>&1; then
    echo "partitioned_lake_check.mjs accepted a row in the wrong partition"
    return 1
  fi
  grep -q "icebird, partition" "$WORK/tampered.log" && grep -q "DuckDB over" "$WORK/tampered.log" &&
    grep -q "DuckDB hive-partitioned" "$WORK/tampered.log" && grep -q "icebird, primary-key table" "$WORK/tampered.log" ||
    { cat "$WORK/tampered.log"; return 1; }
  return 0
}
if [ "$failures" -eq 0 ]; then
  step "a row in the wrong partition, and a missing key, are reported by icebird and DuckDB" tamper
fi

if [ "$failures" -ne 0 ]; then
  echo "PartitionedLakeInterop: $failures step(s) failed; files kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "PartitionedLakeInterop: passed"

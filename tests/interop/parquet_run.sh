#!/usr/bin/env bash
# ParquetInterop: fluss-cpp's Parquet writer and reader against DuckDB, in both directions (README.md).
#   parquet_run.sh <path to fluss_parquet_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: parquet_run.sh <path to fluss_parquet_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED ParquetInterop: 'node' is not installed; DuckDB (@duckdb/node-api) cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
if [ ! -d "$HERE/node_modules/@duckdb/node-api" ]; then
  echo "FAILED ParquetInterop: npm packages missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-parquet-interop.XXXXXX")
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
read_all() {  # read_all <dir>: fluss_parquet_interop read on every file in <dir>
  local rc=0 f
  for f in "$1"/*.parquet; do
    "$BIN" read "$f" "${f%.parquet}.expected.json" || rc=1
  done
  return $rc
}

echo "node $(node --version), @duckdb/node-api $(node -p "require('$HERE/node_modules/@duckdb/node-api/package.json').version"), work dir $WORK"
step "fluss-cpp writes Parquet files" "$BIN" write "$WORK/cpp"
step "DuckDB reads the fluss-cpp files (values, types, field ids, statistics)" node "$HERE/parquet_check.mjs" "$WORK/cpp"
step "fluss-cpp reads its own files back" read_all "$WORK/cpp"
step "DuckDB writes Parquet files" node "$HERE/parquet_duckdb_write.mjs" "$WORK/duckdb"
step "fluss-cpp reads the DuckDB files" read_all "$WORK/duckdb"

if [ "$failures" -ne 0 ]; then
  echo "ParquetInterop: $failures step(s) failed; files and expected JSON kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "ParquetInterop: passed"

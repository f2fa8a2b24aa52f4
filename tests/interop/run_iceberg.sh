#!/usr/bin/env bash
# IcebergInterop: fluss-cpp's Iceberg v2 metadata against avsc and icebird (README.md).
#   run_iceberg.sh <path to fluss_iceberg_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run_iceberg.sh <path to fluss_iceberg_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED IcebergInterop: 'node' is not installed; avsc and icebird cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
if [ ! -d "$HERE/node_modules/avsc" ] || [ ! -d "$HERE/node_modules/icebird" ]; then
  echo "FAILED IcebergInterop: npm packages missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-iceberg-interop.XXXXXX")
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

echo "node $(node --version), avsc $(node -p "require('$HERE/node_modules/avsc/package.json').version"), icebird $(node -p "require('$HERE/node_modules/icebird/package.json').version"), work dir $WORK"
step "fluss-cpp writes an Iceberg table" "$BIN" write "$WORK"
step "avsc and icebird read the table" node "$HERE/iceberg_check.mjs" "$WORK"
step "fluss-cpp reads its own table back" "$BIN" read "$WORK"
step "avsc writes Avro container files" node "$HERE/avro_write.mjs" "$WORK/avsc"
step "fluss-cpp reads the avsc container files" "$BIN" avro-read "$WORK/avsc"

# The checks must be able to fail: give one manifest list a wrong field id (same length, so the
# container stays well-formed) and expect both the checker and fluss-cpp to reject the table.
tamper() {
  local list
  list=$(ls "$WORK"/warehouse/db/orders/metadata/snap-*.avro | head -n 1)
  perl -0777 -pi -e 's/"name":"min_sequence_number","type":"long","field-id":516/"name":"min_sequence_number","type":"long","field-id":515/' "$list"
  if node "$HERE/iceberg_check.mjs" "$WORK" >"$WORK/tampered.log" 2>&1; then
    echo "iceberg_check.mjs accepted a manifest list with a wrong field id"
    return 1
  fi
  grep -q "field-id 515, expected 516" "$WORK/tampered.log" || { cat "$WORK/tampered.log"; return 1; }
  if "$BIN" read "$WORK" >>"$WORK/tampered.log" 2>&1; then
    # fluss-cpp only reads the current snapshot's list; it must reject it when that one is tampered.
    for l in "$WORK"/warehouse/db/orders/metadata/snap-*.avro; do
      perl -0777 -pi -e 's/"field-id":516/"field-id":515/' "$l"
    done
    if "$BIN" read "$WORK" >>"$WORK/tampered.log" 2>&1; then
      echo "fluss-cpp accepted manifest lists with a wrong field id"
      return 1
    fi
  fi
  return 0
}
step "a wrong field id is rejected by the checker and by fluss-cpp" tamper

if [ "$failures" -ne 0 ]; then
  echo "IcebergInterop: $failures step(s) failed; files kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "IcebergInterop: passed"

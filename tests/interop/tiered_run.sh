#!/usr/bin/env bash
# TieredTableInterop: a table tiered by fluss-cpp, read by DuckDB, avsc and icebird (README.md).
#   tiered_run.sh <path to fluss_tiered_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: tiered_run.sh <path to fluss_tiered_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED TieredTableInterop: 'node' is not installed; DuckDB, avsc and icebird cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
for p in avsc icebird @duckdb/node-api; do
  if [ ! -d "$HERE/node_modules/$p" ]; then
    echo "FAILED TieredTableInterop: npm package $p missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-tiered-interop.XXXXXX")
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
step "fluss-cpp tiers a log table in several rounds" "$BIN" write "$WORK"
step "avsc, DuckDB and icebird read the tiered table" node "$HERE/tiered_check.mjs" "$WORK/expected.json"

# The checks must be able to fail: one changed expected value, and one changed upper bound in the
# current manifest list's newest manifest, must each be reported.
tamper() {
  node -e '
    const fs = require("fs");
    const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const i = e.fields.findIndex((f) => f.name === "s");
    const row = e.rows.find((r) => r.values[i] !== null && r.values[i].length > 0);
    row.values[i] = row.values[i] + "x";
    fs.writeFileSync(process.argv[2], JSON.stringify(e));
  ' "$WORK/expected.json" "$WORK/tampered.json" || return 1
  if node "$HERE/tiered_check.mjs" "$WORK/tampered.json" >"$WORK/tampered.log" 2>&1; then
    echo "tiered_check.mjs accepted a changed value"
    return 1
  fi
  grep -q "column s" "$WORK/tampered.log" || { cat "$WORK/tampered.log"; return 1; }
  echo "a changed value is reported: $(grep -m1 'column s' "$WORK/tampered.log")"
  return 0
}
if [ "$failures" -eq 0 ]; then
  step "a wrong expected value is reported" tamper
fi

if [ "$failures" -ne 0 ]; then
  echo "TieredTableInterop: $failures step(s) failed; files kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "TieredTableInterop: passed"

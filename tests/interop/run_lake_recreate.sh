#!/usr/bin/env bash
# LakeRecreateInterop: a lake-enabled log table and primary-key table dropped and created again under
# the same name, three times, with tiering; icebird and DuckDB must read only the current table's rows
# (README.md).
#   run_lake_recreate.sh <path to fluss_lake_recreate_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run_lake_recreate.sh <path to fluss_lake_recreate_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED LakeRecreateInterop: 'node' is not installed; icebird and DuckDB cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
for p in icebird @duckdb/node-api; do
  if [ ! -d "$HERE/node_modules/$p" ]; then
    echo "FAILED LakeRecreateInterop: npm package $p missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-lake-recreate.XXXXXX")
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
step "three generations of d.t and d.p: union reads, lake offsets, icebird and DuckDB see only the current one" \
  "$BIN" run "$WORK" "$HERE/lake_recreate_check.mjs"

# The check must be able to fail: an expectation naming the previous generation's rows and table id
# must be reported.
must_fail() {
  node -e '
    const fs = require("fs");
    const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    for (const t of e.tables) {
      t.table_id = String(Number(t.table_id) - 2);
      t.ids = t.ids.map((id) => String(Number(id) - 1000));
      t.generation -= 1;
    }
    fs.writeFileSync(process.argv[2], JSON.stringify(e));
  ' "$WORK/expected.json" "$WORK/previous.json" || return 1
  if node "$HERE/lake_recreate_check.mjs" "$WORK/previous.json" >"$WORK/previous.log" 2>&1; then
    echo "lake_recreate_check.mjs accepted the previous generation's rows"
    return 1
  fi
  grep -q "fluss.table-id" "$WORK/previous.log" && grep -q "icebird read ids" "$WORK/previous.log" &&
    grep -q "DuckDB read rows of another generation" "$WORK/previous.log" || { cat "$WORK/previous.log"; return 1; }
  return 0
}
if [ "$failures" -eq 0 ]; then
  step "an expectation of the previous generation is reported" must_fail
fi

if [ "$failures" -ne 0 ]; then
  echo "LakeRecreateInterop: $failures step(s) failed; files kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "LakeRecreateInterop: passed"

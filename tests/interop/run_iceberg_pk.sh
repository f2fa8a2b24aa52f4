#!/usr/bin/env bash
# IcebergPkInterop: a tiered primary-key table (data + equality-delete files) read by icebird
# (README.md).
#   run_iceberg_pk.sh <path to fluss_iceberg_pk_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run_iceberg_pk.sh <path to fluss_iceberg_pk_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED IcebergPkInterop: 'node' is not installed; icebird cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
if [ ! -d "$HERE/node_modules/icebird" ]; then
  echo "FAILED IcebergPkInterop: npm packages missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-iceberg-pk-interop.XXXXXX")
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

echo "node $(node --version), icebird $(node -p "require('$HERE/node_modules/icebird/package.json').version"), work dir $WORK"
step "fluss-cpp tiers a primary-key table in four rounds" "$BIN" write "$WORK"
step "icebird reads exactly the rows the lookups return" node "$HERE/iceberg_pk_check.mjs" "$WORK"

# The check must be able to fail: with one expected row changed it must report the difference (the
# check also requires that the deletes removed rows, and that no key comes twice).
must_fail() {
  node -e '
    const fs = require("fs");
    const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    e.rows[0].name = "not-" + e.rows[0].name;
    fs.writeFileSync(process.argv[2], JSON.stringify(e));
  ' "$WORK/pk_expected.json" "$WORK/wrong.json" || return 1
  if node "$HERE/iceberg_pk_check.mjs" "$WORK" "$WORK/wrong.json" >"$WORK/wrong.log" 2>&1; then
    echo "iceberg_pk_check.mjs accepted a wrong expectation"
    return 1
  fi
  grep -q "missing rows" "$WORK/wrong.log" || { cat "$WORK/wrong.log"; return 1; }
  return 0
}
step "a wrong row is reported" must_fail

if [ "$failures" -ne 0 ]; then
  echo "IcebergPkInterop: $failures step(s) failed; files kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "IcebergPkInterop: passed"

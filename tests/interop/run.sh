#!/usr/bin/env bash
# ArrowInterop: fluss-cpp's Arrow IPC against apache-arrow JS, in both directions (README.md).
#   run.sh <path to fluss_arrow_interop>
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run.sh <path to fluss_arrow_interop>}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED ArrowInterop: 'node' is not installed; apache-arrow JS cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
if [ ! -d "$HERE/node_modules/apache-arrow" ] || [ ! -d "$HERE/node_modules/lz4js" ] || [ ! -d "$HERE/node_modules/fzstd" ]; then
  echo "FAILED ArrowInterop: npm packages missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-arrow-interop.XXXXXX")
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
read_all() {  # read_all <dir>: fluss_arrow_interop read on every stream in <dir>
  local rc=0 f
  for f in "$1"/*.arrows; do
    "$BIN" read "$f" "${f%.arrows}.expected.json" || rc=1
  done
  return $rc
}

echo "node $(node --version), apache-arrow $(node -p "require('$HERE/node_modules/apache-arrow/package.json').version"), work dir $WORK"
step "fluss-cpp writes Arrow streams" "$BIN" write "$WORK/cpp"
step "apache-arrow JS reads the fluss-cpp streams" node "$HERE/arrow_check.mjs" "$WORK/cpp"
step "fluss-cpp reads its own streams back" read_all "$WORK/cpp"
step "apache-arrow JS writes Arrow streams" node "$HERE/arrow_write.mjs" "$WORK/js"
step "apache-arrow JS agrees with its own expected values" node "$HERE/arrow_check.mjs" "$WORK/js"
step "fluss-cpp reads the apache-arrow JS streams" read_all "$WORK/js"

if [ "$failures" -ne 0 ]; then
  echo "ArrowInterop: $failures step(s) failed; streams and expected JSON kept in $WORK"
  exit 1
fi
rm -rf "$WORK"
echo "ArrowInterop: passed"

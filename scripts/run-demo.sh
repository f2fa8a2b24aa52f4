#!/usr/bin/env bash
# `make run`: starts a standalone fluss-server (coordinator + tablet server, embedded metadata, data
# in ./data, its log in ./fluss-server.log) on FLUSS://localhost:9123, runs a short demo against it
# with the `fluss` CLI (on fresh demo tables each time), prints commands to try, and keeps the server
# in the foreground until Ctrl-C (clean shutdown).
#   FLUSS_PORT=9124 make run     another port;   FLUSS_DATA_DIR=/var/lib/fluss make run   another data dir
#   FLUSS_LOG=/tmp/fluss.log make run            another server log (rewritten at each start)
set -euo pipefail
BUILD_DIR=${1:-build}
PORT=${FLUSS_PORT:-9123}
DATA_DIR=${FLUSS_DATA_DIR:-./data}
LOG=${FLUSS_LOG:-./fluss-server.log}
SERVER="$BUILD_DIR/src/server/fluss-server"
CLI="$BUILD_DIR/src/cli/fluss"
export FLUSS_BOOTSTRAP="localhost:$PORT"

"$SERVER" --set "bind.listeners=FLUSS://localhost:$PORT" --set "data.dir=$DATA_DIR" >"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 0' INT TERM

# Wait for "fluss-server listening on ..." (or an early exit, e.g. the port is taken).
for _ in $(seq 1 100); do
  if grep -q '^fluss-server listening on' "$LOG"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "fluss-server did not start:"; cat "$LOG"
    echo "(another server on port $PORT? try FLUSS_PORT=9124 make run)"
    exit 1
  fi
  sleep 0.1
done
grep '^fluss-server listening on' "$LOG" || { echo "fluss-server did not start in 10 s:"; cat "$LOG"; exit 1; }
echo "server log: $LOG"
echo

echo "== demo: a log table, three rows in, read back =="
set -x
"$CLI" db create demo --if-not-exists
"$CLI" table drop demo.orders --if-exists
"$CLI" table create demo.orders --schema "id BIGINT NOT NULL, item STRING, amount DOUBLE, ts TIMESTAMP(3)" --buckets 2
printf 'id,item,amount,ts\n1,apple,1.25,2026-11-25 10:00:00\n2,pear,0.80,2026-11-25 10:00:01\n3,plum,2.10,2026-11-25 10:00:02\n' \
  | "$CLI" produce demo.orders --format csv --header
"$CLI" scan demo.orders --from earliest --format table
"$CLI" offsets demo.orders
{ set +x; } 2>/dev/null
echo
echo "== demo: a primary-key table — upserts, a delete, a lookup, and its changelog =="
set -x
"$CLI" table drop demo.stock --if-exists
"$CLI" table create demo.stock --schema "item STRING NOT NULL, qty INT, PRIMARY KEY (item)" --buckets 2
printf 'apple,10\npear,4\nplum,7\n' | "$CLI" upsert demo.stock -q
printf 'pear,3\n' | "$CLI" upsert demo.stock -q
printf 'plum\n' | "$CLI" delete demo.stock -q
"$CLI" lookup demo.stock --key item=pear
"$CLI" scan demo.stock --format json
{ set +x; } 2>/dev/null
echo
echo "== try it (in another terminal) =="
if [ "$PORT" != 9123 ]; then echo "  export FLUSS_BOOTSTRAP=localhost:$PORT"; fi
echo "  $CLI table create demo.clicks --schema \"user STRING, url STRING\" --buckets 4"
echo "  printf 'alice,/home\\nbob,/cart\\n' | $CLI produce demo.clicks"
echo "  $CLI scan demo.clicks --format json"
echo "  printf 'kiwi,12\\n' | $CLI upsert demo.stock && $CLI lookup demo.stock --key item=kiwi"
echo "  $CLI scan demo.stock --snapshot-then-follow      # current rows, then every change (Ctrl-C ends)"
echo
echo "fluss-server is running on localhost:$PORT (data in $DATA_DIR, log in $LOG). Ctrl-C stops it."
wait "$SERVER_PID"

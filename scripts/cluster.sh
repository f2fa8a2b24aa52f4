#!/usr/bin/env bash
# `make cluster`: a local fluss-cpp cluster to try — a ZooKeeper server (Debian's libzookeeper-java,
# run by java), an active coordinator plus a standby, and 3 tablet servers, all on 127.0.0.1, with
# their data, logs and PID files under ./cluster-data.
#
#   scripts/cluster.sh start [BUILD_DIR]    start everything (default build dir: build)
#   scripts/cluster.sh status [BUILD_DIR]   which processes run, then `fluss cluster status`
#   scripts/cluster.sh stop                 stop the processes it started (by their PID files)
#
# Environment: FLUSS_CLUSTER_DIR (./cluster-data), FLUSS_ZK_PORT (12181), FLUSS_COORDINATOR_PORT
# (9123; the standby takes the next port), FLUSS_TABLET_PORT (9131; the tablet servers take it and the
# next two), FLUSS_SESSION_TIMEOUT (10s: how long a crashed server keeps its ZooKeeper session, so
# also how long a failover takes), FLUSS_SERVER_SETS (more "key=value" server options, space-separated).
set -euo pipefail

CMD=${1:-}
BUILD_DIR=${2:-build}
DIR=${FLUSS_CLUSTER_DIR:-./cluster-data}
ZK_PORT=${FLUSS_ZK_PORT:-12181}
COORD_PORT=${FLUSS_COORDINATOR_PORT:-9123}
TABLET_PORT=${FLUSS_TABLET_PORT:-9131}
SESSION_TIMEOUT=${FLUSS_SESSION_TIMEOUT:-10s}
SERVER="$BUILD_DIR/src/server/fluss-server"
CLI="$BUILD_DIR/src/cli/fluss"
ZK_JAR=/usr/share/java/zookeeper.jar
SLF4J_JAR=/usr/share/java/slf4j-simple.jar

COORDINATORS=(coordinator-100 coordinator-101)
TABLETS=(tablet-1 tablet-2 tablet-3)

bootstrap() {
  echo "127.0.0.1:$COORD_PORT,127.0.0.1:$((COORD_PORT + 1)),127.0.0.1:$TABLET_PORT"
}

# The PID in $DIR/pids/$1.pid when that process still runs and is ours (its command line names what
# we started), else nothing.
live_pid() {
  local file="$DIR/pids/$1.pid" pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'fluss-server|ZooKeeperServerMain'; then
    echo "$pid"
  fi
}

zk_ok() {
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT"; } 2>/dev/null || return 1
  printf ruok >&3
  read -r -t 2 -n 4 reply <&3 || true
  exec 3<&- 3>&-
  [[ $reply == imok ]]
}

# Waits for "fluss-server listening on" in the log of $1 (or its exit).
wait_listening() {
  local name=$1 log="$DIR/logs/$1.log"
  for _ in $(seq 1 150); do
    if grep -q '^fluss-server listening on' "$log" 2>/dev/null; then return 0; fi
    if [[ -z $(live_pid "$name") ]]; then
      echo "$name did not start; its log ($log):"; tail -20 "$log"; return 1
    fi
    sleep 0.1
  done
  echo "$name did not listen within 15 s; see $log"; return 1
}

start_server() {  # name role id port
  local name=$1 role=$2 id=$3 port=$4 extra=()
  for kv in ${FLUSS_SERVER_SETS:-}; do extra+=(--set "$kv"); done
  if [[ -n $(live_pid "$name") ]]; then echo "$name already runs (pid $(live_pid "$name"))"; return 0; fi
  mkdir -p "$DIR/$name"
  nohup "$SERVER" --role "$role" \
    --set "bind.listeners=FLUSS://127.0.0.1:$port" --set "data.dir=$DIR/$name" \
    --set "zookeeper.address=127.0.0.1:$ZK_PORT" --set "tablet-server.id=$id" \
    --set "zookeeper.client.session-timeout=$SESSION_TIMEOUT" --set "log.replica.max-lag-time=$SESSION_TIMEOUT" \
    --set "default.replication.factor=3" --set "default.bucket.number=3" "${extra[@]}" \
    >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name.pid"
  wait_listening "$name"
  echo "$name ($role, id $id) on 127.0.0.1:$port, pid $(cat "$DIR/pids/$name.pid")"
}

start() {
  [[ -x $SERVER && -x $CLI ]] || { echo "build first: make build (no $SERVER or $CLI)"; exit 1; }
  command -v java >/dev/null || { echo "java is missing: scripts/install-deps.sh installs it"; exit 1; }
  [[ -f $ZK_JAR ]] || { echo "$ZK_JAR is missing: scripts/install-deps.sh installs libzookeeper-java"; exit 1; }
  mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/zookeeper"
  if [[ -z $(live_pid zookeeper) ]]; then
    cat >"$DIR/zookeeper/zoo.cfg" <<EOF
tickTime=500
dataDir=$(cd "$DIR/zookeeper" && pwd)
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=60000
EOF
    nohup java -Xmx256m -cp "$ZK_JAR:$SLF4J_JAR" org.apache.zookeeper.server.ZooKeeperServerMain \
      "$DIR/zookeeper/zoo.cfg" >>"$DIR/logs/zookeeper.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/zookeeper.pid"
    for _ in $(seq 1 300); do zk_ok && break; sleep 0.1; done
    zk_ok || { echo "ZooKeeper did not answer on 127.0.0.1:$ZK_PORT; see $DIR/logs/zookeeper.log"; exit 1; }
  fi
  echo "zookeeper on 127.0.0.1:$ZK_PORT, pid $(live_pid zookeeper)"
  start_server coordinator-100 coordinator 100 "$COORD_PORT"
  start_server coordinator-101 coordinator 101 "$((COORD_PORT + 1))"
  for i in 0 1 2; do start_server "${TABLETS[$i]}" tablet $((i + 1)) $((TABLET_PORT + i)); done
  # The tablet servers register in ZooKeeper after they listen.
  for _ in $(seq 1 100); do
    "$CLI" -b "$(bootstrap)" cluster status 2>/dev/null | grep -q '^3 tablet server(s)' && break
    sleep 0.2
  done
  echo
  "$CLI" -b "$(bootstrap)" cluster status || true
  cat <<EOF

The cluster runs (data, logs and PID files in $DIR). Connect with any of its servers:
  export FLUSS_BOOTSTRAP=$(bootstrap)
  $CLI db create shop
  $CLI table create shop.orders --schema "id BIGINT, item STRING" --buckets 3
  printf '1,apple\n2,pear\n' | $CLI produce shop.orders
  $CLI scan shop.orders
  $CLI cluster status
Try a failover: kill -9 \$(cat $DIR/pids/tablet-1.pid), wait $SESSION_TIMEOUT, run cluster status again.
Stop it with: make cluster-stop   (or scripts/cluster.sh stop)
EOF
}

stop_one() {
  local name=$1 pid
  pid=$(live_pid "$name")
  if [[ -n $pid ]]; then
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$DIR/pids/$name.pid"
}

stop() {
  for name in "${TABLETS[@]}" "${COORDINATORS[@]}" zookeeper; do stop_one "$name"; done
}

status() {
  for name in zookeeper "${COORDINATORS[@]}" "${TABLETS[@]}"; do
    pid=$(live_pid "$name")
    if [[ -n $pid ]]; then echo "$name: running (pid $pid)"; else echo "$name: not running"; fi
  done
  echo
  "$CLI" -b "$(bootstrap)" cluster status
}

case $CMD in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [BUILD_DIR]"; exit 2 ;;
esac

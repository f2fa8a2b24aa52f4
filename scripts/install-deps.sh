#!/usr/bin/env bash
# Installs the Debian packages fluss-cpp builds with, only those that are missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ccache
  libzstd-dev liblz4-dev libflatbuffers-dev flatbuffers-compiler
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler libasio-dev librocksdb-dev libsnappy-dev
  # The ZooKeeper metadata store (cluster mode): the C client; the server jars and slf4j-simple (its
  # log binding) that tests/zk starts a standalone ZooKeeper from.
  libzookeeper-mt-dev libzookeeper-java libslf4j-java
  # The IANA time-zone database (/usr/share/zoneinfo) that table.auto-partition.time-zone names.
  tzdata
  # Object storage (src/fs/s3_*): libcurl for HTTP(S), OpenSSL's libcrypto for SigV4's SHA-256/HMAC.
  libcurl4-openssl-dev libssl-dev
)

# Peers that `make bench` runs beside fluss-bench on the same machine (loopback ceiling, a streaming log).
BENCH_PACKAGES=(iperf3 redis-server redis-tools rocksdb-tools)
if [ "${FLUSS_BENCH_DEPS:-0}" = "1" ]; then PACKAGES+=("${BENCH_PACKAGES[@]}"); fi
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
if [ "${FLUSS_FUZZ_DEPS:-0}" = "1" ]; then PACKAGES+=("${FUZZ_PACKAGES[@]}"); fi

# Node and npm run the pinned interop verifiers (tests/interop). The machine image ships them; a
# machine without them gets Debian's.
NODE_PACKAGES=()
command -v node >/dev/null 2>&1 || NODE_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || NODE_PACKAGES+=(npm)
PACKAGES+=("${NODE_PACKAGES[@]}")
# The ZooKeeper server the tests start runs on a JRE; the machine image ships one.
command -v java >/dev/null 2>&1 || PACKAGES+=(default-jre-headless)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"

#!/usr/bin/env bash
# InstallConsumer (tests/install/CMakeLists.txt): installs a fluss-cpp build into a temporary prefix,
# checks that the installed SDK is include/fluss/ alone and that each of its headers compiles on its
# own, then builds examples/ (a copy, as its own project) against the prefix alone and runs the
# client example against a fluss-server from the prefix, started here on a free 127.0.0.1 port.
#   run.sh --build-dir <dir> [--cmake <cmake>] [--cxx <compiler>] [--build-type <type>] [--link-flags <flags>]
# FLUSS_INSTALL_TEST_KEEP=1 keeps the temporary directory (its path is printed).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR= CMAKE=cmake CXX_COMPILER= BUILD_TYPE=Release LINK_FLAGS=
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) BUILD_DIR=$2 ;;
    --cmake) CMAKE=$2 ;;
    --cxx) CXX_COMPILER=$2 ;;
    --build-type) BUILD_TYPE=$2 ;;
    --link-flags) LINK_FLAGS=$2 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift 2
done
[ -n "$BUILD_DIR" ] || { echo "usage: run.sh --build-dir <fluss-cpp build dir> ..." >&2; exit 2; }
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-install-test.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "${FLUSS_INSTALL_TEST_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
PREFIX=$WORK/prefix

echo "== cmake --install $BUILD_DIR --prefix $PREFIX"
"$CMAKE" --install "$BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" || { cat "$WORK/install.log"; exit 1; }

echo "== installed layout"
fail=0
# `make install` puts the commands on PATH: the CLI and the server must be among the installed files.
for f in bin/fluss bin/fluss-server; do
  [ -x "$PREFIX/$f" ] || { echo "!! missing $f"; fail=1; }
done
"$PREFIX/bin/fluss" --version >/dev/null || { echo "!! installed bin/fluss does not run"; fail=1; }
# The SDK headers, and nothing else under include/: no internal header (common/, types/, format/...).
public_headers=(change_type.h client.h column_vector.h data_type.h error_code.h partition.h row.h schema.h
                schema_parser.h status.h table_descriptor.h table_path.h)
for h in "${public_headers[@]}"; do
  [ -f "$PREFIX/include/fluss/$h" ] || { echo "!! missing include/fluss/$h"; fail=1; }
done
while IFS= read -r f; do
  case ${f#"$PREFIX"/} in
    include/fluss/*/*) echo "!! installed an internal header: ${f#"$PREFIX"/}"; fail=1 ;;
    include/fluss/*.h) ;;
    *) echo "!! installed under include/ but not an include/fluss/*.h header: ${f#"$PREFIX"/}"; fail=1 ;;
  esac
done < <(find "$PREFIX/include" -type f -o -type l)
config=$(find "$PREFIX" -path '*/cmake/fluss/flussConfig.cmake' | head -n1)
[ -n "$config" ] || { echo "!! missing lib*/cmake/fluss/flussConfig.cmake"; fail=1; }
for lib in fluss_client fluss_format fluss_types fluss_common fluss_rpc fluss_rpc_proto; do
  [ -n "$(find "$PREFIX" -name "lib$lib.a" | head -n1)" ] || { echo "!! missing lib$lib.a"; fail=1; }
done
# The exported targets name no path of the source or build tree (only the prefix).
if [ -n "$config" ] && grep -qF -e "$SOURCE_DIR/" -e "$BUILD_DIR/" "$(dirname "$config")"/*.cmake; then
  echo "!! the installed CMake package names the source or build tree:"
  grep -nF -e "$SOURCE_DIR/" -e "$BUILD_DIR/" "$(dirname "$config")"/*.cmake; fail=1
fi
# Each header includes only other installed fluss/ headers ("fluss/x.h") and the C++ standard library
# (<...> from this list): no generated, third-party or internal header.
declare -A std_headers
for n in algorithm any array atomic bit bitset cassert cerrno chrono climits cmath compare concepts \
         condition_variable cstddef cstdint cstdio cstdlib cstring deque exception functional initializer_list \
         iosfwd iterator limits list map memory mutex optional ostream ratio set shared_mutex span stdexcept \
         string string_view system_error thread tuple type_traits unordered_map unordered_set utility variant vector; do
  std_headers[$n]=1
done
for h in "$PREFIX"/include/fluss/*.h; do
  while IFS= read -r inc; do
    case $inc in
      \"fluss/*\")
        f=${inc#\"}; f=${f%\"}
        [ -f "$PREFIX/include/$f" ] || { echo "!! ${h#"$PREFIX"/} includes $inc, which is not installed"; fail=1; } ;;
      \<*\>)
        n=${inc#<}; n=${n%>}
        [ -n "${std_headers[$n]:-}" ] || { echo "!! ${h#"$PREFIX"/} includes $inc, not a C++ standard header"; fail=1; } ;;
      *) echo "!! ${h#"$PREFIX"/} includes $inc: only <standard> and \"fluss/...\" headers may be"; fail=1 ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$h")
done
[ $fail = 0 ] || exit 1

echo "== each header compiles on its own"
CXX_BIN=${CXX_COMPILER:-c++}
for h in "$PREFIX"/include/fluss/*.h; do
  name=fluss/$(basename "$h")
  # Included twice: the second include must be a no-op (include guard / #pragma once).
  printf '#include "%s"\n#include "%s"\n' "$name" "$name" |
    "$CXX_BIN" -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$PREFIX/include" -x c++ - 2>"$WORK/header.log" ||
    { echo "!! $name does not compile on its own:"; cat "$WORK/header.log"; fail=1; }
done
[ $fail = 0 ] || exit 1

# The examples as a user gets them: a copy outside the source tree, built with only the prefix.
echo "== configure examples/ against the prefix"
cp -r "$SOURCE_DIR/examples" "$WORK/examples"
args=(-S "$WORK/examples" -B "$WORK/examples-build" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_PREFIX_PATH="$PREFIX"
      -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
[ -z "$CXX_COMPILER" ] || args+=(-DCMAKE_CXX_COMPILER="$CXX_COMPILER")
[ -z "$LINK_FLAGS" ] || args+=(-DCMAKE_EXE_LINKER_FLAGS="$LINK_FLAGS")
"$CMAKE" "${args[@]}" >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log"; exit 1; }
grep -q "fluss_DIR:PATH=$PREFIX/" "$WORK/examples-build/CMakeCache.txt" ||
  { echo "!! find_package(fluss) did not use the installed package:"; grep fluss_DIR "$WORK/examples-build/CMakeCache.txt"; exit 1; }

echo "== build examples/"
"$CMAKE" --build "$WORK/examples-build" -j2 >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
# Every include path of the compile is the prefix's or the system's: nothing of the source or build tree.
while IFS= read -r dir; do
  case $dir in
    "$PREFIX"/*|/usr/*) ;;
    *) echo "!! the examples compile with include path $dir"; fail=1 ;;
  esac
done < <(grep -oE '(-I|-isystem )[^ "]+' "$WORK/examples-build/compile_commands.json" | sed -E 's/^(-I|-isystem )//' | sort -u)
[ $fail = 0 ] || exit 1
EXAMPLE=$WORK/examples-build/fluss_client_example
[ -x "$EXAMPLE" ] || { echo "!! examples/ built no fluss_client_example"; exit 1; }

echo "== the example without a server"
# Nobody listens on port 1: the connection error is printed and the exit code is 1 (no throw, no hang).
set +e
"$EXAMPLE" 127.0.0.1:1 >"$WORK/no-server.out" 2>&1
rc=$?
set -e
if [ $rc != 1 ] || ! grep -q "NETWORK_EXCEPTION" "$WORK/no-server.out"; then
  echo "!! expected exit 1 and NETWORK_EXCEPTION, got exit $rc:"; cat "$WORK/no-server.out"; exit 1
fi
sed 's/^/   /' "$WORK/no-server.out"

echo "== start the installed fluss-server on a free 127.0.0.1 port"
mkdir -p "$WORK/data"
"$PREFIX/bin/fluss-server" --set bind.listeners=FLUSS://127.0.0.1:0 --set "data.dir=$WORK/data" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
port=
for _ in $(seq 1 1200); do   # up to 120 s: a generous bound for a loaded machine, not the thing tested
  port=$(sed -n 's/^fluss-server listening on FLUSS:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "!! fluss-server exited before listening:"; cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "!! fluss-server did not print its listening line within 120 s:"; cat "$WORK/server.log"; exit 1; }
echo "   fluss-server (pid $SERVER_PID) listening on 127.0.0.1:$port"

echo "== run the example"
set +e
"$EXAMPLE" "127.0.0.1:$port" >"$WORK/example.out" 2>&1
rc=$?
set -e
sed 's/^/   /' "$WORK/example.out"
if [ $rc != 0 ]; then
  echo "!! the example exited with $rc; server log:"; tail -n 50 "$WORK/server.log"; exit 1
fi
tail -n1 "$WORK/example.out" | grep -qx "done" || { echo "!! the example did not finish with 'done'"; exit 1; }

echo "== stop fluss-server"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "!! fluss-server did not stop within 30 s of SIGTERM"; exit 1
fi
wait "$SERVER_PID" || { echo "!! fluss-server exited with $? after SIGTERM:"; tail -n 50 "$WORK/server.log"; exit 1; }
SERVER_PID=
echo "ok"

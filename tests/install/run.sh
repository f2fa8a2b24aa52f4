#!/usr/bin/env bash
# InstallConsumer (tests/install/CMakeLists.txt): installs a fluss-cpp build into a temporary prefix and
# builds and runs consumer/ against it, as a user of the installed package would.
#   run.sh --build-dir <dir> [--cmake <cmake>] [--cxx <compiler>] [--build-type <type>] [--link-flags <flags>]
# FLUSS_INSTALL_TEST_KEEP=1 keeps the temporary directory (its path is printed).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fluss-install-test.XXXXXX")
if [ "${FLUSS_INSTALL_TEST_KEEP:-0}" = 1 ]; then
  echo "keeping $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
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
for f in include/fluss/client.h include/fluss/common/status.h include/fluss/types/row.h \
         include/fluss/types/schema.h include/fluss/format/arrow/column_vector.h include/fluss/format/change_type.h; do
  [ -f "$PREFIX/$f" ] || { echo "!! missing $f"; fail=1; }
done
config=$(find "$PREFIX" -path '*/cmake/fluss/flussConfig.cmake' | head -n1)
[ -n "$config" ] || { echo "!! missing lib*/cmake/fluss/flussConfig.cmake"; fail=1; }
for lib in fluss_client fluss_format fluss_types fluss_common fluss_rpc fluss_rpc_proto; do
  [ -n "$(find "$PREFIX" -name "lib$lib.a" | head -n1)" ] || { echo "!! missing lib$lib.a"; fail=1; }
done
# Every quoted include of an installed header must resolve inside the install (nothing reaches the
# generated flatbuffers/protobuf headers or other headers that were not installed).
while IFS= read -r header; do
  while IFS= read -r inc; do
    [ -f "$PREFIX/include/fluss/$inc" ] || [ -f "$PREFIX/include/$inc" ] ||
      { echo "!! ${header#"$PREFIX"/} includes \"$inc\", which is not installed"; fail=1; }
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$header")
done < <(find "$PREFIX/include" -name '*.h')
if grep -rlE '_generated\.h|\.pb\.h' "$PREFIX/include" >/dev/null; then
  echo "!! installed headers mention generated headers:"; grep -rnE '_generated\.h|\.pb\.h' "$PREFIX/include"; fail=1
fi
[ $fail = 0 ] || exit 1

echo "== configure consumer"
args=(-S "$HERE/consumer" -B "$WORK/consumer-build" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_PREFIX_PATH="$PREFIX")
[ -z "$CXX_COMPILER" ] || args+=(-DCMAKE_CXX_COMPILER="$CXX_COMPILER")
[ -z "$LINK_FLAGS" ] || args+=(-DCMAKE_EXE_LINKER_FLAGS="$LINK_FLAGS")
"$CMAKE" "${args[@]}" >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log"; exit 1; }
grep -q "fluss_DIR:PATH=$PREFIX/" "$WORK/consumer-build/CMakeCache.txt" ||
  { echo "!! find_package(fluss) did not use the installed package:"; grep fluss_DIR "$WORK/consumer-build/CMakeCache.txt"; exit 1; }

echo "== build consumer"
"$CMAKE" --build "$WORK/consumer-build" -j2 >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }

echo "== run consumer"
"$WORK/consumer-build/fluss_install_consumer"

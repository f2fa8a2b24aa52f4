#!/usr/bin/env bash
# `make run`: starts the standalone server with a short demo. The server is not built yet (issue 4);
# until then this runs the log-batch demo of the foundation.
set -euo pipefail
BUILD_DIR=${1:-build}
if [ -x "$BUILD_DIR/src/server/fluss-server" ]; then
  exec "$BUILD_DIR/src/server/fluss-server"
fi
echo "fluss-server: server not built yet (it lands with the standalone-server issue)."
echo "Meanwhile, a tour of the log record batch format:"
echo
exec "$BUILD_DIR/examples/fluss_log_batch_demo"

#!/usr/bin/env bash
# S3Interop: S3FileSystem against s3rver, @aws-sdk/client-s3 and the AWS SDK's SigV4 signer (README.md).
#   run_s3.sh <path to fluss_s3_interop_test> [gtest arguments]
# Exit 0 = passed, 1 = failed, 77 = skipped (node missing; ctest SKIP_RETURN_CODE).
set -uo pipefail

BIN=${1:?usage: run_s3.sh <path to fluss_s3_interop_test>}
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED S3Interop: 'node' is not installed; s3rver and the AWS SDK cannot run. Install Node.js, then 'make interop-deps'."
  exit 77
fi
for p in s3rver @aws-sdk/client-s3 @smithy/signature-v4 @aws-crypto/sha256-js; do
  if [ ! -d "$HERE/node_modules/$p" ]; then
    echo "FAILED S3Interop: npm package $p missing in $HERE/node_modules; run 'make interop-deps' (npm ci there)."
    exit 1
  fi
done
echo "node $(node --version), s3rver $(node -p "require('$HERE/node_modules/s3rver/package.json').version"), @aws-sdk/client-s3 $(node -p "require('$HERE/node_modules/@aws-sdk/client-s3/package.json').version")"
exec "$BIN" "$@"

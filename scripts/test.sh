#!/usr/bin/env bash
# Runs the tests: installs what they need (apt), builds everything, runs
# CTest. The tests start their own servers (rendezvous, redis-server, Ceph
# RGW) on free loopback ports. Extra arguments go to ctest, e.g. `-L redis`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build test python s3 nat faas
scripts/build.sh
cd "${FMI_BUILD_DIR:-build}"
exec ctest --output-on-failure --timeout 900 "$@"

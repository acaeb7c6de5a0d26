#!/usr/bin/env bash
# The quick-start demo: installs what it needs, builds, and runs the first
# example (hello + allreduce + scan) as 4 peers under fmirun over the direct
# channel, with an embedded rendezvous server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh --target fmirun hello
build_dir=${FMI_BUILD_DIR:-build}
exec "$build_dir/tools/fmirun/fmirun" -n 4 -- "$build_dir/examples/01_hello/hello"

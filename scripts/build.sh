#!/usr/bin/env bash
# Configures and builds fmi into ./build (or $FMI_BUILD_DIR). Extra arguments
# go to the build step, e.g. `scripts/build.sh --target hello fmirun`.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${FMI_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build_dir" -j"$(nproc)" "$@"

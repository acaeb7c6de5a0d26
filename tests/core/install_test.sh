#!/usr/bin/env bash
# Installs fmi into a temporary prefix, then builds a consumer project against
# it twice — with find_package(fmi) and with pkg-config — and runs each as 3
# peers under the installed fmirun.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d /tmp/fmi-install-test-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/fmirun"
test -f "$work/prefix/include/fmi/fmi.hpp"

cmake -S "$source_dir/tests/core/consumer" -B "$work/cmake-build" \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/prefix/bin/fmirun" -n 3 -- "$work/cmake-build/consumer"

libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n 1)
# pkg-config's prefix is the configured one; point it at the temporary prefix.
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --define-variable=prefix="$work/prefix" --cflags --libs fmi)
g++ -std=c++20 "$source_dir/tests/core/consumer/main.cpp" $flags -o "$work/consumer-pkgconfig"
"$work/prefix/bin/fmirun" -n 3 -- "$work/consumer-pkgconfig"
echo "install test: find_package and pkg-config consumers ran"

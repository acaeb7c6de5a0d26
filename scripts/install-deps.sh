#!/usr/bin/env bash
# Installs, from Debian 12's apt, what fmi needs to build, test and benchmark.
# Usage: scripts/install-deps.sh [group ...]   (default: build test)
# Groups: build test python s3 nat bench faas all
set -euo pipefail

declare -A PACKAGES=(
  [build]="build-essential cmake pkg-config git nlohmann-json3-dev libhiredis-dev libcurl4-openssl-dev libssl-dev"
  [test]="libgtest-dev libgmock-dev redis-server python3 python3-pytest python3-numpy iproute2 iptables conntrack procps"
  [python]="python3-dev python3-numpy python3-pytest pybind11-dev python3-setuptools python3-wheel python3-pip"
  [s3]="ceph-mon ceph-osd radosgw python3-botocore python3-boto3"
  [nat]="iproute2 iptables conntrack"
  [bench]="libopenmpi-dev openmpi-bin libgloo-dev python3-matplotlib redis-server"  # bench/run-all.sh (S3 channel: also s3)
  [faas]="python3-boto3 python3-pytest redis-server$(command -v node >/dev/null && command -v npm >/dev/null || echo ' nodejs npm')"  # Debian's nodejs+npm unless node and npm are already there (Debian's npm conflicts with other node installs); tests/faas installs the pinned emulator with npm ci
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test)
if [[ " ${groups[*]} " == *" all "* ]]; then groups=("${!PACKAGES[@]}"); fi

wanted=()
for g in "${groups[@]}"; do
  [ -n "${PACKAGES[$g]+x}" ] || { echo "install-deps: unknown group '$g' (known: ${!PACKAGES[*]})" >&2; exit 2; }
  for p in ${PACKAGES[$g]}; do wanted+=("$p"); done
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything for '${groups[*]}' is installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Cloud-like links for benchmarks: on each router's public interface of test
# bed $1 (routers 1..$2), 0.3 ms delay (within 0.2-0.5 ms) and 600 Mbit/s.
# Exits 1 when the kernel has no sch_netem.
set -eu
TB=$1
for ((i = 1; i <= $2; i++)); do
    ip netns exec "$TB-r$i" tc qdisc add dev wan root netem delay 0.3ms rate 600mbit
done

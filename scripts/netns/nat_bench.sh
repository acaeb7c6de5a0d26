#!/usr/bin/env bash
# Measures in the NAT test bed: set-up time and 64 MiB bandwidth between two
# peers behind two port-preserving NATs, punched (relay never) and relayed
# (relay force); with `netem`, adds 0.3 ms delay and 600 Mbit/s per router's
# public link where sch_netem exists (cloud-like).
#
#   nat_bench.sh NAT_PEER_BIN RENDEZVOUS_BIN [netem] [ROUNDS]
set -u
BIN=$1
FMI_RENDEZVOUS_BIN=$2
NETEM=${3:-}
ROUNDS=${4:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/testbed.sh"
FMI_RENDEZVOUS_SECRET="bench-$$"
tb_init
for i in 1 2; do tb_router $i cone; tb_host $i 1; done
if [ "$NETEM" = netem ]; then
    "$HERE/netem.sh" "$TB" 2 || echo "netem: not available, measuring without it" >&2
fi
tb_server 7000 /tmp/fmi-nat-bench-server-$$.log || exit 1
for mode in never force; do
    for rank in 0 1; do
        tb_spawn "$TB-h$((rank + 1))-1" /tmp/fmi-nat-bench-$rank-$$.log env FMI_PEER_ID=$rank FMI_NUM_PEERS=2 \
            FMI_COMM="bench-$mode-$$" FMI_RENDEZVOUS=10.200.0.1:7000 FMI_DIRECT_SECRET="$FMI_RENDEZVOUS_SECRET" \
            FMI_DIRECT_RELAY=$mode "$BIN" bandwidth "$ROUNDS"
        pids[$rank]=$TB_LAST_PID
    done
    wait "${pids[0]}"; wait "${pids[1]}"
    cat /tmp/fmi-nat-bench-0-$$.log /tmp/fmi-nat-bench-1-$$.log
done
rm -f /tmp/fmi-nat-bench-*-$$.log /tmp/fmi-nat-bench-server-$$.log

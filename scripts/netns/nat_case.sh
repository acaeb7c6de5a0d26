#!/usr/bin/env bash
# One NAT scenario in a fresh test bed (testbed.sh), torn down on exit even
# when the scenario fails. Exit status 0 only if the scenario's checks pass.
#
#   nat_case.sh CASE RENDEZVOUS_BIN N PEER_COMMAND...
#
# PEER_COMMAND reads FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM, FMI_RENDEZVOUS,
# FMI_DIRECT_* from the environment and exits 0 only if its checks passed:
# `fmi_test_peer matrix small` (the collective matrix) or `nat_peer exchange`.
#
# CASE:
#   cone N         N peers, each behind its own port-preserving NAT: the
#                  collective matrix over hole-punched connections (no relay)
#   shared N       N peers behind one NAT: private endpoints, no relay
#   symmetric N    peer 0 behind a symmetric NAT (--random-fully), the rest
#                  behind cone NATs: pairs with peer 0 fall back to the relay,
#                  the matrix completes
#   forced N       like cone, with direct.relay=force: every pair relayed
#   wrong_secret   a registration signed with another secret is refused
#                  (auth_failed), fast
#   unreachable    no server: a TimeoutError within connect_timeout
set -u
CASE=$1
FMI_RENDEZVOUS_BIN=$2
N=$3
shift 3
PEER_CMD=("$@")
if [ ! -x "${PEER_CMD[0]}" ]; then
    echo "nat_case: peer program ${PEER_CMD[0]} is not built; skipping" >&2
    exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testbed.sh
. "$HERE/testbed.sh"

LOGS=$(mktemp -d "/tmp/fmi-nat-$CASE-XXXXXX")
PORT=7000
SECRET="nat-test-secret-$$"
FMI_RENDEZVOUS_SECRET="$SECRET"
tb_init
trap 'tb_cleanup; rm -rf "$LOGS"' EXIT

fail() {
    echo "FAIL ($CASE): $*" >&2
    for f in "$LOGS"/*.log; do echo "== $f" >&2; tail -n 30 "$f" >&2; done
    exit 1
}

# run_peers [extra env...]: one peer per host namespace in HOSTS.
run_peers() {
    local pids=() i=0
    for ns in "${HOSTS[@]}"; do
        tb_spawn "$ns" "$LOGS/peer$i.log" env FMI_PEER_ID=$i FMI_NUM_PEERS=${#HOSTS[@]} FMI_COMM="nat-$CASE-$$" \
            FMI_RENDEZVOUS=10.200.0.1:$PORT FMI_DIRECT_SECRET="$SECRET" FMI_TIMEOUT_MS=30000 \
            FMI_DIRECT_CONNECT_TIMEOUT_MS=30000 FMI_DIRECT_PUNCH_TIMEOUT_MS=3000 FMI_LOG_LEVEL=debug \
            "$@" "${PEER_CMD[@]}"
        pids+=("$TB_LAST_PID")
        i=$((i + 1))
    done
    local status=0
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
    return $status
}

relay_lines() { grep -l "relaying through" "$LOGS"/peer*.log 2>/dev/null | wc -l; }

HOSTS=()
case "$CASE" in
cone | forced)
    for ((i = 1; i <= N; i++)); do tb_router $i cone; tb_host $i 1; HOSTS+=("$TB-h$i-1"); done
    tb_server $PORT "$LOGS/server.log" || fail "server"
    if [ "$CASE" = forced ]; then
        run_peers FMI_DIRECT_RELAY=force || fail "peers failed"
        [ "$(relay_lines)" = "$N" ] || fail "expected every peer to relay"
    else
        run_peers FMI_DIRECT_RELAY=never || fail "peers failed"
        [ "$(relay_lines)" = 0 ] || fail "a pair relayed although every NAT is port-preserving"
    fi
    ;;
shared)
    tb_router 1 cone
    for ((h = 1; h <= N; h++)); do tb_host 1 $h; HOSTS+=("$TB-h1-$h"); done
    tb_server $PORT "$LOGS/server.log" || fail "server"
    run_peers FMI_DIRECT_RELAY=never || fail "peers failed"
    ;;
symmetric)
    tb_router 1 symmetric
    tb_host 1 1
    HOSTS+=("$TB-h1-1")
    for ((i = 2; i <= N; i++)); do tb_router $i cone; tb_host $i 1; HOSTS+=("$TB-h$i-1"); done
    tb_server $PORT "$LOGS/server.log" || fail "server"
    run_peers || fail "peers failed"
    grep -q "relaying through" "$LOGS/peer0.log" || fail "peer 0 (symmetric NAT) did not relay"
    grep -q "relaying between" "$LOGS/server.log" || fail "the server relayed nothing"
    ;;
wrong_secret)
    tb_router 1 cone
    tb_host 1 1
    HOSTS+=("$TB-h1-1" )
    tb_router 2 cone
    tb_host 2 1
    HOSTS+=("$TB-h2-1")
    tb_server $PORT "$LOGS/server.log" || fail "server"
    SECONDS=0
    run_peers FMI_DIRECT_SECRET=wrong FMI_DIRECT_CONNECT_TIMEOUT_MS=20000 && fail "a wrong secret was accepted"
    grep -q "auth_failed" "$LOGS/peer0.log" || fail "peer 0 did not report auth_failed"
    [ $SECONDS -lt 15 ] || fail "refusal took ${SECONDS}s"
    ;;
unreachable)
    tb_router 1 cone
    tb_host 1 1
    HOSTS+=("$TB-h1-1")
    tb_router 2 cone
    tb_host 2 1
    HOSTS+=("$TB-h2-1")
    SECONDS=0
    run_peers FMI_DIRECT_CONNECT_TIMEOUT_MS=3000 && fail "connected without a server"
    grep -qi "time" "$LOGS/peer0.log" || fail "peer 0 did not report a timeout"
    [ $SECONDS -lt 20 ] || fail "took ${SECONDS}s, deadline 3 s"
    ;;
*)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
for f in "$LOGS"/peer*.log; do grep -h "connected to all\|relaying through" "$f" | head -3; done
echo "PASS ($CASE)"

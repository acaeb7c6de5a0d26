# NAT test bed in network namespaces (sourced, bash). Builds on one machine:
#
#   public namespace  $TB-pub : bridge br0 10.200.0.1/24 (rendezvous server)
#   router i          $TB-ri  : wan 10.200.0.(10+i) on br0, lan bridge 10.201.i.1/24,
#                               MASQUERADE out of wan (cone: port-preserving;
#                               symmetric: --random-fully), drops unsolicited
#                               inbound connection attempts (INPUT, state NEW):
#                               without that, an early SYN from a partner makes
#                               MASQUERADE pick another port for our mapping.
#   host i.h          $TB-hi-h: eth0 10.201.i.(10+h)/24, default via the router
#
# Every name carries $TB (set from the caller's PID), so concurrent runs do
# not collide; tb_cleanup (installed as an EXIT trap by tb_init) kills the
# processes started with tb_spawn and deletes every namespace, which removes
# their veths and iptables rules with them. Only addresses inside these
# namespaces are used; nothing routes to the outside.

TB_NAMESPACES=()
TB_PIDS=()

tb_init() {
    TB="fmi$$"
    [ "$(id -u)" = 0 ] || { echo "testbed: needs root (network namespaces)" >&2; exit 77; }
    trap tb_cleanup EXIT
    trap 'exit 130' INT TERM
    tb_ns_add "$TB-pub"
    ip -n "$TB-pub" link add br0 type bridge
    ip -n "$TB-pub" addr add 10.200.0.1/24 dev br0
    ip -n "$TB-pub" link set br0 up
}

tb_ns_add() {
    ip netns add "$1"
    TB_NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

# tb_router I cone|symmetric
tb_router() {
    local i=$1 kind=$2 r="$TB-r$1"
    tb_ns_add "$r"
    ip -n "$TB-pub" link add "w$i" type veth peer name wan netns "$r"
    ip -n "$TB-pub" link set "w$i" master br0 up
    ip -n "$r" addr add "10.200.0.$((10 + i))/24" dev wan
    ip -n "$r" link set wan up
    ip -n "$r" link add lan type bridge
    ip -n "$r" addr add "10.201.$i.1/24" dev lan
    ip -n "$r" link set lan up
    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
    local random=""
    [ "$kind" = symmetric ] && random="--random-fully"
    ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE $random
    ip netns exec "$r" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
}

# tb_host I H: host H behind router I; prints its namespace name.
tb_host() {
    local i=$1 h=$2 n="$TB-h$1-$2"
    tb_ns_add "$n"
    ip -n "$TB-r$i" link add "l$h" type veth peer name eth0 netns "$n"
    ip -n "$TB-r$i" link set "l$h" master lan up
    ip -n "$n" addr add "10.201.$i.$((10 + h))/24" dev eth0
    ip -n "$n" link set eth0 up
    ip -n "$n" route add default via "10.201.$i.1"
}

# tb_spawn NS LOG command...: runs in the background, remembered for cleanup.
tb_spawn() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    TB_PIDS+=("$!")
    TB_LAST_PID=$!
}

# tb_server PORT LOG: the rendezvous server in the public namespace; waits
# until it listens.
tb_server() {
    # The secret goes to the server only (fmi peers refuse unknown FMI_* variables).
    tb_spawn "$TB-pub" "$2" env FMI_RENDEZVOUS_SECRET="${FMI_RENDEZVOUS_SECRET:-}" "$FMI_RENDEZVOUS_BIN" --host 10.200.0.1 --port "$1" --verbose
    local tries=0
    until grep -q "listening on" "$2" 2>/dev/null; do
        tries=$((tries + 1))
        [ $tries -gt 100 ] && { echo "testbed: server did not start" >&2; cat "$2" >&2; return 1; }
        sleep 0.05
    done
}

tb_cleanup() {
    local pid ns
    for pid in "${TB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${TB_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for ((k = ${#TB_NAMESPACES[@]} - 1; k >= 0; k--)); do
        ip netns del "${TB_NAMESPACES[$k]}" 2>/dev/null
    done
    TB_NAMESPACES=()
    TB_PIDS=()
}

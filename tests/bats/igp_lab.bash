# A lab of real IGP routers in network namespaces, for sr-proxd's OSPF
# tests (igp.bats, tests/security/ospf.bats) and benchmarks.
#
# Each router is a namespace NS-NAME with a loopback; links are veth pairs
# with their own /24. FRR routers run zebra + ospfd by hand (never the
# service) with a state directory each, owned by frr; bird2 routers run
# bird with a control socket in theirs. Everything lives under $IGP, a
# directory frr may traverse, and igp_lab_down removes it all.
#
#   igp_lab_init                      checks root and namespaces (else skip), sets $IGP and $NS
#   igp_ns NAME                       a namespace with lo up
#   igp_link A B SUBNET [SUFFIX]      veth A-BSUFFIX / B-ASUFFIX, A gets SUBNET.1, B SUBNET.2
#   igp_lan LAN SUBNET NODE...        a bridge LAN (in NS-sw); NODE i gets port NODE-LAN, SUBNET.i
#   igp_frr NAME CONFIG [DAEMON]      zebra + DAEMON (ospfd, isisd) in NS-NAME with that DAEMON.conf
#   igp_bird NAME CONFIG              bird in NS-NAME with that bird.conf
#   in_ns NAME CMD...                 runs CMD in NS-NAME
#   vty NAME CMD...                   vtysh -c CMD... against NAME's FRR
#   igp_lab_down                      stops every daemon, deletes the namespaces

igp_lab_init() {
    [ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
    command -v /usr/lib/frr/ospfd >/dev/null || skip "FRR is not installed (tools/setup deps)"
    command -v bird >/dev/null || skip "bird2 is not installed (tools/setup deps)"
    NS="sr$$"
    ip netns add "$NS-probe" 2>/dev/null || skip "cannot make network namespaces here (ip netns add failed)"
    ip netns del "$NS-probe"
    # Not under the bats temporary directory: frr's daemons must traverse it.
    IGP="$(mktemp -d /tmp/sr-igp.XXXXXX)"
    chmod 755 "$IGP"
    export NS IGP
}

in_ns() {
    local name=$1
    shift
    ip netns exec "$NS-$name" "$@"
}

igp_ns() {
    ip netns add "$NS-$1"
    in_ns "$1" ip link set lo up
    mkdir -p "$IGP/$1"
    echo "$1" >>"$IGP/namespaces"
}

igp_link() {
    local a=$1 b=$2 subnet=$3 suffix=${4:-}
    ip link add "$a-$b$suffix" netns "$NS-$a" type veth peer name "$b-$a$suffix" netns "$NS-$b"
    in_ns "$a" ip addr add "$subnet.1/24" dev "$a-$b$suffix"
    in_ns "$b" ip addr add "$subnet.2/24" dev "$b-$a$suffix"
    in_ns "$a" ip link set "$a-$b$suffix" up
    in_ns "$b" ip link set "$b-$a$suffix" up
}

igp_lan() {
    local lan=$1 subnet=$2 i=0 node
    shift 2
    [ -d "$IGP/sw" ] || igp_ns sw
    in_ns sw ip link add "$lan" type bridge
    in_ns sw ip link set "$lan" up
    for node in "$@"; do
        i=$((i + 1))
        ip link add "$node-$lan" netns "$NS-$node" type veth peer name "$lan-$node" netns "$NS-sw"
        in_ns sw ip link set "$lan-$node" master "$lan" up
        in_ns "$node" ip addr add "$subnet.$i/24" dev "$node-$lan"
        in_ns "$node" ip link set "$node-$lan" up
    done
}

igp_frr() {
    local name=$1 config=$2 daemon=${3:-ospfd} dir="$IGP/$1"
    chown frr:frr "$dir"
    printf '%s\n' "$config" >"$dir/$daemon.conf"
    chown frr:frr "$dir/$daemon.conf"
    local common=(-N "$NS-$name" --vty_socket "$dir" -z "$dir/zserv.api")
    in_ns "$name" /usr/lib/frr/zebra "${common[@]}" -i "$dir/zebra.pid" -d -f /dev/null 2>>"$dir/log" \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    in_ns "$name" "/usr/lib/frr/$daemon" "${common[@]}" -i "$dir/$daemon.pid" -d -f "$dir/$daemon.conf" \
        2>>"$dir/log" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

igp_bird() {
    local name=$1 config=$2 dir="$IGP/$1"
    printf '%s\n' "$config" >"$dir/bird.conf"
    in_ns "$name" bird -c "$dir/bird.conf" -s "$dir/bird.sock" -P "$dir/bird.pid" 2>>"$dir/log" \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

vty() {
    local name=$1
    shift
    local args=()
    for c in "$@"; do args+=(-c "$c"); done
    vtysh --vty_socket "$IGP/$name" "${args[@]}"
}

# igp_stop NAME: stops NAME's routing daemons (FRR or bird), as a router dying.
igp_stop() {
    local pidfile
    for pidfile in "$IGP/$1"/*.pid; do
        [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
        rm -f "$pidfile"
    done
    return 0
}

igp_lab_down() {
    [ -n "${IGP:-}" ] && [ -d "$IGP" ] || return 0
    local pidfile name
    for pidfile in "$IGP"/*/*.pid "$IGP"/*/pid; do
        [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null
    done
    for pidfile in "$IGP"/*/*.pid "$IGP"/*/pid; do
        [ -f "$pidfile" ] && { wait_gone "$(cat "$pidfile")" 5 || kill -KILL "$(cat "$pidfile")" 2>/dev/null; }
    done
    if [ -f "$IGP/namespaces" ]; then
        while read -r name; do ip netns del "$NS-$name" 2>/dev/null; done <"$IGP/namespaces"
    fi
    rm -rf "$IGP"
    return 0
}

# start_proxd NAME OPTIONS...: sr-proxd in NS-NAME, its runtime directory
# $IGP/NAME/run, ready when its control socket is up.
start_proxd() {
    local name=$1 dir="$IGP/$1"
    shift
    rm -f "$dir/ready"
    mkfifo "$dir/ready"
    # ip netns exec execs the daemon: $! is its pid.
    ip netns exec "$NS-$name" sr-proxd --runtime-dir "$dir/run" --ready-fd 9 "$@" 9>"$dir/ready" 2>>"$dir/log" \
        </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { echo "sr-proxd in $name did not start:" >&2; cat "$dir/log" >&2; return 1; }
}

# every_cost_matches [WITHOUT]: for every pair of the routers $ROUTERS
# ("1 2 3": r1, r2, r3), the file's `cost A B` (sr-proxd's, between their
# loopbacks) equals Dijkstra over $IGP/arcs, router WITHOUT left out; the
# first pair that differs is in $IGP/mismatch.
every_cost_matches() {
    local a b want got
    for a in $ROUTERS; do
        for b in $ROUTERS; do
            [ "r$a" = "${1:-}" ] || [ "r$b" = "${1:-}" ] && continue
            want="$(dijkstra "$IGP/arcs" "r$a" "r$b" "${1:-}")"
            got="$(cost "$a" "$b" || true)"
            if [ "$got" != "$want" ]; then
                echo "r$a -> r$b: sr-proxd says '$got', Dijkstra $want" >"$IGP/mismatch"
                return 1
            fi
        done
    done
}

# dijkstra FILE FROM TO [WITHOUT]: the least cost from FROM to TO over the
# arcs of FILE ("A B COST" lines, one direction each), avoiding WITHOUT.
dijkstra() {
    "$PYTHON" - "$@" <<'EOF'
import heapq, sys
path, src, dst = sys.argv[1:4]
skip = sys.argv[4] if len(sys.argv) > 4 else None
arcs = {}
for line in open(path):
    a, b, c = line.split()
    if skip in (a, b):
        continue
    arcs.setdefault(a, []).append((b, int(c)))
dist, todo = {src: 0}, [(0, src)]
while todo:
    d, n = heapq.heappop(todo)
    if d > dist.get(n, 1 << 62):
        continue
    for m, c in arcs.get(n, []):
        if d + c < dist.get(m, 1 << 62):
            dist[m] = d + c
            heapq.heappush(todo, (d + c, m))
print(dist.get(dst, "-"))
EOF
}

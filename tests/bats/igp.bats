#!/usr/bin/env bats
# sr-proxd learns the topology live from OSPF, as a passive router, from
# real routers in network namespaces: five FRR routers and one bird2.
#
#          r1 ---10--- r2 ---10--- r3
#         /  \          |           | \
#   px--LAN   30        5          10  20
#              \        |           |    \
#               r5 --------15------ r4 -7- r6(bird2) --p2p, HMAC-SHA256-- px
#
# px (sr-proxd) sits on a LAN with r1 (r1 the DR, px a priority-0 DROther)
# and on a point-to-point link to r6 with HMAC-SHA256 authentication; px2,
# a second sr-proxd, hangs off r2 with MD5 for the wrong-key test. Router
# i's loopback and router id are 192.0.2.i; --igp-names names them ri.

load helpers
load igp_lab

# The configured metrics, each direction ("A B COST"); tests edit them as
# they edit the routers.
ARCS='r1 r2 10
r2 r1 10
r2 r3 10
r3 r2 10
r3 r4 10
r4 r3 10
r1 r5 30
r5 r1 30
r5 r4 15
r4 r5 15
r2 r5 5
r5 r2 5
r4 r6 7
r6 r4 7
r3 r6 20
r6 r3 20'

HMAC_KEY=sr-igp-test-hmac-sha256-key
MD5_KEY=md5-igp-key

# frr_conf NAME ID "IFACE COST [broadcast|auth]"...: ospfd.conf of router ID.
frr_conf() {
    local name=$1 id=$2
    shift 2
    echo "hostname $name"
    echo "router ospf"
    echo " ospf router-id 192.0.2.$id"
    echo " timers throttle lsa all 100"
    echo " timers throttle spf 0 50 500"
    echo " network 10.100.0.0/16 area 0"
    echo " network 192.0.2.$id/32 area 0"
    local spec ifname cost kind
    for spec in "$@"; do
        read -r ifname cost kind <<<"$spec"
        echo "interface $ifname"
        [ "$kind" = broadcast ] || echo " ip ospf network point-to-point"
        echo " ip ospf hello-interval 1"
        echo " ip ospf dead-interval 4"
        echo " ip ospf cost $cost"
        if [ "$kind" = md5 ]; then
            echo " ip ospf authentication message-digest"
            echo " ip ospf message-digest-key 1 md5 $MD5_KEY"
        fi
    done
}

setup_file() {
    igp_lab_init
    export ADDR_BASE=200 PORT=4200
    local n
    for n in r1 r2 r3 r4 r5 r6 px px2; do igp_ns "$n"; done
    igp_link r1 r2 10.100.1
    igp_link r2 r3 10.100.2
    igp_link r3 r4 10.100.3
    igp_link r1 r5 10.100.4
    igp_link r5 r4 10.100.5
    igp_link r2 r5 10.100.6
    igp_link r4 r6 10.100.7
    igp_link r3 r6 10.100.8
    igp_link r1 px 10.100.100
    igp_link r6 px 10.100.106
    igp_link r2 px2 10.100.102
    for n in 1 2 3 4 5 6; do in_ns "r$n" ip addr add "192.0.2.$n/32" dev lo; done
    printf '%s\n' "$ARCS" >"$IGP/arcs"

    igp_frr r1 "$(frr_conf r1 1 'r1-r2 10' 'r1-r5 30' 'r1-px 10 broadcast')"
    igp_frr r2 "$(frr_conf r2 2 'r2-r1 10' 'r2-r3 10' 'r2-r5 5' 'r2-px2 10 md5')"
    igp_frr r3 "$(frr_conf r3 3 'r3-r2 10' 'r3-r4 10' 'r3-r6 20')"
    igp_frr r4 "$(frr_conf r4 4 'r4-r3 10' 'r4-r5 15' 'r4-r6 7')"
    igp_frr r5 "$(frr_conf r5 5 'r5-r1 30' 'r5-r4 15' 'r5-r2 5')"
    igp_bird r6 "router id 192.0.2.6;
protocol device { scan time 1; }
protocol static s4 { ipv4; route 203.0.113.0/24 blackhole; }
protocol ospf v2 o {
  ipv4 { import none; export none; };
  area 0 {
    interface \"lo\" { stub yes; };
    interface \"r6-r4\" { type ptp; cost 7; hello 1; dead 4; };
    interface \"r6-r3\" { type ptp; cost 20; hello 1; dead 4; };
    interface \"r6-px\" { type ptp; cost 10; hello 1; dead 4;
      authentication cryptographic; password \"$HMAC_KEY\" { id 7; algorithm hmac sha256; }; };
  };
}
protocol bgp srproxd { local 10.100.106.1 as 65001; neighbor 10.100.106.2 as 65000; multihop; passive; hold time 9;
  ipv4 { import none; export filter { bgp_next_hop = 192.0.2.4; accept; }; }; }"

    printf '%s\n' "$HMAC_KEY" >"$IGP/px/hmac.key"
    chmod 600 "$IGP/px/hmac.key"
    for n in 1 2 3 4 5 6; do echo "192.0.2.$n r$n"; done >"$IGP/names"
    start_proxd px --igp-names "$IGP/names" --ospf-router-id 192.0.2.99 \
        --ospf-interface "px-r1 hello=1 dead=4" \
        --ospf-interface "px-r6 type=p2p hello=1 dead=4 auth=hmac-sha256 key-id=7 key-file=$IGP/px/hmac.key" \
        --bgp-as 65000 --bgp-router-id 192.0.2.99 --bgp-peer "10.100.106.1 65001 local=10.100.106.2 hold=9"
}

teardown_file() {
    [ -z "${IGP_KEEP:-}" ] || return 0  # IGP_KEEP=1: leave the lab up to look at it
    igp_lab_down
}

px() { SR_RUNTIME_DIR="$IGP/px/run" "$@"; }
adjacency() { px sr-ctl -j prox igp | jq -r "select(.neighbor == \"$1\") | .state"; }
both_full() { [ "$(adjacency 192.0.2.1)" = Full ] && [ "$(adjacency 192.0.2.6)" = Full ]; }
frr_sees_us_full() { vty r1 "show ip ospf neighbor 192.0.2.99" | grep -q Full/DROther; }
cost() { px sr-lookup cost "192.0.2.$1" "192.0.2.$2"; }
ROUTERS="1 2 3 4 5 6"  # for every_cost_matches (igp_lab.bash)

@test "OSPF: Full with FRR on a LAN (px a DROther, r1 the DR) and with bird2 point-to-point under HMAC-SHA256" {
    until_true 30 both_full || { px sr-ctl prox igp; cat "$IGP/px/log"; false; }
    run px sr-ctl -j prox igp
    assert_success
    [ "$(jq -r 'select(.neighbor == "192.0.2.1") | .role' <<<"$output")" = DR ]
    [ "$(jq -r 'select(.neighbor == "192.0.2.6") | .role' <<<"$output")" = p2p ]
    # FRR sees us as a priority-0 DROther in Full (each side reaches Full on
    # its own: FRR may still be loading our router-LSA when we are Full).
    until_true 15 frr_sees_us_full || {
        vty r1 "show ip ospf neighbor 192.0.2.99"
        false
    }
    grep -q "neighbour 192.0.2.1 (10.100.100.1) Loading -> Full\|neighbour 192.0.2.1 (10.100.100.1) Exchange -> Full" "$IGP/px/log"
}

@test "OSPF: every router-to-router cost equals Dijkstra over the configured metrics; names from --igp-names" {
    until_true 30 both_full
    until_true 15 every_cost_matches || { cat "$IGP/mismatch"; false; }
    run px sr-lookup pid 192.0.2.3
    assert_output r3
    # Our own router-LSA carries max-metric: FRR routes nothing through us.
    run vty r1 "show ip ospf database router 192.0.2.99"
    assert_output --partial "TOS 0 Metric: 65535"
    run px sr-ctl -j prox igp --lsdb
    [ "$(jq -r 'select(.type == "router") | .count' <<<"$output")" -eq 7 ]
}

@test "OSPF: a metric changed with vtysh reaches the answers within 5 s, one direction only" {
    until_true 30 every_cost_matches
    vty r2 "configure terminal" "interface r2-r3" "ip ospf cost 50"
    sed -i 's/^r2 r3 10$/r2 r3 50/' "$IGP/arcs"
    until_true 5 every_cost_matches || { cat "$IGP/mismatch"; false; }
    [ "$(cost 2 3)" -eq 30 ]  # r2 r5 r4 r3 now
    [ "$(cost 3 2)" -eq 10 ]  # the other direction kept its metric
}

@test "OSPF: a router gone, the answers route around it" {
    until_true 30 every_cost_matches
    [ "$(cost 1 4)" -lt 45 ]  # through r2 and r5 (10 + 5 + 15 = 30)
    igp_stop r5
    # The neighbours' dead interval (4 s), then their new router-LSAs.
    until_true 20 every_cost_matches r5 || { cat "$IGP/mismatch"; false; }
    # r5 unreachable once every neighbour's new router-LSA has dropped it (each after its own dead
    # interval: the costs among the others may match before the last one has).
    r5_unreachable() { [ "$(cost 1 5)" = - ] || [ -z "$(cost 1 5)" ]; }
    until_true 20 r5_unreachable
}

@test "BGP and OSPF together: bird2's routes with an OSPF-learned next hop are placed at the egress router" {
    until_true 30 both_full
    # External prefixes are PIDs of their own, named after the egress router.
    until_true 20 bash -c "SR_RUNTIME_DIR=$IGP/px/run sr-lookup pid 203.0.113.7 | grep -q '^ext:r4:'"
    run px sr-ctl prox route 203.0.113.7
    assert_output --partial "203.0.113.0/24	r4	bgp 10.100.106.1	192.0.2.4"
    local igp ext
    igp="$(cost 1 4)"
    ext="$(px sr-lookup cost 192.0.2.1 203.0.113.7)"
    [ "$ext" -eq $((igp + 1000)) ]  # the IGP cost to r4 plus one AS hop (--as-hop-penalty 1000)
}

@test "OSPF authentication: a wrong MD5 key gives no adjacency and says why; the right key gives Full" {
    printf 'not-the-key\n' >"$IGP/px2/wrong.key"
    printf '%s\n' "$MD5_KEY" >"$IGP/px2/right.key"
    chmod 600 "$IGP/px2/"*.key
    start_proxd px2 --ospf-router-id 192.0.2.98 \
        --ospf-interface "px2-r2 type=p2p hello=1 dead=4 auth=md5 key-id=1 key-file=$IGP/px2/wrong.key"
    until_true 10 grep -q "px2-r2: packet from 10.100.102.1 dropped: authentication" "$IGP/px2/log"
    run env SR_RUNTIME_DIR="$IGP/px2/run" sr-ctl -j prox igp
    refute_output --partial Full
    kill -TERM "$(cat "$IGP/px2/pid")"
    wait_gone "$(cat "$IGP/px2/pid")" 10
    start_proxd px2 --ospf-router-id 192.0.2.98 \
        --ospf-interface "px2-r2 type=p2p hello=1 dead=4 auth=md5 key-id=1 key-file=$IGP/px2/right.key"
    until_true 20 bash -c "SR_RUNTIME_DIR=$IGP/px2/run sr-ctl -j prox igp | grep -q '\"state\":\"Full\"'"
}

@test "OSPF needs CAP_NET_RAW: without it sr-proxd says so and exits 77" {
    mkdir -p "$IGP/px/norun"
    chown 65534 "$IGP/px/norun"
    run in_ns px setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$SR_BIN/sr-proxd" --runtime-dir "$IGP/px/norun" --ospf-router-id 192.0.2.97 --ospf-interface px-r1
    assert_failure 77
    assert_output --partial "CAP_NET_RAW"
}

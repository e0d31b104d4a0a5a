#!/usr/bin/env bats
# sr-proxd learns the topology live from IS-IS, as a router that carries no
# traffic (the overload bit), from four FRR isisd routers in network
# namespaces (level 2, wide metrics).
#
#   px ==p2p, HMAC-MD5== r1 --10-- r2 --10-- r3
#                         |  \              |
#                         30   5           10
#                         |      \          |
#                         r4 --------15-----+   (r4-r3 15)
#   px --LAN-- r4 (r4 the DIS)
#
# Metrics are each router's own (r2 r4 5, r4 r2 25: asymmetric). Router i's
# loopback is 192.0.2.i; the routers are named by their hostnames (TLV 137).

load helpers
load igp_lab

ARCS='r1 r2 10
r2 r1 10
r2 r3 10
r3 r2 10
r1 r4 30
r4 r1 30
r2 r4 5
r4 r2 25
r3 r4 15
r4 r3 15'

HELLO_KEY=isis-hello-key
LSP_KEY=isis-domain-key

# isis_conf NAME ID "IFACE METRIC [p2p] [md5]"...: isisd.conf of router ID.
isis_conf() {
    local name=$1 id=$2 spec ifname metric kind auth
    shift 2
    echo "hostname $name"
    for spec in "$@"; do
        read -r ifname metric kind auth <<<"$spec"
        echo "interface $ifname"
        echo " ip router isis core"
        [ "$kind" = p2p ] && echo " isis network point-to-point"
        echo " isis hello-interval 1"
        echo " isis metric $metric"
        [ "$auth" = md5 ] && echo " isis password md5 $HELLO_KEY"
    done
    echo "interface lo"
    echo " ip router isis core"
    echo " isis passive"
    echo "router isis core"
    echo " net 49.0001.0000.0000.000$id.00"
    echo " is-type level-2-only"
    echo " metric-style wide"
    echo " lsp-gen-interval 1"
    echo " domain-password md5 $LSP_KEY"
}

setup_file() {
    igp_lab_init
    local n
    for n in r1 r2 r3 r4 px; do igp_ns "$n"; done
    igp_link r1 r2 10.110.1
    igp_link r2 r3 10.110.2
    igp_link r1 r4 10.110.3
    igp_link r2 r4 10.110.4
    igp_link r3 r4 10.110.5
    igp_link r1 px 10.110.100
    igp_link r4 px 10.110.104
    for n in 1 2 3 4; do in_ns "r$n" ip addr add "192.0.2.$n/32" dev lo; done
    printf '%s\n' "$ARCS" >"$IGP/arcs"
    igp_frr r1 "$(isis_conf r1 1 'r1-r2 10 p2p' 'r1-r4 30 p2p' 'r1-px 10 p2p md5')" isisd
    igp_frr r2 "$(isis_conf r2 2 'r2-r1 10 p2p' 'r2-r3 10 p2p' 'r2-r4 5 p2p')" isisd
    igp_frr r3 "$(isis_conf r3 3 'r3-r2 10 p2p' 'r3-r4 15 p2p')" isisd
    igp_frr r4 "$(isis_conf r4 4 'r4-r1 30 p2p' 'r4-r2 25 p2p' 'r4-r3 15 p2p' 'r4-px 10')" isisd
    printf '%s\n' "$HELLO_KEY" >"$IGP/px/hello.key"
    printf '%s\n' "$LSP_KEY" >"$IGP/px/lsp.key"
    chmod 600 "$IGP/px/"*.key
    start_proxd px --isis-net 49.0001.0000.0000.0099.00 --isis-hostname sr-proxd \
        --isis-interface "px-r1 type=p2p hello=1 auth=md5 key-file=$IGP/px/hello.key" \
        --isis-interface "px-r4 hello=1" --isis-lsp-auth "md5 key-file=$IGP/px/lsp.key"
}

teardown_file() {
    [ -z "${IGP_KEEP:-}" ] || return 0
    igp_lab_down
}

px() { SR_RUNTIME_DIR="$IGP/px/run" "$@"; }
adjacency() { px sr-ctl -j prox igp | jq -r "select(.neighbor == \"0000.0000.000$1\") | .state"; }
both_up() { [ "$(adjacency 1)" = Up ] && [ "$(adjacency 4)" = Up ]; }
cost() { px sr-lookup cost "192.0.2.$1" "192.0.2.$2"; }
ROUTERS="1 2 3 4"  # for every_cost_matches (igp_lab.bash)

@test "IS-IS: Up with FRR point-to-point (three-way, HMAC-MD5) and on a LAN (r4 the DIS); FRR sees our overload bit" {
    until_true 30 both_up || { px sr-ctl prox igp; cat "$IGP/px/log"; false; }
    # FRR elects itself DIS some seconds after the adjacency, as ISO 10589 has it.
    until_true 20 bash -c "SR_RUNTIME_DIR=$IGP/px/run sr-ctl -j prox igp | jq -e 'select(.neighbor == \"0000.0000.0004\") | .role == \"DIS\"'"

    run vty r1 "show isis neighbor"
    assert_output --partial "sr-proxd"
    # Our LSP, as FRR holds it: overloaded (OL 1), reaching r1 and the LAN's pseudonode.
    until_true 20 bash -c "vtysh --vty_socket '$IGP/r1' -c 'show isis database detail sr-proxd.00-00' | grep -q '0000.0000.0004.0[0-9]'"
    run vty r1 "show isis database sr-proxd.00-00"
    assert_output --regexp "sr-proxd\.00-00 +[0-9]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+ +0/0/1"
}

@test "IS-IS: every router-to-router cost equals Dijkstra over the configured metrics; hostnames name the routers" {
    until_true 30 both_up
    # FRR fills its LSPs in some seconds after it starts.
    until_true 60 every_cost_matches || { cat "$IGP/mismatch"; false; }
    run px sr-lookup pid 192.0.2.3
    assert_output r3
    [ "$(cost 2 4)" -eq 5 ]
    [ "$(cost 4 2)" -eq 25 ]
}

@test "IS-IS: a metric changed with vtysh reaches the answers within 5 s" {
    until_true 60 every_cost_matches
    vty r2 "configure terminal" "interface r2-r4" "isis metric 50"
    sed -i 's/^r2 r4 5$/r2 r4 50/' "$IGP/arcs"
    until_true 5 every_cost_matches || { cat "$IGP/mismatch"; false; }
    [ "$(cost 2 4)" -eq 25 ]  # r2 r3 r4 now
}

@test "IS-IS: a router gone, the answers route around it" {
    until_true 60 every_cost_matches
    igp_stop r2
    # FRR's holding time (10 s at a 1 s Hello), then its neighbours' new LSPs.
    until_true 30 bash -c "[ \"\$(SR_RUNTIME_DIR=$IGP/px/run sr-lookup cost 192.0.2.1 192.0.2.3)\" = 45 ]"
}

@test "IS-IS authentication: a wrong Hello key gives no adjacency and says why" {
    igp_ns px2
    igp_link r3 px2 10.110.103
    vty r3 "configure terminal" "interface r3-px2" "ip router isis core" "isis network point-to-point" \
        "isis hello-interval 1" "isis password md5 $HELLO_KEY"
    printf 'not-the-key\n' >"$IGP/px2/wrong.key"
    chmod 600 "$IGP/px2/wrong.key"
    start_proxd px2 --isis-net 49.0001.0000.0000.0098.00 \
        --isis-interface "px2-r3 type=p2p hello=1 auth=md5 key-file=$IGP/px2/wrong.key"
    until_true 15 grep -q "px2-r3: PDU from .* dropped: authentication" "$IGP/px2/log"
    run env SR_RUNTIME_DIR="$IGP/px2/run" sr-ctl -j prox igp
    refute_output --partial '"state":"Up"'
}

@test "IS-IS needs CAP_NET_RAW: without it sr-proxd says so and exits 77" {
    mkdir -p "$IGP/px/norun"
    chown 65534 "$IGP/px/norun"
    run in_ns px setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$SR_BIN/sr-proxd" --runtime-dir "$IGP/px/norun" --isis-net 49.0001.0000.0000.0097.00 --isis-interface px-r1
    assert_failure 77
    assert_output --partial "CAP_NET_RAW"
}

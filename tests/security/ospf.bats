#!/usr/bin/env bats
# sr-proxd's OSPF against a hostile host on its links (ospf_attack.py in its
# own namespace): malformed packets of every kind, Hellos from hundreds of
# made-up routers, an authenticated packet replayed, unauthenticated Hellos
# on an authenticated link. The adjacency with the real router (FRR) must
# stay Full and the daemon must answer throughout.
#
#   lan1 (no authentication): r1 .1, px .2, evil .3
#   lan2 (MD5):               r1 .1, px .2, evil .3

load '../bats/helpers'
load '../bats/igp_lab'

MD5_KEY=sec-md5-key

setup_file() {
    igp_lab_init
    local n
    for n in r1 px evil; do igp_ns "$n"; done
    igp_lan lan1 10.101.1 r1 px evil
    igp_lan lan2 10.101.2 r1 px evil
    igp_frr r1 "hostname r1
router ospf
 ospf router-id 10.101.0.1
 network 10.101.0.0/16 area 0
interface r1-lan1
 ip ospf hello-interval 1
 ip ospf dead-interval 4
interface r1-lan2
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf authentication message-digest
 ip ospf message-digest-key 1 md5 $MD5_KEY"
    printf '%s\n' "$MD5_KEY" >"$IGP/px/md5.key"
    chmod 600 "$IGP/px/md5.key"
    start_proxd px --ospf-router-id 10.101.0.99 --ospf-interface "px-lan1 hello=1 dead=4" \
        --ospf-interface "px-lan2 hello=1 dead=4 auth=md5 key-id=1 key-file=$IGP/px/md5.key"
    until_true 30 both_full || { px sr-ctl prox igp; cat "$IGP/px/log"; false; }
}

teardown_file() {
    igp_lab_down
}

px() { SR_RUNTIME_DIR="$IGP/px/run" "$@"; }
both_full() { [ "$(px sr-ctl -j prox igp | jq -r 'select(.neighbor == "10.101.0.1") | .state' | sort -u)" = Full ]; }
attack() { in_ns evil "$PYTHON" "$BATS_TEST_DIRNAME/ospf_attack.py" "$@"; }
dropped() { px sr-ctl -j call proxd sys.stats | jq '."prox.ospf_dropped" // 0'; }

@test "malformed OSPF packets are dropped and counted; the adjacencies stay Full" {
    local before
    before="$(dropped)"
    attack garbage evil-lan1 2000
    attack garbage evil-lan2 500
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR=$IGP/px/run sr-ctl -j call proxd sys.stats | jq '.\"prox.ospf_dropped\"') -ge $((before + 2000)) ]"
    grep -q "px-lan1: packet from 10.101.1.3 dropped" "$IGP/px/log"
    both_full
    kill -0 "$(cat "$IGP/px/pid")"
}

@test "Hellos from 1,000 made-up routers: at most 256 neighbours are kept, the real one stays Full" {
    attack hellos evil-lan1 255.255.255.0 1000
    until_true 10 grep -q "more than 256 neighbours" "$IGP/px/log"
    run px sr-ctl -j prox igp
    [ "$(grep -c '"interface":"px-lan1"' <<<"$output")" -le 256 ]
    both_full
    # They never answer: the dead interval removes them.
    until_true 15 bash -c "[ \$(SR_RUNTIME_DIR=$IGP/px/run sr-ctl -j prox igp | grep -c '\"interface\":\"px-lan1\"') -eq 1 ]"
}

@test "an authenticated packet replayed is refused as a replay" {
    attack replay evil-lan2
    until_true 10 grep -q "px-lan2: packet from 10.101.2.3 dropped: authentication: cryptographic sequence number went back" "$IGP/px/log"
    both_full
}

@test "unauthenticated Hellos on the MD5 link are dropped as such and make no neighbour" {
    attack hellos evil-lan2 255.255.255.0 20
    until_true 10 grep -q "px-lan2: packet from 10.101.2.3 dropped: authentication" "$IGP/px/log"
    run px sr-ctl -j prox igp
    [ "$(grep -c '"interface":"px-lan2"' <<<"$output")" -eq 1 ]
    both_full
}

#!/usr/bin/env bats
# sr-proxd's IS-IS against a hostile host on its LAN (isis_attack.py in its
# own namespace): malformed PDUs, Hellos from 1,000 made-up systems, a forged
# unauthenticated LSP. The adjacency with the real router (FRR isisd, the
# DIS) must stay Up, the daemon must answer, and nothing forged may reach
# the topology.
#
#   lan1: r1 .1, px .2, evil .3; level 2; LSPs under HMAC-MD5 (domain-password)

load '../bats/helpers'
load '../bats/igp_lab'

LSP_KEY=sec-isis-lsp-key

setup_file() {
    igp_lab_init
    local n
    for n in r1 px evil; do igp_ns "$n"; done
    igp_lan lan1 10.102.1 r1 px evil
    in_ns r1 ip addr add 192.0.2.1/32 dev lo
    igp_frr r1 "hostname r1
interface r1-lan1
 ip router isis core
 isis hello-interval 1
interface lo
 ip router isis core
 isis passive
router isis core
 net 49.0001.0000.0000.0001.00
 is-type level-2-only
 metric-style wide
 lsp-gen-interval 1
 domain-password md5 $LSP_KEY" isisd
    printf '%s\n' "$LSP_KEY" >"$IGP/px/lsp.key"
    chmod 600 "$IGP/px/lsp.key"
    start_proxd px --isis-net 49.0001.0000.0000.0099.00 --isis-interface "px-lan1 hello=1" \
        --isis-lsp-auth "md5 key-file=$IGP/px/lsp.key"
    until_true 30 r1_up || { px sr-ctl prox igp; cat "$IGP/px/log"; false; }
}

teardown_file() {
    igp_lab_down
}

px() { SR_RUNTIME_DIR="$IGP/px/run" "$@"; }
r1_up() { [ "$(px sr-ctl -j prox igp | jq -r 'select(.neighbor == "0000.0000.0001") | .state')" = Up ]; }
attack() { in_ns evil "$PYTHON" "$BATS_TEST_DIRNAME/isis_attack.py" "$@"; }
dropped() { px sr-ctl -j call proxd sys.stats | jq '."prox.isis_dropped" // 0'; }

@test "malformed IS-IS PDUs are dropped and counted; the adjacency stays Up" {
    # Some of them are whole PDUs behind a wrong length, hence 1,000 of 2,000.
    local before
    before="$(dropped)"
    attack garbage evil-lan1 2000
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR=$IGP/px/run sr-ctl -j call proxd sys.stats | jq '.\"prox.isis_dropped\"') -ge $((before + 1000)) ]"
    grep -q "px-lan1: PDU from .* dropped" "$IGP/px/log"
    r1_up
    kill -0 "$(cat "$IGP/px/pid")"
}

@test "Hellos from 1,000 made-up systems: at most 256 adjacencies, the real one stays Up" {
    attack hellos evil-lan1 490001 1000
    until_true 10 grep -q "more than 256 adjacencies" "$IGP/px/log"
    run px sr-ctl -j prox igp
    [ "$(grep -c '"protocol":"isis"' <<<"$output")" -le 256 ]
    r1_up
    # They never list us and stop: their holding time (30 s) removes them.
    until_true 40 bash -c "[ \$(SR_RUNTIME_DIR=$IGP/px/run sr-ctl -j prox igp | grep -c '\"protocol\":\"isis\"') -eq 1 ]"
}

@test "a forged LSP without the level's key is dropped and reaches no answer" {
    attack lsp evil-lan1 490001
    until_true 10 grep -q "px-lan1: PDU from .* dropped: authentication" "$IGP/px/log"
    run px sr-lookup pid 203.0.113.1
    refute_output --partial forged
    # The made-up systems of the last test upset FRR's DIS election for a while.
    until_true 40 r1_up
}

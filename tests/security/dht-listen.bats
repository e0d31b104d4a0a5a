#!/usr/bin/env bats
# dht.listen quota exhaustion (issue 9 §9): one local client, one local
# user, or one overlay node tries to take every listen slot of a key.

load '../bats/helpers'
load helpers

ATTACK="$BATS_TEST_DIRNAME/dht_attack.py"
SECUSER=srsecdht

as_user() {
    setpriv --reuid="$(id -u $SECUSER)" --regid="$(getent group $SECUSER | cut -d: -f3)" --clear-groups "$@"
}

stat_of() { at "$1" sr-ctl call dhtd sys.stats | jq -r ".\"$2\" // 0"; }

setup_file() {
    export ADDR_BASE=234 PORT=4235
    getent group $SECUSER >/dev/null || groupadd -r $SECUSER
    id -u $SECUSER >/dev/null 2>&1 || useradd -r -g $SECUSER -M -s /usr/sbin/nologin $SECUSER
    lab_setup
    two_nodes_socket_for_group $SECUSER
}

teardown_file() { lab_teardown; }

@test "one client's 300 listens on a key leave room for another node's" {
    run "$PYTHON" "$ATTACK" listen-flood "$(node_dir 1)/run/dhtd.sock" "$(sr-lookup key hot1)" 300 \
        "$(node_dir 2)/run/dhtd.sock"
    assert_success
    assert_output "held=300 other=ok"
}

@test "an unprivileged user holds at most its share of listens" {
    run as_user "$PYTHON" "$ATTACK" listen-flood "$(node_dir 1)/run/dhtd.sock" "$(sr-lookup key hot2)" 300 -
    assert_success
    assert_output "held=256 other=skipped"
    [ "$(stat_of 1 dht.listens_refused)" -ge 44 ]
}

@test "one overlay node's 300 subscriptions to a key leave room for others" {
    local key
    key="$(sr-lookup key hot3)"
    for n in 1 2; do "$PYTHON" "$ATTACK" overlay-listen "$(node_addr $n)" "$key" 150; done
    until_true 10 bash -c "[ \$(( \$(SR_RUNTIME_DIR=$(node_dir 1)/run sr-ctl call dhtd sys.stats | jq '.\"dht.subscriptions_refused.node_key\" // 0') + \$(SR_RUNTIME_DIR=$(node_dir 2)/run sr-ctl call dhtd sys.stats | jq '.\"dht.subscriptions_refused.node_key\" // 0') )) -ge 290 ]"
    run "$PYTHON" "$ATTACK" listen-flood "$(node_dir 2)/run/dhtd.sock" "$key" 1 "$(node_dir 1)/run/dhtd.sock"
    assert_success
    assert_output "held=1 other=ok"
}

#!/usr/bin/env bats
# Attacks on who may write what in sr-dhtd's store (issue 9 §10, §1): a
# second local user and a second (forging) node try to replace or remove a
# value they did not write; an unprivileged user tries the daemons' namespaces.

load '../bats/helpers'
load helpers

ATTACK="$BATS_TEST_DIRNAME/dht_attack.py"
SECUSER=srsecdht

# as_user CMD...: runs CMD as the unprivileged test user, in its group only.
as_user() {
    setpriv --reuid="$(id -u $SECUSER)" --regid="$(getent group $SECUSER | cut -d: -f3)" --clear-groups \
        env SR_RUNTIME_DIR="$RUNDIR" "$@"
}

stat_of() { at "$1" sr-ctl call dhtd sys.stats | jq -r ".\"$2\" // 0"; }

setup_file() {
    export ADDR_BASE=229 PORT=4230
    getent group $SECUSER >/dev/null || groupadd -r $SECUSER
    id -u $SECUSER >/dev/null 2>&1 || useradd -r -g $SECUSER -M -s /usr/sbin/nologin $SECUSER
    lab_setup
    two_nodes_socket_for_group $SECUSER --ns-writer svc=$SECUSER
    export RUNDIR="$(node_dir 1)/run"
}

teardown_file() { lab_teardown; }

@test "a second local user cannot replace or remove another user's value" {
    at 1 sr-lookup put --vid 7 --secret s1 shared owner-value
    # Same name, same vid, newer: before writer identities this replaced it.
    run as_user sr-lookup put --vid 7 shared intruder-value
    assert_success
    run at 2 sr-lookup get -a shared
    assert_success
    assert_line "shared	owner-value"
    run as_user sr-lookup remove --secret guess shared
    assert_failure 77
    run at 2 sr-lookup get -a shared
    assert_line "shared	owner-value"
    # The two values carry two writers.
    [ "$(at 1 sr-lookup get -j --all shared | jq -r .writer | sort -u | wc -l)" -eq 2 ]
}

@test "a forging overlay node cannot replace or tombstone another writer's value" {
    at 1 sr-lookup put --vid 9 --secret s2 victim good-value
    local v key writer seq
    v="$(at 1 sr-lookup get -j victim)"
    key="$(sr-lookup key victim)"
    writer="$(jq -r .writer <<<"$v")"
    seq="$(jq -r .seq <<<"$v")"
    local before=$(( $(stat_of 1 dht.writer_refused) + $(stat_of 2 dht.writer_refused) ))
    for n in 1 2; do "$PYTHON" "$ATTACK" forge "$(node_addr $n)" "$key" "$writer" 9 "$seq"; done
    # Both nodes saw the forgeries (a put routed to the root, a tombstone each) and refused them.
    until_true 10 bash -c "[ \$(( \$(SR_RUNTIME_DIR=$(node_dir 1)/run sr-ctl call dhtd sys.stats | jq '.\"dht.writer_refused\" // 0') + \$(SR_RUNTIME_DIR=$(node_dir 2)/run sr-ctl call dhtd sys.stats | jq '.\"dht.writer_refused\" // 0') )) -ge $((before + 3)) ]"
    for n in 1 2; do
        run at $n sr-lookup get victim
        assert_success
        assert_output good-value
    done
    grep -q "refused a .* writer $writer" "$(node_dir 1)/log" "$(node_dir 2)/log"
    # The holder of the secret still removes it.
    run at 1 sr-lookup remove --secret s2 victim
    assert_success
}

@test "an unprivileged user cannot put into the daemons' namespaces" {
    local before
    before="$(stat_of 1 dht.ns_refused)"
    run as_user sr-lookup put plain kv-value
    assert_success
    run as_user sr-lookup put --ns obj http://origin.example/x forged-pointer
    assert_failure 77
    assert_output --partial permission
    run as_user sr-lookup put --ns topic news forged
    assert_failure 77
    [ "$(stat_of 1 dht.ns_refused)" -ge $((before + 2)) ]
    run at 1 sr-lookup get --ns obj http://origin.example/x
    assert_failure 1
    # The raw key of an obj: name with the default type kv is a kv value, not an obj one.
    # svc is granted to the user by --ns-writer svc=USER.
    run as_user sr-lookup put --ns svc granted instance
    assert_success
    # The daemon's own user (root here) may write obj.
    run at 1 sr-lookup put --ns obj http://origin.example/y pointer
    assert_success
}

@test "a node's writer key is kept in its state directory, mode 0600" {
    local f="$(node_dir 1)/state/writer.key"
    [ "$(stat -c %a "$f")" = 600 ]
    grep -q "BEGIN PRIVATE KEY" "$f"
}

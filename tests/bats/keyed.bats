#!/usr/bin/env bats
# Closed membership: with --overlay-key-file every overlay message carries an
# HMAC; a node without the key (or with another key) cannot join.

load helpers

setup_file() {
    export ADDR_BASE=90 PORT=4190
    lab_setup
    head -c 32 /dev/urandom | base64 >"$LAB/overlay.key"
    head -c 32 /dev/urandom | base64 >"$LAB/other.key"
    chmod 600 "$LAB"/*.key
    start_node 1 --overlay-key-file "$LAB/overlay.key"
    start_node 2 --overlay-key-file "$LAB/overlay.key" --join "$(node_addr 1)"
}

teardown_file() { lab_teardown; }

@test "nodes with the key form an overlay and store values" {
    run at 2 sr-lookup put secret-thing 42
    assert_success
    assert_output --regexp '	2$'
    run at 1 sr-ctl -j dht info
    [ "$(jq -r .overlay <<<"$output")" = closed ]
    [ "$(jq .leafset <<<"$output")" -eq 1 ]
}

@test "a node without the key cannot join; its messages are dropped and counted" {
    start_node_nowait 3 --join "$(node_addr 1)"
    until_true 20 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 1)/run' sr-ctl -j call dhtd sys.stats | jq '.\"overlay.auth_failures\" // 0') -ge 1 ]"
    run at 3 sr-ctl -j dht info
    [ "$(jq -r .joined <<<"$output")" = false ]
    run at 3 sr-lookup get secret-thing
    assert_failure 75
    assert_output --partial "not_ready"
    run at 1 sr-ctl -j dht info
    [ "$(jq .leafset <<<"$output")" -eq 1 ]
    grep -q "overlay is open" "$(node_dir 3)/log"
}

@test "a node with another key cannot join either" {
    start_node_nowait 4 --overlay-key-file "$LAB/other.key" --join "$(node_addr 2)"
    until_true 20 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 2)/run' sr-ctl -j call dhtd sys.stats | jq '.\"overlay.auth_failures\" // 0') -ge 1 ]"
    run at 4 sr-ctl -j dht info
    [ "$(jq -r .joined <<<"$output")" = false ]
}

@test "a short key file is a configuration error" {
    printf 'short' >"$LAB/short.key"
    run sr-dhtd -n --overlay-key-file "$LAB/short.key"
    assert_failure 78
    assert_output --partial "at least 16 bytes"
}

#!/usr/bin/env bats
# Attacks on sr-dhtd's overlay port (issue 9, items 4, 8 and 15): a flood of
# idle connections before authentication, a forged message naming many
# nodes (outbound fan-out), and values too large for one reply frame.

load '../bats/helpers'

ATTACK="$BATS_TEST_DIRNAME/dht_attacker.py"
FLOODER=127.0.0.229

setup_file() {
    export ADDR_BASE=220 PORT=4220
    lab_setup
    start_node 1 --overlay-handshake-timeout 2 --heartbeat 0.25
    start_node 2 --overlay-handshake-timeout 2 --heartbeat 0.25 --join "$(node_addr 1)"
}

teardown_file() { lab_teardown; }

stat_of() {  # stat_of NODE COUNTER
    at "$1" sr-ctl -j call dhtd sys.stats | jq ".\"$2\" // 0"
}

@test "2,000 idle connections from one address are refused or closed; peers keep working (item 4)" {
    "$PYTHON" "$ATTACK" flood "$(node_addr 1)" "$FLOODER" 2000 60 >"$LAB/flood.out" 2>&1 </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    local flood=$!
    until_true 60 grep -qs '^open 2000' "$LAB/flood.out" || { cat "$LAB/flood.out"; false; }
    # Established peers still answer, and a new node still joins through node 1.
    run at 2 sr-lookup put during-flood alive
    assert_success
    run at 1 sr-lookup get during-flood
    assert_success
    assert_output alive
    start_node 3 --overlay-handshake-timeout 2 --heartbeat 0.25 --join "$(node_addr 1)"
    run at 3 sr-lookup get during-flood
    assert_output alive
    # Every flood connection is closed: at once beyond the per-source limit,
    # the rest at the handshake deadline.
    wait "$flood"
    run cat "$LAB/flood.out"
    assert_line 'closed 2000'
    [ "$(stat_of 1 overlay.refused_per_source)" -ge 1900 ]
    [ "$(stat_of 1 overlay.handshake_timeouts)" -ge 1 ]
    [ "$(at 1 sr-ctl -j dht info | jq .overlay_refused)" -ge 1900 ]
    [ "$(at 1 sr-ctl -j dht info | jq .overlay_unauthenticated)" -eq 0 ]
}

@test "a forged row naming 256 nodes opens no more than a real row's worth of connections (item 15)" {
    local before after
    before="$(stat_of 1 overlay.connections_opened)"
    local rows
    rows="$(stat_of 1 pastry.in.row_reply)"
    run "$PYTHON" "$ATTACK" rowreply "$(node_addr 1)" "$FLOODER:4229" 127.0.0.228 256
    assert_success
    until_true 20 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 1)/run' sr-ctl -j call dhtd sys.stats | jq '.\"pastry.in.row_reply\" // 0') -gt $rows ]"
    after="$(stat_of 1 overlay.connections_opened)"
    echo "connections opened: $((after - before))"
    [ $((after - before)) -le 20 ]
    [ "$(stat_of 1 pastry.hearsay_dropped)" -ge 200 ]
}

@test "1.2 MiB of values under one key come back whole from every node (item 8)" {
    [ -S "$(node_dir 3)/run/dhtd.sock" ] || start_node 3 --overlay-handshake-timeout 2 --heartbeat 0.25 --join "$(node_addr 1)"
    run "$PYTHON" "$ATTACK" values "$(node_dir 2)/run/dhtd.sock" big-key 20 61440 seed1
    assert_success
    local n pages=()
    for n in 3 2 1; do
        run "$PYTHON" "$ATTACK" check "$(node_dir "$n")/run/dhtd.sock" big-key 20 61440 seed1
        assert_success
        assert_output --regexp '^ok '
        pages+=("${output#ok }")
        [ "$(at "$n" sr-lookup -j get --all big-key | wc -l)" -eq 20 ]
    done
    # Paged by bytes: 1.2 MiB cannot come in one reply frame.
    for n in "${pages[@]}"; do [ "$n" -ge 2 ]; done
}

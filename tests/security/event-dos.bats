#!/usr/bin/env bats
# sr-eventd under local abuse (issue 10's bounds): a subscriber that never
# reads, a publisher flooding a topic, messages over the size limit.

load '../bats/helpers'

ATTACK="$BATS_TEST_DIRNAME/event_attack.py"

setup_file() {
    export ADDR_BASE=236 PORT=4236
    lab_setup
    start_node 1
    head -c 24 /dev/urandom | base64 >"$LAB/token"
    chmod 600 "$LAB/token"
    start_eventd 1 --queue-bytes 65536 --publisher-rate 20 --topic-rate 1000000 \
        --http-listen "$HTTP" --http-token-file "$LAB/token" --http-max-streams 3
}

HTTP=127.0.0.237:8236

teardown_file() { lab_teardown; }

@test "a subscriber that does not read gets a gap, not a slower tree or a bigger daemon" {
    run "$PYTHON" "$ATTACK" slow-subscriber "$(node_dir 1)/run/eventd.sock" slow 40 60000
    echo "$output"
    assert_success
    [[ "$output" =~ ^acked\ 40\ delivered\ [0-9]+\ gaps\ [1-9] ]]
    run at 1 sr-ctl -j event stats
    [ "$(jq '."event.queue_overflows"' <<<"$output")" -gt 0 ]
}

@test "a node publishing faster than --publisher-rate gets over_quota, and the topic goes on" {
    run "$PYTHON" "$ATTACK" flood "$(node_dir 1)/run/eventd.sock" flooded 200
    echo "$output"
    assert_success
    [[ "$output" =~ ^ok\ [0-9]+\ over_quota\ [1-9][0-9]*\ other\ 0$ ]]
    # Within the rate again, publishing works.
    until_true 10 at 1 sr-lookup publish flooded "after the flood"
}

@test "a message over 64 KiB is refused with a clear error" {
    run at 1 sr-lookup publish big "$(head -c 65537 /dev/zero | tr '\0' x)"
    assert_failure 65
    assert_output --partial "too_large"
    run at 1 sr-lookup publish big "small"
    assert_success
}

@test "event streams beyond --http-max-streams get 503; streams that end give their place back" {
    local i
    for round in 1 2; do
        for i in 1 2 3; do
            curl -sN "http://$HTTP/events/s$i" >"$LAB/s$i" 2>/dev/null 3>&- &
            echo $! >"$LAB/s$i.pid"
            until_true 10 grep -q '^: sr-eventd' "$LAB/s$i"
        done
        run curl -s -w ' %{http_code}' --max-time 5 "http://$HTTP/events/s4"
        assert_output --partial '"code":"over_quota"'
        assert_output --partial ' 503'
        # Clients that go away free their slots (the next round needs them).
        for i in 1 2 3; do kill "$(cat "$LAB/s$i.pid")"; done
        until_true 20 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 1)/run' sr-ctl -j event stats | jq .subscribers) -eq 0 ]"
    done
}

@test "POST without the bearer token publishes nothing" {
    run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary forged "http://$HTTP/events/guarded"
    assert_output 401
    run curl -s -w '%{http_code}' -X POST -H 'Authorization: Bearer' --data-binary forged "http://$HTTP/events/guarded"
    assert_output --partial 401
    curl -sf -X POST -H "Authorization: Bearer $(cat "$LAB/token")" --data-binary real "http://$HTTP/events/guarded"
    run curl -s --max-time 2 "http://$HTTP/events/guarded?since=1"
    assert_line 'data: real'
    refute_line 'data: forged'
    assert_line 'id: 1'
}

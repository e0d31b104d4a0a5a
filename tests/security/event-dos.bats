#!/usr/bin/env bats
# sr-eventd under local abuse (issue 10's bounds): a subscriber that never
# reads, a publisher flooding a topic, messages over the size limit.

load '../bats/helpers'

ATTACK="$BATS_TEST_DIRNAME/event_attack.py"

setup_file() {
    export ADDR_BASE=236 PORT=4236
    lab_setup
    start_node 1
    start_eventd 1 --queue-bytes 65536 --publisher-rate 20 --topic-rate 1000000
}

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

#!/usr/bin/env bats
# The --metrics-listen endpoint is unauthenticated, as Prometheus endpoints
# are: whoever reaches it may try to hold its connections. One address gets
# at most 8; the others are refused at once, the admitted ones are cut after
# 10 s without a whole request, and a scraper from another address is
# answered all along.

load '../bats/helpers'

setup_file() {
    lab_setup
    export IP=127.0.2.21 FLOOD=127.0.2.22 SCRAPER=127.0.2.23
    mkdir -p "$LAB/d"
    mkfifo "$LAB/d/ready"
    sr-dhtd --runtime-dir "$LAB/d/run" --listen "$IP:4321" --metrics-listen "$IP:9321" \
        --ready-fd 9 9>"$LAB/d/ready" 2>>"$LAB/d/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/d/pid"
    wait_ready "$LAB/d/ready" || { cat "$LAB/d/log" >&2; return 1; }
}

teardown_file() { lab_teardown; }

stat_of() { SR_RUNTIME_DIR="$LAB/d/run" sr-ctl -j call dhtd sys.stats | jq ".\"metrics.$1\""; }

@test "slow requests from one address: 8 admitted and cut at the timeout, the rest refused, a scraper served" {
    rm -f "$BATS_TEST_TMPDIR/ready"
    "$PYTHON" "$BATS_TEST_DIRNAME/http_flood.py" "$IP:9321" --source "$FLOOD" --count 20 --mode slow \
        --expect-closed 12 --ready "$BATS_TEST_TMPDIR/ready" --duration 25 >"$BATS_TEST_TMPDIR/flood.out" 3>&- &
    local pid=$!
    until_true 15 test -s "$BATS_TEST_TMPDIR/ready"
    [ "$(stat_of connections_refused)" -eq 12 ]
    run curl -sf --max-time 5 --interface "$SCRAPER" -o /dev/null -w '%{http_code}' "http://$IP:9321/metrics"
    assert_output 200
    wait "$pid"
    [ "$(cat "$BATS_TEST_TMPDIR/flood.out")" = "closed=20 open=0" ]
    [ "$(stat_of connections_timed_out)" -ge 8 ]
}

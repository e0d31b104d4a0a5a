#!/usr/bin/env bats
# Metrics (issue 13): every daemon's counters and gauges for Prometheus,
# through sr-ctl stats (--openmetrics, --prometheus, -i) and each daemon's
# --metrics-listen endpoint. promtool lints the names, units and help lines;
# a real Prometheus server scrapes the endpoints (it asks for OpenMetrics)
# and must see what the daemons say.

load helpers

ORIGIN_PY="$SR_TESTS/origin.py"

setup_file() {
    lab_setup
    export RUN="$LAB/run" IP=127.0.2.1 ORIGIN=127.0.2.2:8302 PROM=127.0.2.9:9390
    mkdir -p "$LAB/origin" "$LAB/media"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$ORIGIN" --ready-fd 9 9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready"
    start_daemon dhtd sr-dhtd --listen "$IP:4300" --metrics-listen "$IP:9300"
    start_daemon proxd sr-proxd -t "$SR_TESTS/../../examples/topology.txt" --metrics-listen "$IP:9301"
    start_daemon cached sr-cached --listen "$IP:8300" --origin "http://$ORIGIN" --cache-dir "$LAB/cache" \
        --access-log off --metrics-listen "$IP:9302"
    start_daemon eventd sr-eventd --metrics-listen "$IP:9303"
    start_daemon streamd sr-streamd --listen "$IP:8304" --media-dir "$LAB/media" --metrics-listen "$IP:9304"
}

teardown_file() { lab_teardown; }

# start_daemon NAME BINARY [options...]: in the shared runtime directory, ready-fd waited on.
start_daemon() {
    local name=$1 bin=$2
    shift 2
    mkdir -p "$LAB/$name"
    mkfifo "$LAB/$name/ready"
    "$bin" --runtime-dir "$RUN" --ready-fd 9 "$@" 9>"$LAB/$name/ready" 2>>"$LAB/$name/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/$name/pid"
    wait_ready "$LAB/$name/ready" || { cat "$LAB/$name/log" >&2; return 1; }
}

ctl() { SR_RUNTIME_DIR="$RUN" sr-ctl "$@"; }

@test "every daemon's metrics pass promtool: from sr-ctl stats and from each endpoint" {
    curl -sf -o /dev/null "http://$IP:8300/a?size=100"   # a request, so that cache counters move
    run ctl stats --prometheus
    assert_success
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/all.prom"
    run promtool check metrics <"$BATS_TEST_TMPDIR/all.prom"
    assert_success
    # One family per metric, a sample per daemon: rpc requests of all five.
    [ "$(grep -c '^sr_rpc_requests_total{daemon=' "$BATS_TEST_TMPDIR/all.prom")" -eq 5 ]
    grep -q '^# TYPE sr_cache_hits_total counter$' "$BATS_TEST_TMPDIR/all.prom"
    grep -q '^# TYPE sr_store_bytes gauge$' "$BATS_TEST_TMPDIR/all.prom"
    grep -q '^sr_pastry_messages_in_total{daemon="sr-dhtd",type="ping"} ' "$BATS_TEST_TMPDIR/all.prom"
    grep -q '^sr_uptime_seconds{daemon="sr-proxd"} ' "$BATS_TEST_TMPDIR/all.prom"
    # A daemon named twice is asked once: no series twice, which scrapers refuse.
    run ctl stats --prometheus dhtd dhtd sr-dhtd
    assert_success
    printf '%s\n' "$output" | promtool check metrics
    for port in 9300 9301 9302 9303 9304; do
        curl -sf "http://$IP:$port/metrics" >"$BATS_TEST_TMPDIR/one.prom"
        run promtool check metrics <"$BATS_TEST_TMPDIR/one.prom"
        assert_success
    done
    # OpenMetrics: counter families without _total, units declared, # EOF last.
    run ctl stats --openmetrics cached
    assert_success
    assert_line '# TYPE sr_cache_requests counter'
    assert_line '# UNIT sr_uptime_seconds seconds'
    [ "${lines[-1]}" = "# EOF" ]
    run curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$BATS_TEST_TMPDIR/h" "http://$IP:9302/metrics"
    grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$BATS_TEST_TMPDIR/h"
}

@test "a Prometheus server scrapes every daemon and sees the values the daemons report" {
    mkdir -p "$LAB/prom"
    cat >"$LAB/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sr
    static_configs:
      - targets: ['$IP:9300', '$IP:9301', '$IP:9302', '$IP:9303', '$IP:9304']
EOF
    prometheus --config.file="$LAB/prom/prometheus.yml" --storage.tsdb.path="$LAB/prom/data" \
        --web.listen-address="$PROM" 2>>"$LAB/prom/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$LAB/prom/pid"
    until_true 30 curl -sf -o /dev/null "http://$PROM/-/ready"
    until_true 30 bash -c '[ "$(curl -sf "http://'"$PROM"'/api/v1/targets" | jq "[.data.activeTargets[] | select(.health == \"up\")] | length")" -eq 5 ]' || {
        curl -sf "http://$PROM/api/v1/targets" | jq -c '.data.activeTargets[] | {scrapeUrl, health, lastError}' >&2
        return 1
    }
    for i in 1 2 3; do curl -sf -o /dev/null "http://$IP:8300/p$i?size=10"; done
    local requests
    requests="$(ctl -j cache stats | jq .requests)"
    [ "$requests" -ge 3 ]
    # Prometheus's newest sample equals the daemon's own count, once scraped after the requests.
    until_true 15 bash -c '[ "$(curl -sf "http://'"$PROM"'/api/v1/query?query=sr_cache_requests_total" | jq -r ".data.result[0].value[1]")" = '"$requests"' ]'
    run curl -sf "http://$PROM/api/v1/query?query=sr_uptime_seconds"
    [ "$(jq '.data.result | length' <<<"$output")" -eq 5 ]
    [ "$(jq -r '[.data.result[].metric.daemon] | sort | join(",")' <<<"$output")" = "sr-cached,sr-dhtd,sr-eventd,sr-proxd,sr-streamd" ]
    kill -TERM "$(cat "$LAB/prom/pid")"
}

@test "sr-ctl stats: TSV and JSON by daemon; -i reports per-second rates of counters" {
    run ctl stats dhtd
    assert_success
    assert_line --regexp '^sr-dhtd	store\.keys	[0-9]+$'
    run ctl -j stats proxd
    [ "$(jq -rs '[.[].daemon] | unique | join(",")' <<<"$output")" = sr-proxd ]
    ( for i in $(seq 20); do curl -sf -o /dev/null "http://$IP:8300/rate$i?size=10"; sleep 0.1; done ) 3>&- &
    run ctl -j stats -i 1 -c 2 cached
    wait
    assert_success
    # Two reports; requests were made during both: the rate is positive, a gauge has none.
    [ "$(jq -s '[.[] | select(.counter == "cache.requests")] | length' <<<"$output")" -eq 2 ]
    jq -se '[.[] | select(.counter == "cache.requests") | .per_s > 0] | all' <<<"$output"
    jq -se '[.[] | select(.counter == "cache.objects") | has("per_s")] | any | not' <<<"$output"
    run ctl stats -c 2 cached
    assert_failure 64
}

@test "--metrics-listen: a bad address is 78 for -n as at start; only GET and HEAD /metrics" {
    run sr-dhtd -n --metrics-listen nonsense
    assert_failure 78
    assert_output --partial "--metrics-listen"
    run sr-dhtd -n --metrics-listen "$IP:9300"
    assert_success
    assert_line "metrics-listen=\"$IP:9300\""
    # Taken by sr-dhtd above: a configuration error, as for any listen address.
    run sr-proxd --runtime-dir "$LAB/other" -t "$SR_TESTS/../../examples/topology.txt" --metrics-listen "$IP:9300"
    assert_failure 78
    assert_output --partial "metrics: cannot listen on $IP:9300"
    run curl -s -o /dev/null -w '%{http_code}' -X POST "http://$IP:9300/metrics"
    assert_output 405
    run curl -s -o /dev/null -w '%{http_code}' "http://$IP:9300/"
    assert_output 404
    run curl -sf -I "http://$IP:9300/metrics"
    assert_success
    [ "$(ctl -j call dhtd sys.stats | jq '."metrics.scrapes"')" -ge 1 ]
}

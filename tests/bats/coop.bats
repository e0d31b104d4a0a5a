#!/usr/bin/env bats
# Three overlay routers, each with sr-dhtd, sr-proxd and sr-cached sharing a
# runtime directory: cooperative fills through replica pointers ranked by
# topology, a dead holder skipped, services resolved nearest first with
# failover, and DSCP marks seen on the wire.
#
# Topology: r1 —10— r2 —10— r3; node N's addresses (127.0.0.16N) sit on rN.

load helpers

ORIGIN_PY="$SR_TESTS/origin.py"

setup_file() {
    export ADDR_BASE=160 PORT=4160
    lab_setup
    export ORIGIN="127.0.0.160:8160"
    head -c 32 /dev/urandom | base64 >"$LAB/peer.key"  # the caches sign their requests to each other
    chmod 600 "$LAB/peer.key"
    cat >"$LAB/topo.txt" <<'EOF'
router r1 10.0.0.1
router r2 10.0.0.2
router r3 10.0.0.3
link r1 r2 10
link r2 r3 10
prefix 127.0.0.161/32 r1
prefix 127.0.0.162/32 r2
prefix 127.0.0.163/32 r3
prefix 127.0.0.166/32 r1
prefix 127.0.0.165/32 r3
EOF
    start_server origin "$ORIGIN"
    local n
    for n in 1 2 3; do
        if [ "$n" -eq 1 ]; then start_node 1; else start_node "$n" --join "$(node_addr 1)"; fi
        start_proxd "$n"
        start_cached "$n" --route "/gold/ http://$ORIGIN/ qos=gold"
    done
}

teardown_file() { lab_teardown; }

# start_server NAME ADDR [origin.py options]: an origin.py, stopped by lab_teardown.
start_server() {
    local dir="$LAB/$1"
    mkdir -p "$dir"
    rm -f "$dir/ready"
    mkfifo "$dir/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$2" --ready-fd 9 "${@:3}" 9>"$dir/ready" 2>>"$dir/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready"
}

start_proxd() {
    local dir
    dir="$(node_dir "$1")"
    rm -f "$dir/proxd-ready"
    mkfifo "$dir/proxd-ready"
    sr-proxd --runtime-dir "$dir/run" -t "$LAB/topo.txt" --ready-fd 9 9>"$dir/proxd-ready" 2>>"$dir/proxd.log" \
        </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    mkdir -p "$LAB/proxd$1"
    echo $! >"$LAB/proxd$1/pid"
    wait_ready "$dir/proxd-ready"
}

cache_addr() { echo "127.0.0.$((ADDR_BASE + $1)):8160"; }

start_cached() {
    local n=$1
    shift
    local dir
    dir="$(node_dir "$n")"
    rm -f "$dir/cached-ready"
    mkfifo "$dir/cached-ready"
    sr-cached --listen "$(cache_addr "$n")" --origin "http://$ORIGIN" --cache-dir "$dir/cache" \
        --runtime-dir "$dir/run" --access-log off --peer-key-file "$LAB/peer.key" --ready-fd 9 "$@" 9>"$dir/cached-ready" 2>>"$dir/cached.log" \
        </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    mkdir -p "$LAB/cached$n"
    echo $! >"$LAB/cached$n/pid"
    wait_ready "$dir/cached-ready"
}

stats() { at "$1" sr-ctl -j cache stats | jq ".$2"; }
count() { curl -sf "http://$ORIGIN/_count?path=$1" | jq .count; }
# Clients ask every node for the same site; the URL (and so the DHT key) is http://cdn.example.net/...
xcache() { curl -sS -o /dev/null -D - -H 'Host: cdn.example.net' "http://$(cache_addr "$1")$2" | grep -i '^X-Cache:' | tr -d '\r' | cut -d' ' -f2; }
published() { [ "$(stats "$1" replicas_published)" -ge "$2" ]; }

@test "an object fetched once by node 1 reaches nodes 2 and 3; the origin sees one request" {
    local t='/shared?size=40000&cc=max-age%3D600'
    [ "$(xcache 1 "$t")" = MISS ]
    until_true 10 published 1 1
    [ "$(xcache 2 "$t")" = PEER ]
    until_true 10 published 2 1
    # Node 3 (on r3) has two holders: node 2 (cost 10) and node 1 (cost 20). It takes node 2's copy.
    [ "$(xcache 3 "$t")" = PEER ]
    [ "$(stats 2 peer_served)" -eq 1 ]
    [ "$(stats 1 peer_served)" -eq 1 ]
    [ "$(count /shared)" -eq 1 ]
    # requests = client + peer + service requests: node 1 had one of each of the first two.
    run at 1 sr-ctl -j cache stats
    [ "$(jq '.peer_requests' <<<"$output")" -eq 1 ]
    [ "$(jq '.client_requests' <<<"$output")" -eq 1 ]
    [ "$(jq '.requests == .client_requests + .peer_requests + .service_requests' <<<"$output")" = true ]
    # Every copy has the origin's bytes.
    "$PYTHON" "$ORIGIN_PY" --body "$t" >"$BATS_TEST_TMPDIR/expected"
    for n in 1 2 3; do
        curl -sS -H 'Host: cdn.example.net' "http://$(cache_addr $n)$t" | cmp - "$BATS_TEST_TMPDIR/expected"
    done
    [ "$(xcache 3 "$t")" = HIT ]
}

@test "a client claiming to be a peer cache gets no stored copy without the peer key" {
    local t='/claimed?cc=no-cache&etag=n1'
    xcache 1 "$t"
    run curl -sS -o /dev/null -D - -H 'Host: cdn.example.net' -H 'X-SR-Peer: 1' "http://$(cache_addr 1)$t"
    refute_output --partial "PEER-HIT"
    assert_output --partial "X-Cache: REVALIDATED"
    [ "$(stats 1 peer_rejected)" -ge 1 ]
    [ "$(count /claimed)" -eq 2 ]
}

@test "a holder that died is skipped: the next holder serves, the origin is not asked" {
    local t='/twice?size=1000&cc=max-age%3D600'
    xcache 1 "$t"
    until_true 10 published 1 2
    [ "$(xcache 2 "$t")" = PEER ]
    until_true 10 published 2 2
    kill -KILL "$(cat "$LAB/cached2/pid")"
    wait_gone "$(cat "$LAB/cached2/pid")" 10
    [ "$(xcache 3 "$t")" = PEER ]  # node 2 first (nearest, refused), then node 1
    [ "$(count /twice)" -eq 1 ]
    start_cached 2 --route "/gold/ http://$ORIGIN/ qos=gold"
}

@test "a purge withdraws the replica pointer" {
    local t='/purged?cc=max-age%3D600'
    xcache 1 "$t"
    until_true 10 published 1 3
    at 1 sr-ctl cache purge "http://cdn.example.net$t"
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 1)/run' sr-ctl -j cache stats | jq .replicas_withdrawn) -ge 1 ]"
    [ "$(xcache 2 "$t")" = MISS ]
    [ "$(count /purged)" -eq 2 ]
}

@test "services: resolved nearest first, proxied, failing over to the next instance" {
    start_server svc-near1 127.0.0.166:8170
    start_server svc-near3 127.0.0.165:8170
    at 1 sr-ctl service register web http://127.0.0.166:8170/app
    at 3 sr-ctl service register web http://127.0.0.165:8170/app --qos gold
    # Only a class the cache marks, as --route qos= takes.
    run at 3 sr-ctl service register other http://127.0.0.165:8170/app --qos platinum
    assert_failure 65
    assert_output --partial "unknown QoS class \"platinum\" (bronze, gold, silver"
    run at 1 sr-ctl -j service list
    [ "$(jq -r .url <<<"$output")" = http://127.0.0.166:8170/app ]
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 2)/run' sr-lookup resolve web | wc -l) -eq 2 ]"
    run at 3 sr-lookup resolve web
    assert_success
    assert_line --index 0 --partial http://127.0.0.165:8170/app
    assert_line --index 1 --partial http://127.0.0.166:8170/app
    run at 1 sr-lookup -j resolve -n 1 web
    [ "$(jq -r .url <<<"$output")" = http://127.0.0.166:8170/app ]
    # Node 1 proxies to the instance on its own router...
    run curl -sS -D - -o /dev/null "http://$(cache_addr 1)/svc/web/hello?x=1"
    assert_output --partial "200 OK"
    [ "$(curl -sf 'http://127.0.0.166:8170/_count?path=/app/hello' | jq .count)" -eq 1 ]
    # ...and to the other one when that instance is gone.
    kill -TERM "$(cat "$LAB/svc-near1/pid")"
    wait_gone "$(cat "$LAB/svc-near1/pid")" 10
    run curl -sS -D - -o /dev/null "http://$(cache_addr 1)/svc/web/hello?x=2"
    assert_output --partial "200 OK"
    [ "$(curl -sf 'http://127.0.0.165:8170/_count?path=/app/hello' | jq .count)" -eq 1 ]
    # An instance answering 5xx is passed over too.
    start_server svc-broken 127.0.0.161:8170 --status 503
    at 2 sr-ctl service register broken http://127.0.0.161:8170
    at 2 sr-ctl service register broken http://127.0.0.165:8170/app
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$(node_dir 1)/run' sr-lookup resolve broken | wc -l) -eq 2 ]"
    run curl -sS -o /dev/null -w '%{http_code}' "http://$(cache_addr 1)/svc/broken/hello?x=3"
    assert_output 200
    [ "$(curl -sf 'http://127.0.0.161:8170/_count?path=/hello' | jq .count)" -eq 1 ]
    [ "$(at 1 sr-ctl -j cache stats | jq .service_failovers)" -ge 1 ]
    # Withdrawn: no live instance left at node 1's registration.
    run at 1 sr-ctl service withdraw web
    assert_success
    run curl -sS -o /dev/null -w '%{http_code}' "http://$(cache_addr 2)/svc/nothing/x"
    assert_output 503
}

@test "a QoS class sets the DSCP of the flow to the origin, seen on the wire" {
    command -v tcpdump >/dev/null || skip "tcpdump is not installed"
    [ "$(id -u)" -eq 0 ] || skip "capturing needs root"
    tcpdump -i lo -n -v -l -c 1 "tcp and dst host 127.0.0.160 and dst port 8160 and (tcp[tcpflags] & tcp-push != 0)" \
        >"$BATS_TEST_TMPDIR/cap" 2>"$BATS_TEST_TMPDIR/cap.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    local dump=$!
    until_true 10 grep -q "listening on" "$BATS_TEST_TMPDIR/cap.err"
    curl -sS -o /dev/null "http://$(cache_addr 1)/gold/dscp?cc=no-store"
    timeout 10 tail --pid="$dump" -f /dev/null || true
    grep -q "tos 0xb8" "$BATS_TEST_TMPDIR/cap"  # gold = EF (46) << 2
    [ "$(count /dscp)" -eq 1 ]
}

@test "sr-ctl status --all: every daemon of every node's runtime directory, from a glob or SR_RUNTIME_DIR" {
    run sr-ctl -j status --all "$LAB/n*/run"
    assert_success
    [ "$(jq -s 'length' <<<"$output")" -eq 9 ]   # sr-dhtd, sr-proxd and sr-cached on three nodes
    [ "$(jq -s '[.[] | select(.name == "sr-cached")] | length' <<<"$output")" -eq 3 ]
    [ "$(jq -rs '[.[].health] | unique | join(",")' <<<"$output")" = ok ]
    [ "$(jq -rs '[.[] | select(.socket | startswith("'"$LAB"'/n2/run/"))] | length' <<<"$output")" -eq 3 ]
    run env SR_RUNTIME_DIR="$LAB/n1/run:$LAB/n3/run" sr-ctl status --all
    assert_success
    [ "${#lines[@]}" -eq 6 ]
    run sr-ctl status "$LAB/n1/run"
    assert_failure 64
    assert_output --partial "need --all"
}

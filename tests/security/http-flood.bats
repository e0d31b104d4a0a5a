#!/usr/bin/env bats
# Connection floods against sr-cached (issue 9, item 15): one address opens
# many slow-header (slowloris) or idle keep-alive connections. Those beyond
# --max-connections-per-source are refused at once, the admitted ones are
# closed after --header-timeout / --keepalive-timeout however they trickle,
# and a client from another address is answered all along.

load '../bats/helpers'

ORIGIN_PY="$SR_TESTS/origin.py"

setup_file() {
    export ADDR_BASE=214 PORT=4214
    lab_setup
    export ORIGIN="127.0.0.214:4214" CACHE="127.0.0.215:4215" FLOOD=127.0.0.216 CLIENT=127.0.0.218
    mkdir -p "$LAB/origin" "$LAB/c"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$ORIGIN" --ready-fd 9 9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready" || { echo "the origin did not start:" >&2; cat "$LAB/origin/log" >&2; return 1; }
    mkfifo "$LAB/c/ready"
    sr-cached --listen "$CACHE" --origin "http://$ORIGIN" --cache-dir "$LAB/c/cache" --runtime-dir "$LAB/c/run" \
        --no-cooperate --access-log off --max-connections-per-source 8 --header-timeout 2 --keepalive-timeout 1 \
        --ready-fd 9 9>"$LAB/c/ready" 2>>"$LAB/c/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/c/pid"
    wait_ready "$LAB/c/ready" || { cat "$LAB/c/log" >&2; return 1; }
}

teardown_file() { lab_teardown; }

stat_of() { SR_RUNTIME_DIR="$LAB/c/run" sr-ctl -j cache stats | jq ".$1"; }
no_open_connections() { [ "$(stat_of connections_open)" -eq 0 ]; }

# flood MODE: 20 connections from $FLOOD; 12 refused at once, and the other 8
# closed by the timeouts while a client from $CLIENT is answered.
flood() {
    until_true 10 no_open_connections  # the previous test's connections are gone
    local refused0 timed0
    refused0="$(stat_of connections_refused)"
    timed0="$(stat_of connections_timed_out)"
    rm -f "$BATS_TEST_TMPDIR/ready"
    "$PYTHON" "$BATS_TEST_DIRNAME/http_flood.py" "$CACHE" --source "$FLOOD" --count 20 --mode "$1" \
        --expect-closed 12 --ready "$BATS_TEST_TMPDIR/ready" --duration 20 >"$BATS_TEST_TMPDIR/flood.out" 3>&- &
    local pid=$!
    until_true 15 test -s "$BATS_TEST_TMPDIR/ready"
    # The flood holds what it may from its address; another address is served meanwhile.
    [ "$(stat_of connections_refused)" -eq $((refused0 + 12)) ]
    run curl -sf --max-time 5 --interface "$CLIENT" -o /dev/null -w '%{http_code}' "http://$CACHE/normal"
    [ "$output" = 200 ]
    wait "$pid"
    cat "$BATS_TEST_TMPDIR/flood.out"
    # Every flood connection was closed by the cache, the admitted ones by a timeout.
    [ "$(cat "$BATS_TEST_TMPDIR/flood.out")" = "closed=20 open=0" ]
    [ "$(stat_of connections_timed_out)" -ge $((timed0 + 8)) ]
}

@test "slowloris: slow headers from one address are bounded and cut at --header-timeout" {
    flood slow
}

@test "idle keep-alive: idle connections from one address are bounded and closed at --keepalive-timeout" {
    flood idle
}

@test "--max-connections bounds all sources together: beyond it a connection is refused at once" {
    local dir="$LAB/c2"
    mkdir -p "$dir"
    mkfifo "$dir/ready"
    sr-cached --listen 127.0.0.215:4216 --origin "http://$ORIGIN" --cache-dir "$dir/cache" --runtime-dir "$dir/run" \
        --no-cooperate --access-log off --max-connections 10 --max-connections-per-source 8 --header-timeout 3 \
        --ready-fd 9 9>"$dir/ready" 2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { cat "$dir/log" >&2; return 1; }
    # 8 from one address (its own bound), then 6 from another: only 2 more fit in 10.
    "$PYTHON" "$BATS_TEST_DIRNAME/http_flood.py" 127.0.0.215:4216 --source "$FLOOD" --count 8 --mode slow \
        --ready "$BATS_TEST_TMPDIR/a" --duration 20 >"$BATS_TEST_TMPDIR/a.out" 3>&- &
    local a=$!
    until_true 10 test -s "$BATS_TEST_TMPDIR/a"
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$dir/run' sr-ctl -j cache stats | jq .connections_open) -eq 8 ]"
    "$PYTHON" "$BATS_TEST_DIRNAME/http_flood.py" 127.0.0.215:4216 --source "$CLIENT" --count 6 --mode slow \
        --expect-closed 4 --ready "$BATS_TEST_TMPDIR/b" --duration 20 >"$BATS_TEST_TMPDIR/b.out" 3>&- &
    local b=$!
    until_true 15 test -s "$BATS_TEST_TMPDIR/b"
    [ "$(SR_RUNTIME_DIR="$dir/run" sr-ctl -j cache stats | jq .connections_refused)" -eq 4 ]
    wait "$a" "$b"
    [ "$(cat "$BATS_TEST_TMPDIR/a.out")" = "closed=8 open=0" ]
    [ "$(cat "$BATS_TEST_TMPDIR/b.out")" = "closed=6 open=0" ]
}

# At --max-connections, every refused connection used to make the cache fstat()
# every open one to see which libevent had freed: with thousands open, a CPU
# amplifier. Now that pass runs at most every 100 ms.
@test "--max-connections: a burst of refused connections does not make the cache check every open one each time" {
    local dir="$LAB/c3"
    mkdir -p "$dir"
    mkfifo "$dir/ready"
    sr-cached --listen 127.0.0.215:4217 --origin "http://$ORIGIN" --cache-dir "$dir/cache" --runtime-dir "$dir/run" \
        --no-cooperate --access-log off --max-connections 40 --max-connections-per-source 40 --header-timeout 30 \
        --ready-fd 9 9>"$dir/ready" 2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { cat "$dir/log" >&2; return 1; }
    cstats() { SR_RUNTIME_DIR="$dir/run" sr-ctl -j cache stats | jq ".$1"; }
    "$PYTHON" "$BATS_TEST_DIRNAME/http_flood.py" 127.0.0.215:4217 --source "$FLOOD" --count 40 --mode slow \
        --duration 12 >"$BATS_TEST_TMPDIR/hold.out" 3>&- &
    local hold=$!
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$dir/run' sr-ctl -j cache stats | jq .connections_open) -eq 40 ]"
    local checked0 refused0
    checked0=$(cstats connections_checked)
    refused0=$(cstats connections_refused)
    # 500 connections from another address, as fast as they connect: each is refused.
    run "$PYTHON" - 127.0.0.215 4217 "$CLIENT" 500 <<'PY'
import socket, sys, time
host, port, src, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect((host, port))
    socks.append(s)
closed, deadline = 0, time.time() + 15
for s in socks:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        while s.recv(4096):
            pass
        closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
print(closed)
PY
    echo "closed by the cache: $output"
    [ "$output" -eq 500 ]
    local refused checked
    refused=$(( $(cstats connections_refused) - refused0 ))
    checked=$(( $(cstats connections_checked) - checked0 ))
    echo "refused $refused, liveness checks $checked (one pass per refusal would be at least $((500 * 40)))"
    [ "$refused" -eq 500 ]
    [ "$checked" -lt $((500 * 40 / 5)) ]
    kill "$(cat "$dir/pid")"
    wait "$hold" || true
}

@test "--max-connections above the descriptor limit is a configuration error naming it" {
    run sr-cached -n --listen "$CACHE" --origin "http://$ORIGIN" --cache-dir "$LAB/n" --max-connections 100000000
    [ "$status" -eq 78 ]
    [[ "$output" == *"--max-connections"*"RLIMIT_NOFILE"* ]]
}

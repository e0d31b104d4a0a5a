#!/usr/bin/env bats
# Issue 9 item 12: names and request targets with ESC and CR/LF must not
# forge log lines or reach the reader's terminal raw: every daemon log line
# and sr-cached's access log escape control bytes as \xHH.
load '../bats/helpers'

setup() {
    ADDR_BASE=205
    PORT=4206
    lab_setup
}

teardown() { lab_teardown; }

@test "log: an application name with ESC and CRLF is escaped in sr-dhtd's log" {
    start_node 1
    # dht.app_register logs the name; the forged "line" imitates an error.
    run at 1 sr-ctl call dhtd dht.app_register '{"app": "evil\u001b[31m\r\nsr-dhtd: error: forged"}'
    assert_success
    log="$(node_dir 1)/log"
    until_true 10 grep -qF 'application '"'"'evil\x1B[31m\x0D\x0Asr-dhtd: error: forged'"'"' registered' "$log"
    run grep -c $'\e' "$log"
    assert_output 0
    run grep -c $'\r' "$log"
    assert_output 0
    run grep -cE '^([0-9T:.Z-]+ )?sr-dhtd: error: forged' "$log"
    assert_output 0
}

@test "log: a request target with ESC is escaped in sr-cached's access log and log" {
    dir="$LAB/c"
    mkdir -p "$dir"
    mkfifo "$dir/ready"
    sr-cached --listen "127.0.0.205:$PORT" --origin "http://127.0.0.205:4207" --cache-dir "$dir/cache" \
        --runtime-dir "$dir/run" --access-log "$dir/access.log" --ready-fd 9 9>"$dir/ready" 2>>"$dir/log" \
        </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { cat "$dir/log" >&2; false; }
    "$PYTHON" - "127.0.0.205" "$PORT" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"GET /a\x1b[2Jb\x7f HTTP/1.1\r\nHost: x\x1b]0;pwned\x07\r\nConnection: close\r\n\r\n")
while s.recv(65536):
    pass
PY
    # Closing the daemon flushes the access log.
    kill -TERM "$(cat "$dir/pid")"
    wait_gone "$(cat "$dir/pid")" 10
    cat "$dir/access.log" >&2
    run grep -cF '/a\x1B[2Jb\x7F' "$dir/access.log"
    assert_output 1
    run grep -c $'\e' "$dir/access.log"
    assert_output 0
    run grep -c $'\e' "$dir/log"
    assert_output 0
}

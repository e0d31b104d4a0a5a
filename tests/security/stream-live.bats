#!/usr/bin/env bats
# sr-streamd's live inputs against senders that are not the encoder: a
# stray UDP sender on a live channel, ingest without the token, malformed,
# slow and too many ingest connections, and a body that is not MPEG-TS.

load '../bats/helpers'

A=127.0.0.233
BASE=http://$A:8238
INGEST=$A:8239

stats() { SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream stats; }
has_segments() { [ "$(curl -sf "$BASE/live/$1/ts.m3u8" | grep -c '\.ts$')" -ge "$2" ]; }

setup_file() {
    lab_setup
    mkdir -p "$LAB/media" "$LAB/run" "$LAB/s" "$LAB/f"
    ffmpeg -v error -y -f lavfi -i testsrc2=size=320x180:rate=24 -f lavfi -i sine=frequency=440:sample_rate=48000 \
        -t 6 -c:v libx264 -preset veryfast -g 24 -keyint_min 24 -sc_threshold 0 -b:v 400k -c:a aac "$LAB/title.mp4"
    head -c 32 /dev/urandom | base64 >"$LAB/token"
    chmod 600 "$LAB/token"
    mkfifo "$LAB/ready"
    sr-streamd --runtime-dir "$LAB/run" --listen "$A:8238" --media-dir "$LAB/media" --no-announce \
        --segment-seconds 2 --live "tv=udp://$A:8240" --live "pinned=udp://$A:8241?source=127.0.0.1" \
        --ingest-listen "$INGEST" --ingest-token-file "$LAB/token" \
        --ready-fd 9 9>"$LAB/ready" 2>>"$LAB/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/s/pid"
    wait_ready "$LAB/ready"
    ffmpeg -v error -re -stream_loop -1 -i "$LAB/title.mp4" -c copy -f mpegts "udp://$A:8240?pkt_size=1316" \
        2>>"$LAB/f/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$LAB/f/pid"
    until_true 30 has_segments tv 2
}

teardown_file() { lab_teardown; }

# send_from SRC PORT COUNT: COUNT datagrams of TS-looking garbage from address SRC.
send_from() {
    "$PYTHON" - "$1" "$2" "$3" <<EOF
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[3])):
    pkt = b"".join(b"\x47" + os.urandom(187) for _ in range(7))
    s.sendto(pkt, ("$A", int(sys.argv[2])))
EOF
}

@test "a second UDP sender on a live channel is dropped: the segments stay whole" {
    local before
    before=$(SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream live | jq 'select(.name == "tv") | .resyncs + .discontinuities')
    send_from 127.0.0.234 8240 500
    until_true 10 bash -c "SR_RUNTIME_DIR='$LAB/run' sr-ctl -j stream stats | jq -e '.\"stream.udp_foreign\" >= 500'"
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream live
    [ "$(jq 'select(.name == "tv") | .resyncs + .discontinuities' <<<"$output")" -eq "$before" ]
    [ "$(jq -r 'select(.name == "tv") | .state' <<<"$output")" = live ]
    # The next segment made decodes cleanly.
    local last
    last=$(curl -sf "$BASE/live/tv/ts.m3u8" | grep '\.ts$' | tail -1)
    until_true 10 bash -c "curl -sf $BASE/live/tv/ts.m3u8 | grep '\\.ts\$' | tail -1 | grep -qv '^$last\$'"
    last=$(curl -sf "$BASE/live/tv/ts.m3u8" | grep '\.ts$' | tail -1)
    run ffmpeg -v error -i "$BASE/live/tv/$last" -f null -
    assert_success
    assert_output ""
}

@test "a channel pinned to source= reads nothing from anyone else, even before it has a sender" {
    send_from 127.0.0.235 8241 200
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream live
    [ "$(jq -r 'select(.name == "pinned") | .state' <<<"$output")" = waiting ]
    [ "$(jq 'select(.name == "pinned") | .bytes_in' <<<"$output")" -eq 0 ]
}

@test "ingest without the token, with a wrong one or an empty one feeds nothing" {
    local auth
    for auth in "" "Authorization: Bearer wrong-token-of-enough-length" "Authorization: Bearer " "Authorization: Basic $(cat "$LAB/token")"; do
        run curl -s -o /dev/null -w '%{http_code}' -X POST ${auth:+-H "$auth"} --data-binary @"$LAB/title.mp4" "http://$INGEST/live/evil"
        assert_output 401
    done
    run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$LAB/title.mp4" "http://$INGEST/live/evil?token=nope"
    assert_output 401
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/evil/ts.m3u8"
    assert_output 404
    [ "$(stats | jq '."stream.ingest_unauthorized"')" -ge 5 ]
}

@test "malformed ingest requests get 400 and a close; the daemon serves on" {
    run "$PYTHON" "$SR_TESTS/../security/http_raw.py" "$INGEST" 'GARBAGE\x00\x01\r\n\r\n'
    assert_line --partial 'HTTP/1.1 400'
    assert_line closed
    run "$PYTHON" "$SR_TESTS/../security/http_raw.py" "$INGEST" "POST /live/$(head -c 6000 /dev/zero | tr '\0' a) HTTP/1.1\r\n\r\n"
    assert_line --partial 'HTTP/1.1 400'
    run "$PYTHON" "$SR_TESTS/../security/http_raw.py" "$INGEST" 'POST /live/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer '"$(cat "$LAB/token")"'\r\n\r\nzz\r\n'
    assert_line --partial 'HTTP/1.1 400'
    run "$PYTHON" "$SR_TESTS/../security/http_raw.py" "$INGEST" 'POST /vod/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n'
    assert_line --partial 'HTTP/1.1 404'
    run "$PYTHON" "$SR_TESTS/../security/http_raw.py" "$INGEST" 'GET /live/x HTTP/1.1\r\n\r\n'
    assert_line --partial 'HTTP/1.1 405'
    run curl -sf "$BASE/live/tv/ts.m3u8"
    assert_success
}

@test "a body that is not MPEG-TS makes no segment and costs nothing lasting" {
    head -c 3000000 /dev/urandom >"$LAB/noise"
    run curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$LAB/token")" \
        --data-binary @"$LAB/noise" "http://$INGEST/live/noise"
    assert_output 200
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/noise/ts.m3u8"
    assert_output 503
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream live
    [ "$(jq 'select(.name == "noise") | .held_bytes' <<<"$output")" -eq 0 ]
}

@test "ingest connections: a slow request is closed after the header timeout; at most 8 from one address" {
    # Nine connections from one address: the ninth is closed at once.
    run "$PYTHON" - "$A" 8239 <<'EOF'
import socket, sys
conns = [socket.create_connection((sys.argv[1], int(sys.argv[2]))) for _ in range(9)]
conns[8].settimeout(3)
try:
    print("ninth:", "closed" if conns[8].recv(1) == b"" else "answered")
except ConnectionResetError:
    print("ninth: closed")
except socket.timeout:
    print("ninth: open")
conns[0].settimeout(15)   # the header timeout is 10 s
try:
    print("first:", "closed" if conns[0].recv(1) == b"" else "answered")
except socket.timeout:
    print("first: open")
EOF
    assert_line 'ninth: closed'
    assert_line 'first: closed'
    # Their places are given back.
    run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary x "http://$INGEST/live/after"
    assert_output 401
}

@test "the viewers' port: a slowloris from one address is bounded (--max-connections-per-source) and cut at --header-timeout" {
    # A daemon of its own with small limits; 20 slow connections from one address.
    mkdir -p "$LAB/v" && mkfifo "$LAB/v/ready"
    sr-streamd --runtime-dir "$LAB/v/run" --listen "$A:8242" --media-dir "$LAB/media" --no-announce \
        --max-connections-per-source 8 --header-timeout 2 --keepalive-timeout 1 \
        --ready-fd 9 9>"$LAB/v/ready" 2>>"$LAB/v/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/v/pid"
    wait_ready "$LAB/v/ready"
    "$PYTHON" "$SR_TESTS/../security/http_flood.py" "$A:8242" --source 127.0.0.236 --count 20 --mode slow \
        --expect-closed 12 --ready "$LAB/v/flood-ready" --duration 20 >"$LAB/v/flood.out" 3>&- &
    local pid=$!
    until_true 15 test -s "$LAB/v/flood-ready"
    # Another address is served meanwhile.
    run curl -sf --max-time 5 --interface 127.0.0.237 -o /dev/null -w '%{http_code}' "http://$A:8242/vod/"
    assert_output 200
    wait "$pid"
    [ "$(cat "$LAB/v/flood.out")" = "closed=20 open=0" ]
    run env SR_RUNTIME_DIR="$LAB/v/run" sr-ctl -j stream stats
    [ "$(jq '."stream.connections_refused"' <<<"$output")" -ge 12 ]
    [ "$(jq '."stream.connections_timed_out"' <<<"$output")" -ge 8 ]
}

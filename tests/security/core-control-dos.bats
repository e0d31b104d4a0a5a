#!/usr/bin/env bats
# Issue 9 item 7: a read-only member of the socket group holds many control
# connections and pipelines requests without reading the answers. The daemon
# caps connections per uid, stops reading from a connection whose answers
# pile up, and root's sr-ctl keeps working.
load '../bats/helpers'

GROUP=srsec-core-grp
MEMBER=srsec-core-member

setup_file() {
    getent group "$GROUP" >/dev/null || groupadd -r "$GROUP"
    id -u "$MEMBER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin -G "$GROUP" "$MEMBER"
}

setup() {
    ADDR_BASE=203
    PORT=4204
    LAB="$(mktemp -d /tmp/sr-core-sec.XXXXXX)"
    export LAB
    chmod 0755 "$LAB"
}

teardown() {
    exec 8>&- || true
    lab_teardown
    rm -rf "$LAB"
}

@test "control socket: a read-only user's connection and output flood stays bounded" {
    start_node 1 --group "$GROUP"
    sock="$(node_dir 1)/run/dhtd.sock"
    pid="$(cat "$(node_dir 1)/pid")"
    mkfifo "$LAB/hold" "$LAB/flood.out"
    # 40 connections (the cap per uid is 32); 8 of them each send up to
    # 2 MB of sys.api requests (about 20 GB of answers) and read nothing.
    setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups \
        "$PYTHON" "$BATS_TEST_DIRNAME/core_flood.py" "$sock" 40 8 2000000 \
        <"$LAB/hold" >"$LAB/flood.out" 2>"$LAB/flood.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$LAB/flood.pid"
    exec 8>"$LAB/hold"   # the flood holds its connections until this closes
    run timeout 120 head -n1 "$LAB/flood.out"
    cat "$LAB/flood.err" >&2
    assert_output "accepted 32 refused 8"

    # Root still gets through, while all 32 connections are held.
    run at 1 sr-ctl status
    assert_success
    assert_output --partial "ok"
    run at 1 sr-ctl -j call dhtd sys.stats
    assert_success
    stats="$output"
    [ "$(jq '."rpc.connections_refused"' <<<"$stats")" -eq 8 ]
    [ "$(jq '."rpc.reads_paused"' <<<"$stats")" -ge 8 ]
    # 8 connections, each paused at 256 KiB of queued answers (plus one answer).
    buffered="$(jq '."rpc.output_buffered"' <<<"$stats")"
    echo "buffered $buffered bytes" >&2
    [ "$buffered" -lt $((8 * 1024 * 1024)) ]
    hwm_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
    echo "VmHWM $hwm_kb kB" >&2
    [ "$hwm_kb" -lt $((128 * 1024)) ]

    # Once the flood goes, its slots are free again.
    exec 8>&-
    wait_gone "$(cat "$LAB/flood.pid")" 20
    until_true 10 bash -c "SR_RUNTIME_DIR='$(node_dir 1)/run' sr-ctl -j call dhtd sys.stats | jq -e '.\"rpc.connections_open\" == 1'"
}

@test "control socket: a read-only user's unread notifications are cut off at 8 MiB" {
    start_node 1 --group "$GROUP"
    sock="$(node_dir 1)/run/dhtd.sock"
    mkfifo "$LAB/hold" "$LAB/listen.out"
    setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups \
        "$PYTHON" "$BATS_TEST_DIRNAME/core_slow_listener.py" "$sock" slow-key \
        <"$LAB/hold" >"$LAB/listen.out" 2>"$LAB/listen.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    exec 8>"$LAB/hold"
    run timeout 30 head -n1 "$LAB/listen.out"
    cat "$LAB/listen.err" >&2
    assert_output "listening"
    # 12 MB of notifications (200 values of 60 kB), none of them read: more
    # than a user other than root may leave queued (8 MiB), less than root
    # may (32 MiB), so the cut is the smaller bound's.
    head -c 60000 /dev/zero | tr '\0' x >"$LAB/value"
    for i in $(seq 1 200); do
        at 1 sr-lookup put --vid "$i" slow-key <"$LAB/value" >/dev/null
    done
    run at 1 sr-ctl -j call dhtd sys.stats
    assert_success
    [ "$(jq '."rpc.slow_clients_cut"' <<<"$output")" -eq 1 ]
    [ "$(jq '."rpc.output_buffered"' <<<"$output")" -lt $((1024 * 1024)) ]
    # Root's own listener is not the one cut: it reads its notifications.
    run at 1 sr-ctl status
    assert_success
}

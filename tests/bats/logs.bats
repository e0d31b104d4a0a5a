#!/usr/bin/env bats
# Daemon logs (issue 13): RFC 3339 timestamps when stderr is a file or a
# pipe, journald priority prefixes (and no timestamp) when stderr is the
# journal's stream, JSON lines with --log-format json.

load helpers

setup() { TMP="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/logs.XXXXXX")"; }

RFC3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

@test "a daemon's log lines start with an RFC 3339 UTC timestamp" {
    run sr-dhtd --listen nonsense --runtime-dir "$TMP/run"
    assert_failure 78
    assert_output --regexp "^$RFC3339 sr-dhtd: error: --listen nonsense"
    # The stamp is now, in UTC.
    local stamp
    stamp="$(cut -c1-16 <<<"$output")"
    [ "$stamp" = "$(date -u +%Y-%m-%dT%H:%M)" ] || [ "$stamp" = "$(date -u -d '1 minute ago' +%Y-%m-%dT%H:%M)" ]
}

@test "under journald (JOURNAL_STREAM names stderr) lines carry a priority prefix instead" {
    : >"$TMP/journal"
    JOURNAL_STREAM="$(stat -c '%d:%i' "$TMP/journal")" sr-proxd --alto-listen nonsense --runtime-dir "$TMP/run" \
        2>>"$TMP/journal" || true
    run cat "$TMP/journal"
    assert_output --regexp '^<3>sr-proxd: error: '
    refute_output --regexp "$RFC3339"
    # JOURNAL_STREAM naming another file (stderr redirected elsewhere): timestamps again.
    : >"$TMP/other"
    JOURNAL_STREAM="$(stat -c '%d:%i' "$TMP/other")" sr-proxd --alto-listen nonsense --runtime-dir "$TMP/run" \
        2>>"$TMP/journal2" || true
    run cat "$TMP/journal2"
    assert_output --regexp "^$RFC3339 sr-proxd: error: "
}

@test "--log-format json: one JSON object a line, time first, control bytes escaped" {
    mkfifo "$TMP/ready"
    sr-dhtd --log-format json --runtime-dir "$TMP/run" --listen 127.0.2.31:4331 --ready-fd 9 9>"$TMP/ready" \
        2>>"$TMP/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    local pid=$!
    wait_ready "$TMP/ready"
    SR_RUNTIME_DIR="$TMP/run" sr-ctl call dhtd dht.app_register '{"app": "evil\u001b[31m"}' >/dev/null
    kill -TERM "$pid"
    wait_gone "$pid" 10
    # Every line is an object with the four fields; the first key is time.
    jq -e -s 'length > 3 and all(.[]; (.time | test("^[0-9-]+T[0-9:.]+Z$")) and .program == "sr-dhtd"
        and (.level | IN("debug", "info", "warning", "error")) and (.message | type == "string"))' "$TMP/log"
    head -1 "$TMP/log" | grep -q '^{"time":'
    grep -q '"level":"info","message":"stopping"' "$TMP/log"
    run grep -c $'\e' "$TMP/log"
    assert_output 0
    jq -e -s 'any(.[]; .message | contains("evil\\x1B[31m"))' "$TMP/log"
    run sr-dhtd -n --log-format xml
    assert_failure 64
}

#!/usr/bin/env bats
# examples/lab (issue 13): it never leaves processes behind. `lab stop` stops
# everything it started and waits for it; a `lab cache` that fails part way
# stops what it started and leaves no PID file naming a dead process. Each
# test runs the lab in a network namespace of its own (its fixed addresses,
# 127.0.0.10-13, then collide with nothing else running).

load helpers

setup() {
    [ "$(id -u)" -eq 0 ] || skip "a network namespace needs root"
    export SR_LAB="$BATS_TEST_TMPDIR/lab"
    LAB_SH="$SR_TESTS/../../examples/lab"
}

# in_netns CMD...: CMD in a fresh network namespace with loopback up.
in_netns() { unshare --net bash -c 'ip link set lo up && "$@"' in_netns "$@"; }
lab_processes() { pgrep -f -- "$SR_LAB" || true; }

@test "lab start, then lab stop: every node stopped and waited for, no PID file left" {
    run in_netns bash -c "'$LAB_SH' start 3 && '$LAB_SH' status && '$LAB_SH' stop"
    assert_success
    assert_output --partial "lab: 3 nodes on 127.0.0.11:4100 .. 127.0.0.13:4100"
    assert_output --partial "lab: stopped"
    [ -z "$(lab_processes)" ]
    [ -z "$(ls "$SR_LAB"/node*/pid 2>/dev/null)" ]
}

@test "a lab cache that fails part way stops what it started" {
    # Something else holds node 2's cache port: sr-cached there cannot start.
    run in_netns bash -c "
        /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.12\", 8080)); s.listen(); print(\"listening\", flush=True); time.sleep(60)' \
            >'$BATS_TEST_TMPDIR/blocker' &
        blocker=\$!
        timeout 10 bash -c 'until [ -s \"\$0\" ]; do sleep 0.05; done' '$BATS_TEST_TMPDIR/blocker'
        '$LAB_SH' cache; rc=\$?
        kill \$blocker
        exit \$rc"
    assert_failure
    assert_output --partial "lab: sr-cached on node 2 did not start"
    assert_output --partial "lab: failed; stopping what this run started"
    [ -z "$(lab_processes)" ]
    # Every PID file left names a live process: none here.
    [ -z "$(ls "$SR_LAB"/*.pid "$SR_LAB"/node*/*pid 2>/dev/null)" ]
}

@test "README's MISS, then HIT works as written against the lab" {
    local line
    line="$(grep -F "curl -sI 'http://127.0.0.11:8080/page" "$SR_TESTS/../../README.md" | sed 's/ *#.*//')"
    [ -n "$line" ]
    run in_netns bash -c "'$LAB_SH' cache >/dev/null && { $line; $line; }; rc=\$?; '$LAB_SH' stop >/dev/null; exit \$rc"
    assert_success
    [ "$(tr -d '\r' <<<"$output" | paste -sd,)" = "X-Cache: MISS,X-Cache: HIT" ]
    [ -z "$(lab_processes)" ]
}

@test "sr-ctl(8)'s lab examples run as written" {
    # The block after "On the lab that examples/lab cache starts", its "$ " lines.
    awk '/^On the lab that/ { on = 1 } on && /^```/ { n++; if (n == 2) exit; next } on && n == 1 && /^\$ / { print substr($0, 3) }' \
        "$SR_TESTS/../../man/sr-ctl.8.scd" >"$BATS_TEST_TMPDIR/examples.sh"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/examples.sh")" -ge 6 ]
    unset SR_LAB  # the man page's paths: ${TMPDIR:-/tmp}/sr-lab
    export TMPDIR="$BATS_TEST_TMPDIR"
    run in_netns bash -c "cd '$SR_TESTS/../..' && set -e && source '$BATS_TEST_TMPDIR/examples.sh'"
    assert_success
    assert_output --partial "X-Cache: MISS"
    assert_output --partial "hello"
    assert_output --partial "cache.requests"
    assert_output --partial "lab: stopped"
    SR_LAB="$TMPDIR/sr-lab"
    [ -z "$(lab_processes)" ]
}

#!/usr/bin/env bats
# Route path traversal against sr-cached (issue 9, item 5): with
# --route "/img/ http://origin/images/", /img/../admin/secret (and its
# percent-encoded forms) must not become /images/../admin/secret, nor
# /admin/secret, on the origin. Dot-segments are removed before routing (so
# the request is /admin/secret, which no route serves here); encoded slashes,
# backslashes, a climb above the root and a prefix that would join into a
# dot-segment are refused with 400. The origin records every byte.

load '../bats/helpers'
load helpers

setup_file() {
    export ADDR_BASE=217 PORT=4217
    lab_setup
    export ORIGIN="127.0.0.217:4217" CACHE="127.0.0.219:4219"
    start_recording_origin "$ORIGIN"
    start_test_cache --listen "$CACHE" --route "/img/ http://$ORIGIN/images/" --route "/pic http://$ORIGIN/pictures/" \
        --access-log "$LAB/c/access.log"
}

teardown_file() { lab_teardown; }

marker_seen() { grep -q "GET /images/marker-$1 " "$RECORD"; }

# attack STATUS TARGET: answered STATUS, and the origin sees only the marker after it.
attack() {
    : >"$RECORD"
    run "$PYTHON" "$BATS_TEST_DIRNAME/http_raw.py" "$CACHE" "GET $2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    echo "$output"
    [[ "${lines[0]}" == "HTTP/1.1 $1 "* ]]
    curl -sf -o /dev/null "http://$CACHE/img/marker-$BATS_TEST_NUMBER"
    until_true 10 marker_seen "$BATS_TEST_NUMBER"
    cat "$RECORD"
    [ "$(grep -ac '^GET /' "$RECORD")" -eq 1 ]
    ! grep -aq 'admin' "$RECORD"
}

@test "the route works: /img/a.png is /images/a.png on the origin" {
    : >"$RECORD"
    run curl -sf "http://$CACHE/img/a.png"
    [ "$output" = ok ]
    grep -aq '^GET /images/a.png HTTP/1.1' "$RECORD"
}

@test "traversal: /img/../admin/secret is /admin/secret, which no route serves (404)" {
    attack 404 '/img/../admin/secret'
}

@test "traversal: percent-encoded dot-segments (%2e%2e, .%2E) are dot-segments too" {
    attack 404 '/img/%2e%2e/admin/secret'
    attack 404 '/img/.%2E/admin/secret'
    attack 404 '/img/x/%2E%2e/%2e%2e/admin/secret'
}

@test "traversal: encoded slash (..%2f), encoded and plain backslash are refused (400)" {
    attack 400 '/img/..%2fadmin/secret'
    attack 400 '/img/..%2Fadmin/secret'
    attack 400 '/img/..%5cadmin/secret'
    attack 400 '/img/..\\admin/secret'
}

@test "traversal: climbing above the root is refused (400)" {
    attack 400 '/../admin/secret'
    attack 400 '/img/../../admin/secret'
}

@test "traversal: a prefix ending inside a segment cannot join into a dot-segment (400)" {
    attack 400 '/pic../admin/secret'
}

@test "dot-segments inside the route are resolved: the origin and the cache key see the normalised path" {
    : >"$RECORD"
    run curl -sf --path-as-is "http://$CACHE/img/x/./y/../b.png"
    [ "$output" = ok ]
    grep -aq '^GET /images/x/b.png HTTP/1.1' "$RECORD"
    until_true 5 grep -q "GET http://$CACHE/img/x/b.png 200" "$LAB/c/access.log"
    [ "$(SR_RUNTIME_DIR="$LAB/c/run" sr-ctl -j cache stats | jq .bad_targets)" -ge 7 ]
}

#!/usr/bin/env bats
# The store is its owner's alone (issue 9, item 11): it holds bodies and the
# request fields responses vary on (an Authorization value, here). Under a
# usual umask every directory is 0700 and every file 0600, a store left
# readable by an older version is tightened at start, and an unprivileged
# user can read nothing of it.

load '../bats/helpers'

ORIGIN_PY="$SR_TESTS/origin.py"
USER_NAME=sr-http-perms

setup_file() {
    export ADDR_BASE=212 PORT=4212
    lab_setup
    export ORIGIN="127.0.0.212:4212" CACHE="127.0.0.213:4213"
    id "$USER_NAME" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$USER_NAME"
    # Not under $LAB (0700 by mktemp, which would hide the store anyway): a traversable place.
    export TOP
    TOP="$(mktemp -d /tmp/sr-http-perms.XXXXXX)"
    chmod 0755 "$TOP"
    mkdir -p "$LAB/origin"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$ORIGIN" --ready-fd 9 9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready" || { echo "the origin did not start:" >&2; cat "$LAB/origin/log" >&2; return 1; }
}

teardown_file() {
    lab_teardown
    rm -rf "$TOP"
}

start_cached() {
    mkdir -p "$LAB/c"
    rm -f "$LAB/c/ready"
    mkfifo "$LAB/c/ready"
    (umask 022; exec sr-cached --listen "$CACHE" --origin "http://$ORIGIN" --cache-dir "$TOP/cache" \
        --runtime-dir "$LAB/c/run" --no-cooperate --access-log "$TOP/access.log" --ready-fd 9 9>"$LAB/c/ready" \
        2>>"$LAB/c/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&-) &
    echo $! >"$LAB/c/pid"
    wait_ready "$LAB/c/ready" || { cat "$LAB/c/log" >&2; return 1; }
}
stop_cached() {
    [ -f "$LAB/c/pid" ] || return 0
    kill -TERM "$(cat "$LAB/c/pid")" 2>/dev/null || true
    wait_gone "$(cat "$LAB/c/pid")" 10
}

# Everything under the store: directories 0700, files 0600 (listed when not).
modes_tight() {
    local loose
    loose="$(find "$TOP/cache" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) -printf '%m %p\n')"
    [ -z "$loose" ] || { echo "loose: $loose" | head -20; return 1; }
}

# The unprivileged user finds no stored body nor the stored Authorization value.
unreadable_by_others() {
    local obj
    obj="$(grep -rl 'secret-bearer-token' "$TOP/cache/objects" | head -1)"
    [ -n "$obj" ]  # root sees it: the object is there
    run setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --clear-groups cat "$obj"
    [ "$status" -ne 0 ]
    run setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --clear-groups grep -rls 'secret-bearer-token' "$TOP/cache"
    [ -z "$output" ]
}

@test "a new store under umask 022: dirs 0700, files 0600, nothing readable by another user" {
    start_cached
    local t='/private-body?size=300&cc=public%2C%20max-age%3D300&vary=Authorization'
    run curl -sf -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer secret-bearer-token' "http://$CACHE$t"
    [ "$output" = 200 ]
    run curl -sf -D - -o /dev/null -H 'Authorization: Bearer secret-bearer-token' "http://$CACHE$t"
    grep -qi '^X-Cache: HIT' <<<"$output"  # it was stored
    modes_tight
    unreadable_by_others
    [ "$(stat -c %a "$TOP/access.log")" = 600 ]  # it names the client and the URL
    stop_cached
}

@test "a store left 0755/0644 by an older version is tightened at start" {
    stop_cached
    chmod -R u=rwX,go=rX "$TOP/cache"
    [ "$(stat -c %a "$TOP/cache/objects")" = 755 ]
    find "$TOP/cache/objects" -type f -perm 0644 | grep -q .
    start_cached
    modes_tight
    unreadable_by_others
    stop_cached
}

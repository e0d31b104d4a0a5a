#!/usr/bin/env bats
# Cache poisoning through the DHT (issue 9, items 1 and 6). A cache serves a
# peer's body only when the replica pointer naming that peer is signed with
# the deployment's peer key and the body the peer sends has the SHA-256 and
# size the pointer promises; without a peer key cooperation is off unless
# --open-cooperation says otherwise, and an X-SR-Peer mark is never trusted.
#
# Nodes 1 and 2: sr-dhtd + sr-cached sharing a peer key. Node 3: an overlay
# member of this open overlay run by the attacker, with an HTTP server of its
# own on 127.0.0.248. Node 4: sr-dhtd + sr-cached without a peer key. On
# 127.0.0.247, a holder with the peer key that misbehaves (fake_holder.py).

load '../bats/helpers'

ORIGIN_PY="$SR_TESTS/origin.py"
FORGE="$BATS_TEST_DIRNAME/forge_record.py"
HOLDER="$BATS_TEST_DIRNAME/fake_holder.py"

setup_file() {
    export ADDR_BASE=240 PORT=4240
    lab_setup
    export ORIGIN="127.0.0.249:4249" ATTACKER="127.0.0.248:4248" HOLDER_AT="127.0.0.247:4247"
    (umask 077 && head -c 32 /dev/urandom | base64 >"$LAB/peer.key")
    mkdir -p "$LAB/origin" "$LAB/attacker/www"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$ORIGIN" --ready-fd 9 9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready" || { echo "the origin did not start:" >&2; cat "$LAB/origin/log" >&2; return 1; }
    # The attacker's server answers every path with its own body.
    printf 'FORGED BODY\n' >"$LAB/attacker/forged"
    for p in ready poison unkeyed; do cp "$LAB/attacker/forged" "$LAB/attacker/www/$p"; done
    "$PYTHON" -m http.server --bind "${ATTACKER%:*}" --directory "$LAB/attacker/www" "${ATTACKER#*:}" \
        2>>"$LAB/attacker/log" >/dev/null </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/attacker/pid"
    until_true 10 curl -sf -o /dev/null "http://$ATTACKER/ready"
    start_node 1
    start_node 2 --join "$(node_addr 1)"
    start_node 3 --join "$(node_addr 1)"
    start_node 4 --join "$(node_addr 1)"
    mkdir -p "$LAB/holder"
    mkfifo "$LAB/holder/ready"
    "$PYTHON" "$HOLDER" --listen "$HOLDER_AT" --key-file "$LAB/peer.key" --ready-fd 9 9>"$LAB/holder/ready" \
        2>>"$LAB/holder/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/holder/pid"
    wait_ready "$LAB/holder/ready" || { cat "$LAB/holder/log" >&2; return 1; }
    start_cached 1 --peer-key-file "$LAB/peer.key"
    start_cached 2 --peer-key-file "$LAB/peer.key"
    start_cached 4
}

teardown_file() { lab_teardown; }

cache_addr() { echo "127.0.0.$((ADDR_BASE + $1)):8240"; }

start_cached() {
    local n=$1 dir
    shift
    dir="$(node_dir "$n")"
    rm -f "$dir/cached-ready"
    mkfifo "$dir/cached-ready"
    sr-cached --listen "$(cache_addr "$n")" --origin "http://$ORIGIN" --cache-dir "$dir/cache" \
        --runtime-dir "$dir/run" --access-log off --ready-fd 9 "$@" 9>"$dir/cached-ready" 2>>"$dir/cached.log" \
        </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    mkdir -p "$LAB/cached$n"
    echo $! >"$LAB/cached$n/pid"
    wait_ready "$dir/cached-ready" || { cat "$dir/cached.log" >&2; return 1; }
}

stats() { at "$1" sr-ctl -j cache stats | jq ".$2"; }
count() { curl -sf "http://$ORIGIN/_count?path=$1" | jq .count; }
url() { echo "http://cdn.example.net$1"; }
get() { curl -sS -D "$BATS_TEST_TMPDIR/head" -H "Host: cdn.example.net" "${@:3}" "http://$(cache_addr "$1")$2"; }
xcache() { grep -i '^X-Cache:' "$BATS_TEST_TMPDIR/head" | tr -d '\r' | cut -d' ' -f2; }
expected() { "$PYTHON" "$ORIGIN_PY" --body "$1"; }
published() { [ "$(stats "$1" replicas_published)" -ge "$2" ]; }
security() { at "$1" sr-ctl -j status | jq -r 'select(.name == "sr-cached") | .security'; }
attacker_asked() { grep -q "GET /$1" "$LAB/attacker/log"; }

@test "a replica pointer forged by an overlay member is ignored: the origin's body is served" {
    local t='/poison?cc=max-age%3D600'
    # The attacker's node stores pointers naming its server, the forged body's digest and size
    # included: one unsigned, one with a made-up mac.
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" obj "$(url "$t")" "$ATTACKER" "$LAB/attacker/forged"
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" obj "$(url "$t")" "$ATTACKER" "$LAB/attacker/forged" \
        "$(printf '%064d' 0)"
    # Node 2 sees both pointers in the DHT...
    run at 2 sr-lookup -j get --all --ns obj "$(url "$t")"
    [ "${#lines[@]}" -eq 2 ]
    # ...and fills from the origin all the same.
    get 2 "$t" >"$BATS_TEST_TMPDIR/body"
    expected "$t" | cmp - "$BATS_TEST_TMPDIR/body"
    [ "$(xcache)" = MISS ]
    [ "$(stats 2 records_rejected)" -ge 2 ]
    [ "$(count /poison)" -eq 1 ]
    ! attacker_asked poison
    [ "$(security 2)" = "cooperation peer key" ]
}

@test "a holder whose stored body no longer matches its pointer is not believed" {
    local t='/tampered?size=100000&cc=max-age%3D600'
    get 1 "$t" >/dev/null
    [ "$(xcache)" = MISS ]
    until_true 10 published 1 1
    # The holder's copy changes on disk, size kept: its signed pointer still promises the old digest.
    # An object file starts with its body (store_format.hpp).
    local file f
    for f in $(find "$(node_dir 1)/cache" -type f); do
        [ "$(head -c 11 "$f")" = "0 /tampered" ] && file="$f"
    done
    [ -n "$file" ]
    printf 'X' | dd of="$file" bs=1 count=1 conv=notrunc status=none
    get 2 "$t" >"$BATS_TEST_TMPDIR/body"
    expected "$t" | cmp - "$BATS_TEST_TMPDIR/body"
    [ "$(xcache)" = MISS ]
    [ "$(stats 2 peer_bodies_rejected)" -ge 1 ]
    [ "$(count /tampered)" -eq 2 ]
    # The copy node 2 stored is the origin's.
    get 2 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = HIT ]
}

@test "an untampered holder still serves its peers" {
    local t='/honest?size=100000&cc=max-age%3D600'
    get 1 "$t" >/dev/null
    until_true 10 published 1 2
    get 2 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = PEER ]
    [ "$(count /honest)" -eq 1 ]
}

# point_to_fake_holder TARGET: a signed pointer to the fake holder for TARGET, put by node 3.
point_to_fake_holder() {
    local hex
    hex="$("$PYTHON" "$HOLDER" --pointer "$(url "$1")" "$HOLDER_AT" "$1" --key-file "$LAB/peer.key")"
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" raw obj "$(url "$1")" "$hex"
}

@test "the fake holder speaks the protocol: its honest answer is taken (PEER)" {
    local t='/honest-1?size=5000'
    point_to_fake_holder "$t"
    get 2 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = PEER ]
    [ "$(count /honest-1)" -eq 0 ]
}

@test "a holder whose answer's fields were altered after signing is not believed (no longer life)" {
    local t='/alter-1?size=5000&cc=max-age%3D60'
    point_to_fake_holder "$t"
    local before
    before="$(stats 2 peer_bodies_rejected)"
    get 2 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = MISS ]
    [ "$(count /alter-1)" -eq 1 ]
    [ "$(stats 2 peer_bodies_rejected)" -gt "$before" ]
    # The stored copy is the origin's: max-age=60, not the year the attacker sent.
    run at 2 sr-ctl -j cache stat "$(url "$t")"
    assert_success
    [ "$(jq -r .lifetime <<<"$output")" -eq 60 ]
}

@test "a holder that breaks off mid-body: the fill goes on to the origin, the client gets the whole body" {
    local t='/truncate-1?size=300000&cc=max-age%3D600'
    point_to_fake_holder "$t"
    get 2 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = MISS ]
    [ "$(count /truncate-1)" -eq 1 ]
}

@test "a service descriptor forged by an overlay member sends no request anywhere (no SSRF through /svc/)" {
    # The attacker points the service "admin" at an address of its choosing.
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" svc admin "http://$ATTACKER/ssrf"
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" svc admin "http://$ATTACKER/ssrf" "$(printf '%064d' 0)"
    run at 2 sr-lookup -j get --all --ns svc admin
    [ "${#lines[@]}" -eq 2 ]
    local before
    before="$(stats 2 records_rejected)"
    run curl -sS -o /dev/null -w '%{http_code}' "http://$(cache_addr 2)/svc/admin/secrets"
    [ "$output" = 503 ]
    [ "$(stats 2 records_rejected)" -ge $((before + 2)) ]
    ! attacker_asked ssrf
    run at 2 sr-lookup resolve admin
    [ "$status" -ne 0 ]
}

@test "without a peer key cooperation is off, says so, and forged pointers are not followed" {
    [ "$(security 4)" = "cooperation off" ]
    local t='/unkeyed?cc=max-age%3D600'
    at 3 "$PYTHON" "$FORGE" "$(node_dir 3)/run/dhtd.sock" obj "$(url "$t")" "$ATTACKER" "$LAB/attacker/forged"
    get 4 "$t" | cmp <(expected "$t") -
    [ "$(xcache)" = MISS ]
    ! attacker_asked unkeyed
    grep -q 'cooperation off' "$(node_dir 4)/cached.log"
    run at 4 sr-ctl status
    assert_output --regexp "sr-cached.*cooperation off"
}

@test "--open-cooperation is the operator's explicit choice, and sr-ctl status says so" {
    kill -TERM "$(cat "$LAB/cached4/pid")"
    wait_gone "$(cat "$LAB/cached4/pid")" 10
    start_cached 4 --open-cooperation
    [ "$(security 4)" = "cooperation open" ]
    grep -q 'taken on trust' "$(node_dir 4)/cached.log"
    kill -TERM "$(cat "$LAB/cached4/pid")"
    wait_gone "$(cat "$LAB/cached4/pid")" 10
    start_cached 4
}

@test "without a peer key, X-SR-Peer: 1 is an ordinary request: a must-revalidate copy is revalidated" {
    local t='/private?cc=must-revalidate,max-age%3D0&etag=p1'
    get 4 "$t" -H 'Authorization: Basic dXNlcjpwYXNz' >/dev/null
    [ "$(count /private)" -eq 1 ]
    get 4 "$t" -H 'X-SR-Peer: 1' >/dev/null
    [ "$(xcache)" != PEER-HIT ]
    [ "$(count /private)" -eq 2 ]
    [ "$(stats 4 peer_rejected)" -ge 1 ]
}

#!/usr/bin/env bats
# sr-eventd's HTTP face (--http-listen): Server-Sent Events read with curl
# and with Chromium, publishing with POST, reconnects with Last-Event-ID,
# bearer tokens, CORS; on a closed overlay (--overlay-key-file).
# Three nodes: streams read from node 2 and publishes go to node 1, so a
# topic's root is often on a third node and replays come over the overlay.

load helpers

PAGE=127.0.0.1:8149  # the origin of the browser test's page
NODE2=(--http-listen "127.0.0.142:8140" --http-cors-origin https://app.example --http-cors-origin "http://$PAGE")

http_addr() { echo "127.0.0.$((ADDR_BASE + $1)):8140"; }
url() { echo "http://$(http_addr "$1")/events/$2"; }

# wait_events FILE N: until FILE holds N events with an id.
wait_events() { until_true 20 bash -c "[ \$(grep -c '^id: ' '$1') -ge $2 ]"; }

# stream N TOPIC OUT [curl options...]: curl reading TOPIC's stream from node N into OUT.
stream() {
    local n=$1 topic=$2 out=$3
    shift 3
    curl -sN "$@" "$(url "$n" "$topic")" >"$out" 2>/dev/null 3>&- &
    echo $! >"$out.pid"
    until_true 10 grep -q '^: sr-eventd' "$out"  # the stream is open: subscribed
}

publish() { curl -sf -X POST --data-binary "$3" "$(url "$1" "$2")"; }

setup_file() {
    export ADDR_BASE=140 PORT=4140
    lab_setup
    head -c 24 /dev/urandom | base64 >"$LAB/token"
    chmod 600 "$LAB/token"
    # A closed overlay: sr-eventd needs nothing for it, its messages travel
    # inside sr-dhtd's authenticated frames.
    head -c 32 /dev/urandom | base64 >"$LAB/overlay.key"
    chmod 600 "$LAB/overlay.key"
    start_node 1 --overlay-key-file "$LAB/overlay.key"
    start_node 2 --overlay-key-file "$LAB/overlay.key" --join "$(node_addr 1)"
    start_node 3 --overlay-key-file "$LAB/overlay.key" --join "$(node_addr 1)"
    start_eventd 1 --http-listen "$(http_addr 1)"
    start_eventd 2 "${NODE2[@]}"
    start_eventd 3 --http-listen "$(http_addr 3)" --http-token-file "$LAB/token" --http-max-streams 3
}

teardown_file() { lab_teardown; }

@test "GET /events/TOPIC streams what POST publishes: ids are sequence numbers, lines are data lines" {
    stream 2 news "$LAB/news"
    run publish 1 news 'first'
    assert_success
    assert_output '{"topic":"news","seq":1}'
    publish 3 news $'two\nlines' >/dev/null || true   # node 3 wants a token: refused
    publish 1 news $'two\r\nlines' >/dev/null
    wait_events "$LAB/news" 2
    kill "$(cat "$LAB/news.pid")"
    run cat "$LAB/news"
    assert_output "$(printf ': sr-eventd news\n\nid: 1\nevent: message\ndata: first\n\nid: 2\nevent: message\ndata: two\ndata: lines')"
}

@test "a reconnect with Last-Event-ID misses nothing published meanwhile, and repeats nothing" {
    stream 2 replay "$LAB/r1"
    for m in a b; do publish 1 replay "$m" >/dev/null; done
    wait_events "$LAB/r1" 2
    kill "$(cat "$LAB/r1.pid")"
    for m in c d; do publish 1 replay "$m" >/dev/null; done   # while disconnected
    stream 2 replay "$LAB/r2" -H 'Last-Event-ID: 2'
    publish 1 replay e >/dev/null
    wait_events "$LAB/r2" 3
    kill "$(cat "$LAB/r2.pid")"
    run grep -E '^(id|data):' "$LAB/r2"
    assert_output "$(printf 'id: 3\ndata: c\nid: 4\ndata: d\nid: 5\ndata: e')"
    # ?since=N does the same for clients that cannot set headers.
    run curl -s --max-time 2 "$(url 2 replay)?since=4"
    assert_line 'data: d'
    assert_line 'data: e'
    refute_line 'data: c'
}

@test "a new stream starts with the topic's retained message, without an id" {
    curl -sf -X POST --data-binary 'on' "$(url 1 state)?retain=1" >/dev/null
    publish 1 state 'chatter' >/dev/null
    run curl -s --max-time 2 "$(url 2 state)"
    assert_output "$(printf ': sr-eventd state\n\nevent: retained\ndata: on')"
}

@test "with a token file, POST needs the bearer token" {
    run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary x "$(url 3 guarded)"
    assert_output 401
    run curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer wrong' --data-binary x "$(url 3 guarded)"
    assert_output 401
    run curl -s -X POST -H "Authorization: Bearer $(cat "$LAB/token")" --data-binary x "$(url 3 guarded)"
    assert_output '{"topic":"guarded","seq":1}'
}

@test "CORS headers for the configured origins only, and the preflight" {
    run curl -s -D - -o /dev/null -X POST -H 'Origin: https://app.example' --data-binary x "$(url 2 cors)"
    assert_line --partial 'Access-Control-Allow-Origin: https://app.example'
    run curl -s -D - -o /dev/null -X POST -H 'Origin: https://evil.example' --data-binary x "$(url 2 cors)"
    refute_line --partial 'Access-Control-Allow-Origin'
    run curl -s -D - -o /dev/null -X POST -H 'Origin: https://app.example' --data-binary x "$(url 1 cors)"
    refute_line --partial 'Access-Control-Allow-Origin'   # node 1 has no --http-cors-origin
    run curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: https://app.example' "$(url 2 cors)"
    assert_line --partial '204'
    assert_line --partial 'Access-Control-Allow-Headers: Authorization, Content-Type, Last-Event-ID'
}

@test "bad requests get a status and a JSON error" {
    run curl -s -w ' %{http_code}' -X POST --data-binary @<(head -c 70000 /dev/zero) "$(url 1 big)"
    assert_output --partial 413
    run curl -s -w ' %{http_code}' "http://$(http_addr 1)/elsewhere"
    assert_output '{"code":"not_found","message":"the paths are /events/TOPIC"}
 404'
    run curl -s -w ' %{http_code}' -X POST --data-binary x "$(url 1 "$(printf 'x%.0s' {1..300})")"
    assert_output --partial '"code":"invalid_params"'
    assert_output --partial ' 400'
    run curl -s -w ' %{http_code}' -X DELETE "$(url 1 news)"
    assert_output --partial ' 405'
    run curl -s -w ' %{http_code}' -H 'Last-Event-ID: yesterday' "$(url 1 news)"
    assert_output --partial ' 400'
}

@test "a browser's EventSource (Chromium) reconnects by itself after sr-eventd restarts, and misses nothing" {
    export -f start_eventd wait_ready node_dir
    local pid="$LAB/e2/pid" topic i
    # A topic whose root is not node 2: while a root's sr-eventd is down,
    # its topic cannot take publishes (sr-eventd(8), LIMITS).
    for i in $(seq 1 50); do
        topic="tv$i"
        [ "$(at 1 sr-lookup route --ns topic "$topic" | tail -n 1 | cut -f4)" != "$(node_addr 2)" ] && break
    done
    run node "$SR_TESTS/../browser/sse_reconnect.mjs" --page "$PAGE" --stream "$(url 2 "$topic")" \
        --publish-other "$(url 1 "$topic")" \
        --stop-cmd "kill -TERM \$(cat $pid); while kill -0 \$(cat $pid) 2>/dev/null; do sleep 0.1; done" \
        --start-cmd "start_eventd 2 ${NODE2[*]} >/dev/null"
    echo "$output"
    assert_success
    assert_output --partial '"messages":[["1","m1"],["2","m2"],["3","m3"],["4","m4"],["5","m5"]]'
}

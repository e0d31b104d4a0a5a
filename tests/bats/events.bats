#!/usr/bin/env bats
# sr-eventd on a 16-node lab (sr-dhtd and sr-eventd on each node): Scribe
# trees built through sr-dhtd's application API deliver every acknowledged
# message once, in order, through the death of an interior node and of the
# topic's root.
load helpers

OPTS=(--heartbeat 0.2)

# Node ids chosen so that the tree of "lab-topic" has interior nodes: with
# 16 nodes and a full leaf set every node would reach the root in one hop.
# The leaf sets hold 4 nodes; node 15 is the topic's root, nodes 9, 11 and 13
# share only its first digit, so a subscriber's hop towards the key usually
# goes through one of them. Subscribers (even nodes) sit far from the key on
# the ring, publishers (1, 3, 5, 7) next to it.
lab_id() {
    local n=$1 key rest
    key=$(sr-lookup key --ns topic lab-topic)
    rest=$(printf 'node %s' "$n" | sha256sum | cut -c1-30)
    case $n in
        15) echo "${key:0:30}00" ;;
        9) echo "13$rest" ;;
        11) echo "15$rest" ;;
        13) echo "1e$rest" ;;
        1) echo "0e$rest" ;;
        3) echo "0f$rest" ;;
        5) echo "2$rest"f ;;
        7) echo "3$rest"f ;;
        *) local digits=(5 6 7 8 9 b c d); echo "${digits[$((n / 2 - 1))]}$rest"f ;;
    esac
}

setup_file() {
    export ADDR_BASE=180 PORT=4180
    lab_setup
    local opts=("${OPTS[@]}" --leaf-set-size 4 --replicas 3)
    start_node 1 "${opts[@]}" --id "$(lab_id 1)"
    for n in $(seq 2 16); do
        start_node "$n" "${opts[@]}" --id "$(lab_id "$n")" --join "$(node_addr $((RANDOM % (n - 1) + 1)))"
    done
    for n in $(seq 1 16); do start_eventd "$n" "${OPTS[@]}"; done
}

teardown_file() { lab_teardown; }

@test "publish and subscribe from the shell" {
    at 3 sr-lookup subscribe --since 1 -n 2 shell-topic >"$LAB/sub.out" 2>"$LAB/sub.err" 3>&- &
    local sub=$!
    run at 5 sr-lookup publish shell-topic "first message"
    assert_success
    assert_output "shell-topic	1"
    printf 'second\n' | at 7 sr-lookup publish shell-topic
    timeout 30 tail --pid="$sub" -f /dev/null
    cat "$LAB/sub.err" >&2
    run cat "$LAB/sub.out"
    assert_line -n 0 "shell-topic	1	first message"
    assert_line -n 1 "shell-topic	2	second"
}

@test "at the topic's root, a message published just after event.subscribe answers reaches the new subscriber" {
    # A node of its own (its own overlay): the root of every topic, with no
    # replica to wait for, so a publish there is numbered and delivered at
    # once, ahead of the new subscription's fetch still on its way through
    # sr-dhtd. The fetch's answer must not make it count as older than the
    # subscription.
    start_node 17 "${OPTS[@]}"
    start_eventd 17 "${OPTS[@]}"
    cat >"$LAB/at_root.py" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SR_TESTS"])
from sr_rpc import Rpc
path = sys.argv[1]
pub = Rpc(path)
pub.call("event.publish", topic="at-root", payload=b"the root state")
for i in range(20):
    sub = Rpc(path)
    sub.call("event.subscribe", topics=["at-root"])
    seq = pub.call("event.publish", topic="at-root", payload=b"after %d" % i)["seq"]
    while not any(m[1] == "event.message" and m[2][0]["seq"] == seq for m in sub.notifications):
        data = sub.sock.recv(1 << 20)
        if not data:
            sys.exit("sr-eventd closed the subscriber")
        sub.unpacker.feed(data)
        sub.notifications.extend(m for m in sub.unpacker if m[0] == 2)
    sub.close()
print("ok")
PY
    run timeout 30 env SR_TESTS="$SR_TESTS" "$PYTHON" "$LAB/at_root.py" "$(node_dir 17)/run/eventd.sock"
    assert_success
    assert_output ok
    run at 17 sr-ctl -j event stats
    [ "$(jq '."event.published_locally"' <<<"$output")" -ge 20 ]
}

@test "a node stopped cleanly and started again carries its topics' numbering and replay buffer on" {
    # Alone in its overlay, so no replica holds the state: only the file
    # sr-eventd writes in --state-dir on a clean stop can bring it back.
    local state="$LAB/e18/state"
    start_node 18 "${OPTS[@]}"
    start_eventd 18 "${OPTS[@]}" --state-dir "$state"
    for m in one two three; do at 18 sr-lookup publish restart-topic "$m" >/dev/null; done
    signal_node TERM 18
    local pid
    pid=$(cat "$LAB/e18/pid")
    kill -TERM "$pid"
    wait_gone "$pid" 10
    [ -f "$state/roots.msgpack" ]
    start_node 18 "${OPTS[@]}"
    start_eventd 18 "${OPTS[@]}" --state-dir "$state"
    grep -q 'root state of 1 topics restored' "$LAB/e18/log"
    [ ! -e "$state/roots.msgpack" ]  # used once: a later crash cannot bring back stale state
    run at 18 sr-lookup publish restart-topic four
    assert_success
    assert_output "restart-topic	4"
    run timeout 20 env SR_RUNTIME_DIR="$(node_dir 18)/run" sr-lookup subscribe --since 1 -n 4 restart-topic
    assert_success
    assert_line -n 0 "restart-topic	1	one"
    assert_line -n 3 "restart-topic	4	four"
}

@test "the Python subscriber of sr-rpc(7), as printed there, gets messages in order" {
    # The program is taken from the man page, so the page cannot go stale.
    sed -n '/^A subscriber to sr-eventd/,/^The same calls/p' "$SR_TESTS/../../man/sr-rpc.7.scd" |
        sed -n '/^```$/,/^```$/p' | sed '1d;$d' >"$LAB/subscriber.py"
    grep -q 'event.subscribe' "$LAB/subscriber.py"
    SR_RUNTIME_DIR="$(node_dir 4)/run" "$PYTHON" "$LAB/subscriber.py" >"$LAB/py.out" 2>&1 3>&- &
    local sub=$!
    at 6 sr-lookup publish news "one"
    at 8 sr-lookup publish news "two"
    # Ready when both lines are there (--since 1 replays what came first).
    timeout 30 bash -c "until [ \$(wc -l <'$LAB/py.out') -ge 2 ]; do sleep 0.1; done" || true
    kill "$sub"
    run cat "$LAB/py.out"
    assert_line -n 0 "1 one"
    assert_line -n 1 "2 two"
}

@test "8 subscribers, 4 publishers: every acknowledged message once, in order, through an interior node's and the root's death" {
    run "$PYTHON" "$SR_TESTS/events_check.py" "$LAB" lab-topic 50 2,4,6,8,10,12,14,16 4 interior,root
    echo "$output"
    for n in $(seq 1 16); do echo "== e$n"; tail -n 5 "$LAB/e$n/log"; done >&2
    assert_success
    assert_line -n 0 "round 0 acked 200 subscribers 8 killed -"
    [[ "${lines[1]}" =~ ^round\ 1\ acked\ [0-9]+\ subscribers\ [78]\ killed\ interior: ]]
    [[ "${lines[2]}" =~ ^round\ 2\ acked\ [0-9]+\ subscribers\ [678]\ killed\ root: ]]
}

@test "sr-ctl event topics, tree and stats show a subscriber's node in the tree" {
    at 4 sr-lookup subscribe -n 1 ctl-view >/dev/null 2>&1 3>&- &
    local sub=$!
    until_true 20 bash -c "SR_RUNTIME_DIR='$(node_dir 4)/run' sr-ctl event topics | grep -q '^ctl-view	'"
    run at 4 sr-ctl -H event topics
    assert_line -n 0 "topic	root	children	subscribers	last_seq"
    assert_line --regexp '^ctl-view	(true|false)	[0-9]+	1	0$'
    run at 4 sr-ctl event tree ctl-view
    assert_line --regexp "^(self|root)	[0-9a-f]{32}	$(node_addr 4)$"
    run at 4 sr-ctl -j event stats
    [ "$(jq .linked <<<"$output")" = true ]
    at 6 sr-lookup publish ctl-view bye >/dev/null
    timeout 30 tail --pid="$sub" -f /dev/null
}

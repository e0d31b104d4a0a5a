#!/usr/bin/env bats
# sr-eventd on a 16-node lab (sr-dhtd and sr-eventd on each node): Scribe
# trees built through sr-dhtd's application API deliver every acknowledged
# message once, in order, through the death of an interior node and of the
# topic's root.
load helpers

OPTS=(--heartbeat 0.2)

# start_eventd N [options...]: sr-eventd beside node N's sr-dhtd, ready once
# it has registered with it.
start_eventd() {
    local n=$1
    shift
    local dir="$LAB/e$n"
    mkdir -p "$dir"
    mkfifo "$dir/ready"
    sr-eventd --runtime-dir "$(node_dir "$n")/run" --heartbeat 0.2 --ready-fd 9 "$@" 9>"$dir/ready" \
        2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { echo "sr-eventd $n did not become ready:" >&2; cat "$dir/log" >&2; return 1; }
}

setup_file() {
    export ADDR_BASE=160 PORT=4160
    lab_setup
    start_node 1 "${OPTS[@]}"
    for n in $(seq 2 16); do start_node "$n" "${OPTS[@]}" --join "$(node_addr $((RANDOM % (n - 1) + 1)))"; done
    for n in $(seq 1 16); do start_eventd "$n"; done
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

@test "8 subscribers, 4 publishers: every acknowledged message once, in order, through an interior node's and the root's death" {
    run "$PYTHON" "$SR_TESTS/events_check.py" "$LAB" lab-topic 50 2,4,6,8,10,12,14,16 4 interior,root
    echo "$output"
    for n in $(seq 1 16); do echo "== e$n"; tail -n 5 "$LAB/e$n/log"; done >&2
    assert_success
    assert_line -n 0 "round 0 acked 200 subscribers 8 killed -"
    [[ "${lines[1]}" =~ ^round\ 1\ acked\ [0-9]+\ subscribers\ [78]\ killed\ interior: ]]
    [[ "${lines[2]}" =~ ^round\ 2\ acked\ [0-9]+\ subscribers\ [678]\ killed\ root: ]]
}

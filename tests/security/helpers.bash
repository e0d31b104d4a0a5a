# Helpers shared by the security tests (on top of ../bats/helpers).

# start_recording_origin ADDR: recording_origin.py on ADDR, logging every
# request it sees to $LAB/origin/record (exported as RECORD).
start_recording_origin() {
    export RECORD="$LAB/origin/record"
    mkdir -p "$LAB/origin"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$BATS_TEST_DIRNAME/recording_origin.py" --listen "$1" --record "$RECORD" --ready-fd 9 \
        9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready" || { echo "the origin did not start:" >&2; cat "$LAB/origin/log" >&2; return 1; }
}

# start_test_cache ARGS...: one sr-cached in $LAB/c, without cooperation.
start_test_cache() {
    mkdir -p "$LAB/c"
    mkfifo "$LAB/c/ready"
    sr-cached --cache-dir "$LAB/c/cache" --runtime-dir "$LAB/c/run" --no-cooperate "$@" \
        --ready-fd 9 9>"$LAB/c/ready" 2>>"$LAB/c/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/c/pid"
    wait_ready "$LAB/c/ready" || { cat "$LAB/c/log" >&2; return 1; }
}

# two_nodes_socket_for_group GROUP ARGS...: node 1's runtime directory made reachable by
# GROUP (the lab traversable, the directory group-readable), node 1 started
# with ARGS... and its socket given to GROUP; then node 2 joins it.
two_nodes_socket_for_group() {
    local group="$1"
    shift
    local d="$LAB"
    while [ "$d" != / ]; do chmod o+x "$d"; d="$(dirname "$d")"; done
    mkdir -p "$(node_dir 1)/run"
    chgrp "$group" "$(node_dir 1)/run"
    chmod 0750 "$(node_dir 1)/run"
    start_node 1 --group "$group" "$@"
    chgrp "$group" "$(node_dir 1)/run/dhtd.sock"
    start_node 2 --join "$(node_addr 1)"
}

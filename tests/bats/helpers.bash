# Shared helpers of the integration tests.
#
# Nodes: node N listens on 127.0.0.(BASE+N):PORT with its own runtime and
# state directories under $LAB; `at N CMD...` runs a client against node N.
# Readiness is the daemon's own: --ready-fd writes a newline into a fifo
# once the node has joined, and we read it with a timeout. No sleeps.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

: "${SR_BIN:?SR_BIN must name the directory of the built tools}"
export PATH="$SR_BIN:$PATH"
# Debian's python3 has python3-msgpack; a python3 earlier on PATH (pyenv) may not.
PYTHON=/usr/bin/python3

lab_setup() {
    LAB="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/lab.XXXXXX")"
    export LAB
    # Each .bats file gets its own 127.0.0.x block and port, so files may run in parallel.
    : "${ADDR_BASE:=100}"
    : "${PORT:=4100}"
}

lab_teardown() {
    local pidfile
    for pidfile in "$LAB"/*/pid; do
        [ -f "$pidfile" ] || continue
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    done
    for pidfile in "$LAB"/*/pid; do
        [ -f "$pidfile" ] || continue
        wait_gone "$(cat "$pidfile")" 10 || kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
    done
}

node_addr() { echo "127.0.0.$((ADDR_BASE + $1)):$PORT"; }
node_dir() { echo "$LAB/n$1"; }

# start_node N [sr-dhtd options...]: starts node N and waits until it has
# joined (its readiness newline), at most $READY_TIMEOUT seconds (default 20).
# $LISTEN, when set, replaces the node's address.
start_node() {
    local n=$1
    shift
    local dir
    dir="$(node_dir "$n")"
    mkdir -p "$dir"
    rm -f "$dir/ready"
    mkfifo "$dir/ready"
    # fds above 2 closed, or bats would wait for the daemon to exit.
    sr-dhtd --runtime-dir "$dir/run" --state-dir "$dir/state" --listen "${LISTEN:-$(node_addr "$n")}" \
        --ready-fd 9 "$@" 9>"$dir/ready" 2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    if ! wait_ready "$dir/ready"; then
        echo "node $n did not become ready; its log:" >&2
        cat "$dir/log" >&2
        return 1
    fi
}

# start_eventd N [options...]: sr-eventd beside node N's sr-dhtd, ready once
# it has registered with it.
start_eventd() {
    local n=$1
    shift
    local dir="$LAB/e$n"
    mkdir -p "$dir"
    rm -f "$dir/ready"
    mkfifo "$dir/ready"
    sr-eventd --runtime-dir "$(node_dir "$n")/run" --ready-fd 9 "$@" 9>"$dir/ready" \
        2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready" || { echo "sr-eventd $n did not become ready:" >&2; cat "$dir/log" >&2; return 1; }
}

# wait_ready FIFO: true once a daemon wrote its readiness newline into FIFO;
# false when it exited first (end of file) or after $READY_TIMEOUT seconds.
wait_ready() {
    [ "$(timeout "${READY_TIMEOUT:-20}" head -c1 "$1" | wc -c)" -eq 1 ]
}

# start_node_nowait N [options...]: starts node N without waiting.
start_node_nowait() {
    local n=$1
    shift
    local dir
    dir="$(node_dir "$n")"
    mkdir -p "$dir"
    sr-dhtd --runtime-dir "$dir/run" --state-dir "$dir/state" --listen "$(node_addr "$n")" \
        "$@" 2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$dir/pid"
}

# signal_node SIGNAL N: sends SIGNAL to node N and waits until it is gone.
signal_node() {
    local pid
    pid="$(cat "$(node_dir "$2")/pid")"
    kill "-$1" "$pid"
    wait_gone "$pid" 10
}
stop_node() { signal_node TERM "$1"; }   # clean stop: state saved, socket removed
kill_node() { signal_node KILL "$1"; }   # a crash

# wait_gone PID SECONDS: waits for a process to exit, polling (it may be
# another shell's child, so `wait` cannot be used).
wait_gone() {
    timeout "$2" bash -c "while kill -0 $1 2>/dev/null; do sleep 0.05; done"
}

# at N CMD...: runs CMD with node N's runtime directory.
at() {
    local n=$1
    shift
    SR_RUNTIME_DIR="$(node_dir "$n")/run/" "$@"
}

# until_true SECONDS CMD...: retries CMD until it succeeds or time runs out.
until_true() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1  # poll interval
    done
}

# assert_ts_segment_start FILE: FILE is whole 188-byte MPEG-TS packets that
# open with the PAT and the PMT (PID 0x1000, as ffmpeg numbers it), and its
# first video frame is a keyframe (ffprobe).
assert_ts_segment_start() {
    run "$PYTHON" -c "
import sys; d = open(sys.argv[1], 'rb').read()
pid = lambda i: ((d[i*188+1] & 0x1f) << 8) | d[i*188+2]
sys.exit(0 if len(d) % 188 == 0 and d[0] == 0x47 and pid(0) == 0 and pid(1) == 0x1000 else 1)" "$1"
    assert_success
    run ffprobe -v error -select_streams v -show_frames -read_intervals '%+#1' -show_entries frame=key_frame,pict_type -of csv=p=0 "$1"
    assert_success
    assert_line -n 0 --regexp '^1,I'
}

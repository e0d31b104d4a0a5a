#!/usr/bin/env bats
# Configuration files: the shipped example checks clean, and -n prints the
# effective configuration exactly as recorded (golden file).

load helpers

setup() {
    TMP="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/cfg.XXXXXX")"
    head -c 32 /dev/urandom | base64 >"$TMP/overlay.key"
    chmod 600 "$TMP/overlay.key"
    sed "s|/etc/sr/overlay.key|$TMP/overlay.key|" "$SR_TESTS/../../examples/sr-dhtd.conf" >"$TMP/sr-dhtd.conf"
}

# roundtrip DAEMON ARGS...: what -n prints, -c reads back and -n prints again the same.
roundtrip() {
    local daemon=$1
    shift
    run "$daemon" -n "$@"
    assert_success
    printf '%s\n' "$output" >"$TMP/$daemon.printed"
    run "$daemon" -n -c "$TMP/$daemon.printed"
    assert_success
    diff -u "$TMP/$daemon.printed" <(printf '%s\n' "$output")
    refute_output --partial '=""'
    refute_output --partial 'check='
}

@test "what -n prints, -c reads back and prints the same, for every daemon" {
    roundtrip sr-dhtd -c "$TMP/sr-dhtd.conf"
    SR_CACHE_DIR= roundtrip sr-cached -c "$SR_TESTS/../../examples/sr-cached.conf"
    sed "s|/etc/sr/topology.txt|$SR_TESTS/../../examples/topology.txt|" "$SR_TESTS/../../examples/sr-proxd.conf" >"$TMP/sr-proxd.conf"
    roundtrip sr-proxd -c "$TMP/sr-proxd.conf"
    roundtrip sr-eventd --runtime-dir "$TMP/run"
    mkdir -p "$TMP/media"
    roundtrip sr-streamd --media-dir "$TMP/media"
}

@test "the example sr-dhtd.conf checks clean and prints the golden configuration" {
    run sr-dhtd -n -c "$TMP/sr-dhtd.conf"
    assert_success
    diff -u "$SR_TESTS/golden/sr-dhtd.conf.check" <(sed "s|$TMP/overlay.key|KEYFILE|" <<<"$output")
}

@test "the example sr-cached.conf checks clean and prints the golden configuration" {
    run env -u SR_CACHE_DIR sr-cached -n -c "$SR_TESTS/../../examples/sr-cached.conf"
    assert_success
    diff -u "$SR_TESTS/golden/sr-cached.conf.check" <(printf '%s\n' "$output")
}

@test "the example sr-eventd.conf checks clean and prints the golden configuration" {
    head -c 24 /dev/urandom | base64 >"$TMP/events.token"
    chmod 600 "$TMP/events.token"
    sed "s|/etc/sr/events.token|$TMP/events.token|" "$SR_TESTS/../../examples/sr-eventd.conf" >"$TMP/sr-eventd.conf"
    run sr-eventd -n -c "$TMP/sr-eventd.conf"
    assert_success
    diff -u "$SR_TESTS/golden/sr-eventd.conf.check" <(sed "s|$TMP/events.token|KEYFILE|" <<<"$output")
}

@test "the example sr-streamd.conf checks clean and prints the golden configuration" {
    mkdir -p "$TMP/media"
    sed "s|/srv/media|$TMP/media|" "$SR_TESTS/../../examples/sr-streamd.conf" >"$TMP/sr-streamd.conf"
    run sr-streamd -n -c "$TMP/sr-streamd.conf"
    assert_success
    diff -u "$SR_TESTS/golden/sr-streamd.conf.check" <(sed "s|$TMP/media|MEDIA|" <<<"$output")
    run sr-streamd -n --media-dir "$TMP/nonexistent"
    assert_failure 78
    assert_output --partial "nonexistent: not a directory"
    # Live inputs: each mistake named.
    run sr-streamd -n --media-dir "$TMP/media" --live 'tv=udp://239.1.1.1:5000?ttl=3'
    assert_failure 78
    assert_output --partial "--live tv: udp://239.1.1.1:5000?ttl=3: unknown parameter ttl=3"
    run sr-streamd -n --media-dir "$TMP/media" --live 'tv=rtmp://192.0.2.1/x'
    assert_failure 78
    assert_output --partial "--live tv: live input must be udp://ADDR:PORT"
    run sr-streamd -n --media-dir "$TMP/media" --live 'tv=udp://192.0.2.1:5000' --live 'tv=udp://192.0.2.1:5001'
    assert_failure 78
    assert_output --partial "channel tv given twice"
    run sr-streamd -n --media-dir "$TMP/media" --ingest-listen 127.0.0.1:8071
    assert_failure 78
    assert_output --partial "--ingest-listen needs --ingest-token-file"
    echo short >"$TMP/short.token"
    chmod 600 "$TMP/short.token"
    run sr-streamd -n --media-dir "$TMP/media" --ingest-listen 127.0.0.1:8071 --ingest-token-file "$TMP/short.token"
    assert_failure 78
    assert_output --partial "at least 16 bytes"
}

@test "flags beat the file, the file beats the environment" {
    SR_DHT_LISTEN=127.0.0.9:1 run sr-dhtd -n -c "$TMP/sr-dhtd.conf" --replicas 2
    assert_success
    assert_line 'replicas=2'
    assert_line 'listen="192.0.2.10:4100"'
    SR_DHT_LISTEN=127.0.0.9:1 run sr-dhtd -n --overlay-key-file "$TMP/overlay.key"
    assert_line 'listen="127.0.0.9:1"'
}

@test "errors in a configuration file name the file, the line and the key (78)" {
    printf '# sr-dhtd\nreplicas = 2\n\nreplicas = many\n' >"$TMP/bad.conf"
    run sr-dhtd -n -c "$TMP/bad.conf"
    assert_failure 78
    assert_output "sr-dhtd: $TMP/bad.conf:4: replicas: Value many not in range 1 to 8"
    printf 'listen = "127.0.0.1:4100"\nlistn = 1\n' >"$TMP/unknown.conf"
    run sr-cached -n -c "$TMP/unknown.conf"
    assert_failure 78
    assert_output --partial "$TMP/unknown.conf:2: unknown option 'listn'"
    refute_output --partial "INI was not able"
    printf '[dht]\n++\n' >"$TMP/section.conf"
    run sr-proxd -n -c "$TMP/section.conf"
    assert_failure 78
    assert_output --partial "$TMP/section.conf:1: section [dht]"
    printf 'heartbeat = 5\nnot an option line\n' >"$TMP/syntax.conf"
    run sr-eventd -n -c "$TMP/syntax.conf"
    assert_failure 78
    assert_output --partial "$TMP/syntax.conf:2: 'not an option line' is not key = value"
    printf 'max-ttl = 0\n' >"$TMP/range.conf"
    run sr-dhtd -n -c "$TMP/range.conf"
    assert_failure 78
    assert_output "sr-dhtd: $TMP/range.conf:1: max-ttl: must be at least 1, not 0"
    # The command line wins over the file: its bad value is a usage error.
    run sr-dhtd -n -c "$TMP/range.conf" --max-ttl=-5
    assert_failure 64
    refute_output --partial "range.conf"
    run sr-dhtd -n -c "$TMP/missing.conf"
    assert_failure 78  # a configuration error, not a usage error
    # A bare flag name is a flag set (CLI11 reads it so); a bad command line beside a good file is 64.
    printf 'verbose\nreplicas = 2\n' >"$TMP/flag.conf"
    run sr-dhtd -n -c "$TMP/flag.conf"
    assert_success
    assert_line "verbose=true"
    run sr-dhtd -n -c "$TMP/flag.conf" --bogus
    assert_failure 64
    refute_output --partial "flag.conf"
}

@test "the example sr-proxd.conf and topology check clean" {
    sed "s|/etc/sr/topology.txt|$SR_TESTS/../../examples/topology.txt|" "$SR_TESTS/../../examples/sr-proxd.conf" >"$TMP/sr-proxd.conf"
    run sr-proxd -n -c "$TMP/sr-proxd.conf"
    assert_success
    assert_line 'bgp-peer=["192.0.2.1 65000 local=192.0.2.10 name=rr1", "192.0.2.2 65000 local=192.0.2.10 name=rr2"]'
}

@test "-n refuses what a start would; a missing -c file is 78 naming it; ranges in words" {
    run sr-proxd -n --alto-listen nonsense
    assert_failure 78
    assert_output --partial "--alto-listen: listen address must be ADDR:PORT: nonsense"
    for daemon in sr-dhtd sr-proxd sr-cached sr-eventd sr-streamd; do
        run "$daemon" -n -c "$TMP/no-such.conf"
        assert_failure 78
        assert_output --partial "$TMP/no-such.conf"
    done
    run sr-dhtd -n --max-ttl 0
    assert_failure 64
    assert_output --partial "--max-ttl: must be at least 1, not 0"
    refute_output --partial "e+308"
    run sr-dhtd -n --ready-fd -1
    assert_output --partial "must be at least 0"
}

@test "an unknown command or daemon is named, with the valid ones, exit 64" {
    run sr-ctl frob
    assert_failure 64
    assert_output --partial "unknown command 'frob' (status, reload, call, stats, dht, prox"
    run sr-ctl --timeout 5 prox frob
    assert_failure 64
    assert_output --partial "unknown command 'frob' (peers, igp, summary, route, refresh, map)"
    run sr-lookup frob
    assert_failure 64
    assert_output --partial "unknown command 'frob' (put, get"
    run sr-ctl --runtime-dir "$TMP" call nosuchd sys.api
    assert_failure 64
    assert_output --partial "unknown daemon 'nosuchd' (dhtd, proxd, cached, streamd, eventd, or a socket path)"
}

@test "an address in use is the same configuration error (78) for every daemon" {
    coproc HOLD { "$PYTHON" -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); sys.stdin.read()'; }
    read -r port <&"${HOLD[0]}"
    run sr-proxd --runtime-dir "$TMP/p" --alto-listen "127.0.0.1:$port"
    assert_failure 78
    assert_output --partial "cannot listen on 127.0.0.1:$port"
    run sr-dhtd --runtime-dir "$TMP/d" --state-dir "$TMP/ds" --listen "127.0.0.1:$port"
    assert_failure 78
    assert_output --partial "cannot listen on 127.0.0.1:$port"
    exec {HOLD[1]}>&-
    wait "$HOLD_PID" || true
}

@test "a user who may not read the runtime directory gets permission denied (77) from sr-ctl status as from sr-lookup" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
    # Not under the test's own directory, which the other user cannot enter.
    local rdir
    rdir="$(mktemp -d /tmp/sr-rdir.XXXXXX)"
    chmod 750 "$rdir"
    run setpriv --reuid=65534 --regid=65534 --clear-groups sr-ctl --runtime-dir "$rdir" status
    assert_failure 77
    assert_output --partial "Permission denied"
    run setpriv --reuid=65534 --regid=65534 --clear-groups sr-lookup --runtime-dir "$rdir" get x
    rmdir "$rdir"
    assert_failure 77
}

@test "--join takes an address, and its help says so" {
    run sr-dhtd --help
    grep -- "--join" <<<"$output" | grep -q "an address, not a host name"
    run sr-dhtd -n --join localhost:4100
    assert_failure 78
    assert_output --partial "want IP:PORT or [IPv6]:PORT"
}

@test "a Python helper without python3-msgpack names the Debian package to install" {
    mkdir -p "$TMP/nomsgpack"
    printf 'raise ImportError("no msgpack here")\n' >"$TMP/nomsgpack/msgpack.py"
    for helper in "$SR_TESTS/../security/core_flood.py" "$SR_TESTS/sr_rpc.py" "$SR_TESTS/../bench/prox_bench.py"; do
        run env PYTHONPATH="$TMP/nomsgpack" /usr/bin/python3 "$helper"
        assert_failure 1
        assert_output --partial "install the Debian package python3-msgpack"
        refute_output --partial "Traceback"
    done
}

#!/usr/bin/env bats
# sr-dhtd on one node, through sr-lookup, sr-ctl and raw sockets: storage
# semantics, exit statuses, persistence, bad input, signals.

load helpers

setup_file() {
    export ADDR_BASE=60 PORT=4160
    lab_setup
    start_node 1
}

teardown_file() { lab_teardown; }

@test "put then get returns the raw value; -j shows its metadata" {
    run at 1 sr-lookup put --ttl 600 greeting hello
    assert_success
    assert_output --regexp '^greeting	[0-9a-f]{32}	[0-9]+	1$'
    run at 1 sr-lookup get greeting
    assert_success
    assert_output "hello"
    run at 1 sr-lookup get -j greeting
    assert_success
    [ "$(jq -r .value <<<"$output")" = hello ]
    [ "$(jq -r .type <<<"$output")" = kv ]
    [ "$(jq -r .ttl <<<"$output")" -le 600 ]
    [ "$(jq -r .ttl <<<"$output")" -gt 590 ]
    # Two values under a name (not "greeting", which later tests read): -j
    # prints the newest, as the TSV form does; --all every one. A vid past
    # 2^53, which jq would round, is a string.
    at 1 sr-lookup put twice first
    at 1 sr-lookup put --vid 9007199254740993 twice second
    run at 1 sr-lookup get -j twice
    [ "${#lines[@]}" -eq 1 ]
    [ "$(jq -r .value <<<"$output")" = second ]
    [ "$(jq -r .vid <<<"$output")" = 9007199254740993 ]
    [ "$(jq -r '.vid | type' <<<"$output")" = string ]
    run at 1 sr-lookup get -j --all twice
    [ "${#lines[@]}" -eq 2 ]
}

@test "the key of a name is SHA-256 of ns:name, first 128 bits" {
    run sr-lookup key greeting
    assert_success
    assert_output "$(printf 'kv:greeting' | sha256sum | cut -c1-32)"
    run sr-lookup key --ns svc greeting
    assert_output "$(printf 'svc:greeting' | sha256sum | cut -c1-32)"
}

@test "a value from stdin is stored byte for byte" {
    head -c 50000 /dev/urandom >"$LAB/blob"
    at 1 sr-lookup put blob <"$LAB/blob"
    at 1 sr-lookup get blob >"$LAB/blob.out"
    cmp "$LAB/blob" "$LAB/blob.out"
}

@test "names from stdin get one line each; a missing one gives exit 1" {
    at 1 sr-lookup put a-name A
    at 1 sr-lookup put b-name B
    run at 1 sr-lookup get < <(printf 'a-name\nmissing-name\nb-name\n')
    assert_failure 1
    assert_line --index 0 "a-name	A"
    assert_line --index 1 "missing-name	-"
    assert_line --index 2 "b-name	B"
}

@test "get of an unknown name exits 1 with no output" {
    run at 1 sr-lookup get never-stored
    assert_failure 1
    assert_output ""
}

@test "remove needs the secret given at put time" {
    at 1 sr-lookup put --secret s3cret doomed value
    run at 1 sr-lookup remove --secret wrong doomed
    assert_failure 77
    assert_output --partial "forbidden"
    run at 1 sr-lookup remove --secret s3cret doomed
    assert_success
    assert_output "doomed	1"
    run at 1 sr-lookup get doomed
    assert_failure 1
    run at 1 sr-lookup remove --secret s3cret doomed
    assert_failure 1
}

@test "limits give explicit errors: too_large, bad_ttl" {
    head -c 65537 /dev/zero >"$LAB/big"
    run at 1 sr-lookup put big <"$LAB/big"
    assert_failure 65
    assert_output --partial "too_large"
    head -c 65536 /dev/zero >"$LAB/max"
    run at 1 sr-lookup put max <"$LAB/max"
    assert_success
    run at 1 sr-ctl call dhtd dht.put '{"name":"x","value":"v","ttl":99999999}'
    assert_failure 65
    assert_output --partial "bad_ttl"
}

@test "a value lives for its TTL and no longer" {
    at 1 sr-lookup put --ttl 1 brief here
    run at 1 sr-lookup get brief
    assert_output "here"
    until_true 5 bash -c "! SR_RUNTIME_DIR='$(node_dir 1)/run' sr-lookup get brief"
}

@test "listen prints current values, then new ones as they are put" {
    at 1 sr-lookup put watched first
    at 1 sr-lookup listen --count 2 watched >"$LAB/listen.out" 3>&- &
    local pid=$!
    until_true 10 grep -q first "$LAB/listen.out"
    at 1 sr-lookup put watched second
    timeout 10 tail --pid="$pid" -f /dev/null
    run cat "$LAB/listen.out"
    assert_line --index 0 --regexp '^current	watched	first$'
    assert_line --index 1 --regexp '^new	watched	second$'
}

@test "listen -n counts the current values as events; an expiry is one too" {
    at 1 sr-lookup put --ttl 2 fleeting soon
    run env SR_RUNTIME_DIR="$(node_dir 1)/run" timeout 10 sr-lookup listen -n 1 fleeting
    assert_success
    assert_output "current	fleeting	soon"
    # Then the expiry, within a second of the TTL (sr-lookup(1)); the timeout only bounds a broken daemon.
    run env SR_RUNTIME_DIR="$(node_dir 1)/run" timeout 10 sr-lookup listen -n 2 fleeting
    assert_success
    assert_line --index 1 "expired	fleeting	soon"
    run env SR_RUNTIME_DIR="$(node_dir 1)/run" sr-lookup listen -n 0 fleeting
    assert_failure 64
}

@test "sr-ctl shows the node: status, info, keys, with -j" {
    run at 1 sr-ctl status
    assert_success
    assert_output --regexp '^sr-dhtd	[0-9]+	[0-9.]+	[0-9]+	ok	'
    run at 1 sr-ctl -j dht info
    assert_success
    [ "$(jq -r .joined <<<"$output")" = true ]
    [ "$(jq -r .address <<<"$output")" = "$(node_addr 1)" ]
    [[ "$(jq -r .id <<<"$output")" =~ ^[0-9a-f]{32}$ ]]
    run at 1 sr-ctl -j dht keys
    assert_success
    assert_output --partial "\"key\":\"$(sr-lookup key greeting)\""
    run at 1 sr-ctl call dhtd sys.api
    assert_success
    [ "$(jq '[.methods[] | select(.name == "dht.put")] | .[0].mutates' <<<"$output")" = true ]
}

@test "exit statuses: usage 64, no daemon 69, bad JSON 65, unknown method 76" {
    run sr-lookup frobnicate
    assert_failure 64
    run sr-lookup get
    [ "$status" -eq 69 ] || [ "$status" -eq 0 ]  # stdin is empty here: nothing to do
    SR_RUNTIME_DIR="$LAB/nowhere" run sr-lookup get greeting
    assert_failure 69
    assert_output --partial "cannot connect"
    run at 1 sr-ctl call dhtd dht.get '{not json'
    assert_failure 65
    run at 1 sr-ctl call dhtd dht.frob '{}'
    assert_failure 76
    assert_output --partial "unknown_method"
    run at 1 sr-ctl call dhtd dht.get '{"nmae":"x"}'
    assert_failure 65
    assert_output --partial "unknown field 'nmae'"
}

@test "malformed control frames get an error and the daemon keeps serving" {
    run "$PYTHON" - "$(node_dir 1)/run/dhtd.sock" <<'PY'
import socket, sys, msgpack
path = sys.argv[1]
def exchange(data):
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(data)
    s.settimeout(5); u = msgpack.Unpacker(raw=False); out = []
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            u.feed(d); out += list(u)
            if out and data != b"\xc1": break
    except socket.timeout:
        pass
    return out
print(exchange(msgpack.packb([0, 7, "dht.get"])))          # wrong shape: answered
print(exchange(msgpack.packb([0, 8, 42, []])))              # method not a string: answered
print(exchange(b"\xc1"))                                     # not msgpack: notice, then closed
PY
    assert_success
    assert_line --index 0 --partial "invalid_request"
    assert_line --index 0 --partial "7"
    assert_line --index 1 --partial "invalid_request"
    assert_line --index 2 --partial "bad_frame"
    run at 1 sr-lookup get greeting
    assert_output "hello"
}

@test "garbage on the overlay port is dropped and counted" {
    run "$PYTHON" - "$(node_addr 1)" <<'PY'
import socket, sys, struct
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
hello = s.recv(20)
assert hello[:4] == b"SRO1", hello
for payload in [b"Dxyz", b"P\x93\x01", b"Q", b""]:
    s.sendall(struct.pack(">IB", len(payload), 0) + payload)
s.sendall(struct.pack(">IB", 10 << 20, 0))   # over the frame limit: connection closed
s.settimeout(5)
print("closed" if s.recv(10) == b"" else "open")
PY
    assert_success
    assert_output "closed"
    run at 1 sr-ctl -j call dhtd sys.stats
    [ "$(jq '."overlay.malformed"' <<<"$output")" -ge 3 ]
    [ "$(jq '."overlay.frames_too_large"' <<<"$output")" -ge 1 ]
    run at 1 sr-lookup get greeting
    assert_output "hello"
}

@test "a third-party Python program puts and gets over the socket" {
    run "$PYTHON" "$SR_TESTS/third_party_client.py" "$(node_dir 1)/run/dhtd.sock" from-python "hi there"
    assert_success
    assert_output --regexp '^replicas=1 key=[0-9a-f]{32} values=hi there$'
    run at 1 sr-lookup get from-python
    assert_output "hi there"
}

@test "SIGTERM stops cleanly; the restarted node keeps its id and values" {
    local id
    id="$(at 1 sr-ctl -j dht info | jq -r .id)"
    stop_node 1
    assert_file_not_exist "$(node_dir 1)/run/dhtd.sock"
    assert_file_exist "$(node_dir 1)/state/values.msgpack"
    start_node 1
    run at 1 sr-ctl -j dht info
    [ "$(jq -r .id <<<"$output")" = "$id" ]
    run at 1 sr-lookup get greeting
    assert_output "hello"
    at 1 sr-lookup get blob | cmp - "$LAB/blob"
}

@test "a corrupt state file is moved aside and the node starts empty" {
    stop_node 1
    printf 'garbage' >"$(node_dir 1)/state/values.msgpack"
    start_node 1
    assert_file_exist "$(node_dir 1)/state/values.msgpack.corrupt"
    grep -q "starting with an empty store" "$(node_dir 1)/log"
    run at 1 sr-lookup get greeting
    assert_failure 1
}

@test "-n checks the configuration; a bad option is a usage error" {
    run sr-dhtd -n --listen 127.0.0.1:4999 --replicas 3
    assert_success
    assert_output --partial "replicas=3"
    run sr-dhtd --replicas 99
    assert_failure 64
    run sr-dhtd -n --listen nonsense
    assert_failure 78
    run sr-dhtd -n --id 1234
    assert_failure 78
    assert_output --partial "32 hex digits"
}

@test "SIGHUP reads the -c file again; a broken one keeps the running configuration" {
    printf 'max-value = 100\n' >"$LAB/dhtd.conf"
    start_node 2 -c "$LAB/dhtd.conf"
    head -c 200 /dev/zero >"$LAB/200"
    run at 2 sr-lookup put two-hundred <"$LAB/200"
    assert_failure 65
    printf 'max-value = 1000\n' >"$LAB/dhtd.conf"
    kill -HUP "$(cat "$(node_dir 2)/pid")"
    until_true 10 grep -q "reloaded: max value 1000 bytes" "$(node_dir 2)/log"
    run at 2 sr-lookup put two-hundred <"$LAB/200"
    assert_success
    printf 'max-value = lots\n' >"$LAB/dhtd.conf"
    kill -HUP "$(cat "$(node_dir 2)/pid")"
    until_true 10 grep -q "reload failed, keeping the running configuration" "$(node_dir 2)/log"
    run at 2 sr-lookup put two-hundred-again <"$LAB/200"
    assert_success
    stop_node 2
}

@test "IPv6: nodes on [::1] form an overlay" {
    ip -6 addr show dev lo 2>/dev/null | grep -q '::1' || skip "no IPv6 loopback here"
    # Ids chosen so that node 4's table holds node 3 in row 0, column f.
    LISTEN="[::1]:$((PORT + 1))" start_node 3 --id f0000000000000000000000000000003
    LISTEN="[::1]:$((PORT + 2))" start_node 4 --join "[::1]:$((PORT + 1))" --id 00000000000000000000000000000004
    run at 3 sr-lookup put over-v6 yes
    assert_output --regexp '	2$'
    run at 4 sr-lookup get over-v6
    assert_output yes
    run at 4 sr-ctl -j dht leafset
    assert_output --partial "\"addr\":\"[::1]:$((PORT + 1))\""
    # The routing table's column is the hex digit of the id at the row's position.
    local row digit id
    read -r row digit id _ < <(at 4 sr-ctl dht routes | head -1)
    [ "$id" = f0000000000000000000000000000003 ]
    [ "$row $digit" = "0 f" ]
}

@test "with NOTIFY_SOCKET the daemon sends READY=1 and, on SIGTERM, STOPPING=1" {
    "$PYTHON" - "$LAB/notify" >"$LAB/notify.out" 3>&- <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
while True:
    msg = s.recv(4096).decode()
    print(msg.replace("\n", " "), flush=True)
    if "STOPPING=1" in msg:
        break
PY
    local listener=$!
    until_true 5 test -S "$LAB/notify"
    NOTIFY_SOCKET="$LAB/notify" start_node 5
    until_true 5 grep -q "READY=1" "$LAB/notify.out"
    stop_node 5
    timeout 10 tail --pid="$listener" -f /dev/null
    run cat "$LAB/notify.out"
    assert_line --index 0 --regexp '^READY=1 STATUS=joined as [0-9a-f]{32}$'
    assert_line --index 1 'STOPPING=1'
}

@test "an unreachable bootstrap: each attempt logged with its error, backing off; status says joining and why" {
    start_node_nowait 2 --join "$(node_addr 9)" --join-warn-after 2
    local log
    log="$(node_dir 2)/log"
    until_true 20 grep -q '(attempt 3)' "$log"
    grep -qF "join via $(node_addr 9) failed: Connection refused (attempt 1); next attempt in 1 s" "$log"
    grep -qF "(attempt 2); next attempt in 2 s" "$log"
    grep -qF "(attempt 3); next attempt in 4 s" "$log"
    run at 2 sr-ctl -j status
    [ "$(jq -r .health <<<"$output")" = "joining: $(node_addr 9): Connection refused" ]
    # Past --join-warn-after, said loudly, once; the node keeps trying.
    until_true 10 grep -q "error: not joined the overlay after 2 s ($(node_addr 9): Connection refused); still trying" "$log"
    start_node 9
    until_true 30 bash -c '[ "$(SR_RUNTIME_DIR='"$(node_dir 2)"'/run sr-ctl -j status | jq -r .health)" = ok ]'
    stop_node 2
    stop_node 9
}

@test "dht info's keys, values and bytes are what dht keys lists; a short TTL expires on time" {
    # A quiet node: its expiry timer was set for long ago's next expiry, not this value's.
    at 1 sr-lookup put --ttl 1 agree-brief x
    at 1 sr-lookup put agree-two aa
    at 1 sr-lookup put agree-two bbb
    at 1 sr-lookup put -s agree-secret agree-gone zzzz
    at 1 sr-lookup remove -s agree-secret agree-gone   # a tombstone: neither listed nor counted
    agree() {
        local info keys
        info="$(at 1 sr-ctl -j dht info)"
        keys="$(at 1 sr-ctl -j dht keys | jq -s '{keys: length, values: (map(.values) | add // 0), bytes: (map(.bytes) | add // 0)}')"
        [ "$(jq -c '{keys, values, bytes}' <<<"$info")" = "$(jq -c . <<<"$keys")" ]
    }
    agree
    # Expired within a second of its TTL: gone from both at once.
    until_true 3 bash -c '! SR_RUNTIME_DIR='"$(node_dir 1)"'/run sr-ctl dht keys | grep -q "^$(sr-lookup key agree-brief)"'
    agree
    [ "$(at 1 sr-ctl -j dht info | jq '.charged_bytes >= .bytes')" = true ]
}

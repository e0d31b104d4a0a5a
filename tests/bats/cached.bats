#!/usr/bin/env bats
# sr-cached in front of a real origin (origin.py): storing and reusing,
# validation, Vary, ranges, HEAD, invalidation, collapsing, streaming,
# persistence across a restart and a kill -9, bad input, the control socket.

load helpers

ORIGIN_PY="$SR_TESTS/origin.py"

setup_file() {
    export ADDR_BASE=150 PORT=4150
    lab_setup
    export ORIGIN="127.0.0.150:8150" CACHE="127.0.0.151:8151"
    start_origin
    start_cached
}

teardown_file() { lab_teardown; }

# The origin: its own pid file under $LAB so lab_teardown stops it.
start_origin() {
    mkdir -p "$LAB/origin"
    rm -f "$LAB/origin/ready"
    mkfifo "$LAB/origin/ready"
    "$PYTHON" "$ORIGIN_PY" --listen "$ORIGIN" --ready-fd 9 9>"$LAB/origin/ready" 2>>"$LAB/origin/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/origin/pid"
    wait_ready "$LAB/origin/ready"
}

# start_cached [options...]: sr-cached with its runtime dir and store under $LAB/c.
start_cached() {
    local dir="$LAB/c"
    mkdir -p "$dir"
    rm -f "$dir/ready"
    mkfifo "$dir/ready"
    sr-cached --listen "$CACHE" --origin "http://$ORIGIN" --cache-dir "$dir/cache" --runtime-dir "$dir/run" \
        --access-log "$dir/access.log" --ready-fd 9 "$@" 9>"$dir/ready" 2>>"$dir/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    if ! wait_ready "$dir/ready"; then
        cat "$dir/log" >&2
        return 1
    fi
}

ctl() { SR_RUNTIME_DIR="$LAB/c/run" sr-ctl "$@"; }
count() { curl -sf "http://$ORIGIN/_count?path=$1" | jq .count; }
# get PATH?QUERY [curl options]: the response's headers to $BATS_TEST_TMPDIR/h, body to .../b
get() {
    local target=$1
    shift
    curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "$@" "http://$CACHE$target"
}
header() { grep -i "^$1:" "$BATS_TEST_TMPDIR/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
status() { head -1 "$BATS_TEST_TMPDIR/h" | cut -d' ' -f2; }
expected_body() { "$PYTHON" "$ORIGIN_PY" --body "$1" >"$BATS_TEST_TMPDIR/expected"; }

@test "a cacheable response is stored: a miss, then hits with Age and the same bytes" {
    local t='/fresh?size=5000&cc=max-age%3D300'
    get "$t"
    [ "$(status)" = 200 ]
    [ "$(header X-Cache)" = MISS ]
    expected_body "$t"
    cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/expected"
    get "$t"
    [ "$(header X-Cache)" = HIT ]
    [ "$(header Content-Length)" = 5000 ]
    [ -n "$(header Age)" ]
    cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/expected"
    [ "$(count /fresh)" -eq 1 ]
    grep -q "GET http://$CACHE/fresh?size=5000&cc=max-age%3D300 200 5000 HIT" "$LAB/c/access.log" ||
        { sleep 1.5; grep -q " HIT " "$LAB/c/access.log"; }  # the log is flushed every second
}

@test "no-store and private responses are never reused" {
    get '/nostore?cc=no-store'
    get '/nostore?cc=no-store'
    [ "$(header X-Cache)" = MISS ]
    get '/private?cc=private%2C%20max-age%3D60'
    get '/private?cc=private%2C%20max-age%3D60'
    [ "$(header X-Cache)" = MISS ]
    [ "$(count /nostore)" -eq 2 ]
    [ "$(count /private)" -eq 2 ]
}

@test "a stale response is validated with its ETag; a 304 refreshes it" {
    local t='/val?cc=max-age%3D0&etag=v1'
    get "$t"
    get "$t"
    [ "$(status)" = 200 ]
    [ "$(header X-Cache)" = REVALIDATED ]
    [ "$(count /val)" -eq 2 ]
    run curl -sf "http://$ORIGIN/_last?path=/val"
    [ "$(jq -r '.headers["if-none-match"]' <<<"$output")" = '"v1"' ]
    expected_body "$t"
    cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/expected"
}

@test "the client's own conditional gets a 304 from the stored copy" {
    local t='/cond?cc=max-age%3D300&etag=c7'
    get "$t"
    get "$t" -H 'If-None-Match: "c7"'
    [ "$(status)" = 304 ]
    [ "$(header X-Cache)" = HIT ]
    [ "$(count /cond)" -eq 1 ]
}

@test "Vary: one stored variant per Accept-Language" {
    local t='/vary?cc=max-age%3D300&vary=Accept-Language&echo=Accept-Language'
    get "$t" -H 'Accept-Language: fr'
    get "$t" -H 'Accept-Language: de'
    [ "$(header X-Cache)" = MISS ]
    [ "$(header X-Echo-Accept-Language)" = de ]
    get "$t" -H 'Accept-Language: fr'
    [ "$(header X-Cache)" = HIT ]
    [ "$(header X-Echo-Accept-Language)" = fr ]
    [ "$(count /vary)" -eq 2 ]
}

@test "ranges: 206 from a stored object, 416 beyond it, a miss with a range stores the whole object" {
    local t='/range?size=1000&cc=max-age%3D300'
    expected_body "$t"
    get "$t" -H 'Range: bytes=100-199'
    [ "$(status)" = 206 ]
    [ "$(header Content-Range)" = "bytes 100-199/1000" ]
    cmp "$BATS_TEST_TMPDIR/b" <(tail -c +101 "$BATS_TEST_TMPDIR/expected" | head -c 100)
    get "$t"
    [ "$(status)" = 200 ]
    [ "$(header X-Cache)" = HIT ]
    cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/expected"
    get "$t" -H 'Range: bytes=-10'
    [ "$(status)" = 206 ]
    cmp "$BATS_TEST_TMPDIR/b" <(tail -c 10 "$BATS_TEST_TMPDIR/expected")
    get "$t" -H 'Range: bytes=5000-6000'
    [ "$(status)" = 416 ]
    [ "$(header Content-Range)" = "bytes */1000" ]
    [ "$(count /range)" -eq 1 ]
}

@test "stale-while-revalidate: the stale copy is served at once and refreshed in the background" {
    local t='/swr?cc=max-age%3D0%2C%20stale-while-revalidate%3D600&etag=w1'
    get "$t"
    get "$t"
    [ "$(status)" = 200 ]
    [ "$(header X-Cache)" = STALE ]
    until_true 10 bash -c "[ \$(curl -sf 'http://$ORIGIN/_count?path=/swr' | jq .count) -eq 2 ]"
    run curl -sf "http://$ORIGIN/_last?path=/swr"
    [ "$(jq -r '.headers["if-none-match"]' <<<"$output")" = '"w1"' ]
}

@test "pipelined requests on one connection are answered in order" {
    run "$PYTHON" - "$CACHE" <<'EOF'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
paths = ["/pipe1?size=10&cc=max-age%3D60", "/pipe2?size=20&cc=max-age%3D60&delay=0.2", "/pipe1?size=10&cc=max-age%3D60"]
s.sendall(b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p.encode() for p in paths))
f = s.makefile("rb")
for p in paths:
    status = f.readline().split()[1].decode()
    length = 0
    while True:
        line = f.readline().strip()
        if not line:
            break
        k, v = line.decode().split(":", 1)
        if k.lower() == "content-length":
            length = int(v)
    body = f.read(length)
    print(status, body.split(b"\n")[0].decode())
EOF
    assert_success
    assert_line --index 0 "200 0 /pipe1?s"
    assert_line --index 1 "200 0 /pipe2?size=20&cc="
    assert_line --index 2 "200 0 /pipe1?s"
}

@test "HEAD is answered with the stored headers and no body" {
    local t='/head?size=777&cc=max-age%3D300'
    get "$t"
    # HEAD then GET on one connection: a body after the HEAD would garble the GET.
    run "$PYTHON" - "$CACHE" "$t" <<'EOF'
import http.client, sys
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=5)
c.request("HEAD", sys.argv[2])
r = c.getresponse()
print(r.status, r.getheader("Content-Length"), r.getheader("X-Cache"), len(r.read()))
c.request("GET", sys.argv[2])
r = c.getresponse()
print(r.status, len(r.read()))
EOF
    assert_success
    assert_line --index 0 "200 777 HIT 0"
    assert_line --index 1 "200 777"
    [ "$(count /head)" -eq 1 ]
}

@test "an unsafe method goes to the origin and invalidates the stored URL" {
    local t='/inval?cc=max-age%3D300'
    get "$t"
    get "$t"
    [ "$(header X-Cache)" = HIT ]
    get "$t" -X POST --data 'x=1'
    [ "$(header X-Cache)" = PASS ]
    get "$t"
    [ "$(header X-Cache)" = MISS ]
    [ "$(count /inval)" -eq 3 ]
}

@test "collapsing: 20 concurrent misses make one origin fetch and all get the body" {
    local t='/slow?delay=1&size=20000&cc=max-age%3D300'
    expected_body "$t"
    for i in $(seq 1 20); do
        curl -sS -o "$BATS_TEST_TMPDIR/b$i" "http://$CACHE$t" &
    done
    wait
    for i in $(seq 1 20); do cmp "$BATS_TEST_TMPDIR/b$i" "$BATS_TEST_TMPDIR/expected"; done
    [ "$(count /slow)" -eq 1 ]
    [ "$(ctl -j cache stats | jq .collapsed)" -ge 19 ]
}

@test "a chunked body is streamed to every waiter as it arrives, then stored" {
    local t='/stream?size=3000000&chunked=1&chunks=30&chunkdelay=0.02&cc=max-age%3D300'
    expected_body "$t"
    curl -sS -o "$BATS_TEST_TMPDIR/s1" "http://$CACHE$t" &
    curl -sS -o "$BATS_TEST_TMPDIR/s2" "http://$CACHE$t" &
    wait
    cmp "$BATS_TEST_TMPDIR/s1" "$BATS_TEST_TMPDIR/expected"
    cmp "$BATS_TEST_TMPDIR/s2" "$BATS_TEST_TMPDIR/expected"
    get "$t"
    [ "$(header X-Cache)" = HIT ]
    [ "$(header Content-Length)" = 3000000 ]
    [ "$(count /stream)" -eq 1 ]
}

@test "an answer not to be stored is held back to its slow reader, and its disk given back" {
    local t='/huge?size=40000000&cc=no-store'
    "$PYTHON" "$ORIGIN_PY" --body "$t" >"$BATS_TEST_TMPDIR/expected"
    run "$PYTHON" - "$CACHE" "$t" "$(cat "$LAB/c/pid")" "$LAB/c/run" "$BATS_TEST_TMPDIR/got" <<'EOF'
import hashlib, json, os, socket, subprocess, sys, time
addr, target, pid, run, out = sys.argv[1:]
host, port = addr.rsplit(":", 1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader: it reads nothing for now
s.connect((host, int(port)))
s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target.encode())
def stats():
    r = subprocess.run(["sr-ctl", "-j", "--runtime-dir", run, "cache", "stats"], capture_output=True, text=True)
    return json.loads(r.stdout)
deadline = time.time() + 20
while stats()["upstream_pauses"] < 1:
    assert time.time() < deadline, "the upstream was never paused"
    time.sleep(0.05)  # polling the daemon's counter
def held():  # disk blocks of the cache's tmp files, each file once
    inodes = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        path = f"/proc/{pid}/fd/{fd}"
        try:  # a descriptor may close between the listing and the look (a control connection)
            target = os.readlink(path)
            if "(deleted)" in target or "/tmp/" in target:
                st = os.stat(path)
                inodes[st.st_ino] = st.st_blocks * 512
        except FileNotFoundError:
            pass
    return sum(inodes.values()) // (1 << 20)
first = held()
with open(out, "wb") as f:
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    got = 0
    while got < 24000000:  # half way: what was read is given back to the disk
        chunk = s.recv(1 << 16)
        f.write(chunk)
        got += len(chunk)
    print("held", max(first, held()), "MiB")
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        f.write(chunk)
EOF
    assert_success
    [ "$(awk '{print $2}' <<<"$output")" -le 16 ]  # at most the 8 MiB window and some slack, of 40 MB
    cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/expected"
}

@test "a body cut short by the origin is never stored" {
    local t='/cut?size=100000&truncate=5000&cc=max-age%3D300'
    run curl -sS -o /dev/null "http://$CACHE$t"
    assert_failure  # the cache closes the connection: the client sees a short body
    run curl -sS -o /dev/null "http://$CACHE$t"
    assert_failure
    [ "$(count /cut)" -eq 2 ]
    run ctl cache stat "http://$CACHE$t"
    assert_failure 1
}

@test "cache list, stat and purge through sr-ctl, in JSON" {
    local t='/ctl?size=42&cc=max-age%3D300'
    get "$t"
    run ctl -j cache list "http://$CACHE/ctl"
    assert_success
    [ "$(jq -r .url <<<"$output")" = "http://$CACHE$t" ]
    [ "$(jq .size <<<"$output")" -eq 42 ]
    run ctl -j cache stat "http://$CACHE$t"
    [ "$(jq .status <<<"$output")" -eq 200 ]
    [ "$(jq .fresh <<<"$output")" = true ]
    [ "$(jq .lifetime <<<"$output")" -eq 300 ]
    run ctl -j cache purge --prefix "http://$CACHE/ctl"
    [ "$(jq .purged <<<"$output")" -eq 1 ]
    get "$t"
    [ "$(header X-Cache)" = MISS ]
    run ctl cache stat "http://$CACHE/nothing-here"
    assert_failure 1
}

# cache.list used to take any limit and build one answer of every match, however
# large; now at most 10000 objects and about 2 MiB of URLs, and "more" says so.
@test "cache list: one answer is bounded (limit clamped, about 2 MiB of URLs), says more match, and sr-ctl pages through" {
    # 300 stored objects with 7,000-byte URLs: 2.1 MB of URLs under one prefix.
    run "$PYTHON" - "$CACHE" <<'PY'
import http.client, sys
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=10)
pad = "p" * 7000
for i in range(300):
    c.request("GET", f"/biglist/{i:04d}?cc=max-age%3D300&pad={pad}")
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
print("ok")
PY
    [ "$output" = ok ]
    run ctl -j call cached cache.list "{\"prefix\": \"http://$CACHE/biglist/\", \"limit\": 4294967295}"
    assert_success
    local n
    n=$(jq '.objects | length' <<<"$output")
    echo "listed $n"
    [ "$n" -gt 100 ] && [ "$n" -lt 300 ]
    [ "$(jq .more <<<"$output")" = true ]
    run ctl -j call cached cache.list "{\"prefix\": \"http://$CACHE/biglist/\", \"limit\": 2}"
    [ "$(jq '.objects | length' <<<"$output")" -eq 2 ]
    [ "$(jq .more <<<"$output")" = true ]
    # sr-ctl pages: every object, in URL order, once, with -n 0 as with a large -n...
    ctl cache list -n 0 "http://$CACHE/biglist/" >"$BATS_TEST_TMPDIR/out"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 300 ]
    [ "$(cut -f1 "$BATS_TEST_TMPDIR/out" | sort -u | wc -l)" -eq 300 ]
    cut -f1 "$BATS_TEST_TMPDIR/out" | sort -c
    ctl cache list -n 100000 "http://$CACHE/biglist/" | cut -f1 | cmp - <(cut -f1 "$BATS_TEST_TMPDIR/out")
    # ...and -n and --after page by hand.
    run ctl cache list -n 10 "http://$CACHE/biglist/"
    [ "${#lines[@]}" -eq 10 ]
    local last
    last="$(tail -1 <<<"$output" | cut -f1)"
    run ctl cache list -n 0 --after "$last" "http://$CACHE/biglist/"
    [ "${#lines[@]}" -eq 290 ]
    run ctl -j call cached cache.list "{\"prefix\": \"http://$CACHE/biglist/\", \"limit\": 2}"
    [ "$(jq -r .next <<<"$output")" = "$(jq -rs '.[1].url' <<<"$(jq -c '.objects[]' <<<"$output")")" ]
    run ctl cache purge --prefix "http://$CACHE/biglist/"
    assert_success
}

@test "malformed and oversized requests get a 4xx and the daemon goes on" {
    run "$PYTHON" - "$CACHE" <<'EOF'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
            b"\x00\xff\x16\x03\x01\r\n\r\n"):
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(raw)
    data = s.recv(100)
    print(data.split(b"\r\n")[0].decode(errors="replace") if data else "closed")
    s.close()
EOF
    assert_success
    refute_output --partial " 200 "
    get '/fresh?size=5000&cc=max-age%3D300'
    [ "$(header X-Cache)" = HIT ]
}

@test "a second sr-cached on the same cache directory is refused (exit 75)" {
    run sr-cached --listen 127.0.0.151:8152 --origin "http://$ORIGIN" --cache-dir "$LAB/c/cache" \
        --runtime-dir "$LAB/c2run" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    assert_failure 75
    assert_output --partial "in use"
}

@test "the size bound evicts the least recently used objects" {
    local dir="$LAB/small"
    mkdir -p "$dir"
    mkfifo "$dir/ready"
    sr-cached --listen 127.0.0.151:8153 --origin "http://$ORIGIN" --cache-dir "$dir/cache" --runtime-dir "$dir/run" \
        --max-size 1M --access-log off --ready-fd 9 9>"$dir/ready" 2>>"$dir/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready"
    local q='size=120000&cc=max-age%3D600'
    for i in $(seq 1 8); do curl -sSf -o /dev/null "http://127.0.0.151:8153/ev$i?$q"; done
    curl -sSf -o /dev/null "http://127.0.0.151:8153/ev1?$q"  # ev1 is now more recent than ev2
    for i in 9 10; do curl -sSf -o /dev/null "http://127.0.0.151:8153/ev$i?$q"; done
    # An object over an eighth of the bound is passed on, never stored (it would empty the store).
    curl -sSf -o "$BATS_TEST_TMPDIR/big" "http://127.0.0.151:8153/big?size=300000&cc=max-age%3D600"
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/big")" -eq 300000 ]
    run env SR_RUNTIME_DIR="$dir/run" sr-ctl -j cache stats
    [ "$(jq .evictions <<<"$output")" -ge 1 ]
    [ "$(jq .bytes <<<"$output")" -le 1048576 ]
    run env SR_RUNTIME_DIR="$dir/run" sr-ctl cache list
    assert_output --partial "/ev1?"
    assert_output --partial "/ev10?"
    refute_output --partial "/ev2?"
    refute_output --partial "/big?"
}

@test "the store survives a clean restart: hits without the origin" {
    local t='/persist?size=3000&cc=max-age%3D300'
    get "$t"
    signal_pid TERM
    start_cached
    get "$t"
    [ "$(header X-Cache)" = HIT ]
    [ "$(count /persist)" -eq 1 ]
    [ "$(ctl -j cache stats | jq .index_rebuilt)" = false ]
}

@test "kill -9 in the middle of a fill: the index is rebuilt and the partial body is never served" {
    local t='/killed?size=2000000&chunked=1&chunks=40&chunkdelay=0.1&cc=max-age%3D300'
    local k='/kept?size=1234&cc=max-age%3D300'
    get "$k"
    curl -sS -o /dev/null "http://$CACHE$t" 3>&- &
    until_true 20 bash -c "[ \$(SR_RUNTIME_DIR='$LAB/c/run' sr-ctl -j cache stats | jq .bytes_in) -gt 0 ]"
    signal_pid KILL
    wait || true
    start_cached
    [ "$(ctl -j cache stats | jq .index_rebuilt)" = true ]
    run ctl cache stat "http://$CACHE$t"
    assert_failure 1
    get "$k"
    [ "$(header X-Cache)" = HIT ]
    expected_body "$t"
    get "$t"
    [ "$(header X-Cache)" = MISS ]
    cmp "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/expected"
    [ -z "$(ls -A "$LAB/c/cache/tmp")" ]
}

@test "stale-if-error: the stored copy is served while the origin is down" {
    local t='/sie?cc=max-age%3D0%2C%20stale-if-error%3D600&etag=s1'
    get "$t"
    kill -TERM "$(cat "$LAB/origin/pid")"
    wait_gone "$(cat "$LAB/origin/pid")" 10
    get "$t"
    [ "$(status)" = 200 ]
    [ "$(header X-Cache)" = STALE ]
    get '/never-seen?cc=max-age%3D60'
    [ "$(status)" = 502 ]
    start_origin
}

signal_pid() {
    local pid
    pid="$(cat "$LAB/c/pid")"
    kill "-$1" "$pid"
    wait_gone "$pid" 10
}

@test "sr-ctl status: cooperation on but no sr-dhtd beside it is said in the health column" {
    run ctl -j status
    [ "$(jq -r .health <<<"$output")" = ok ]   # cooperation off (no peer key): nothing is missing
    local dir="$LAB/coop-alone"
    mkdir -p "$dir"
    head -c 32 /dev/urandom | base64 >"$dir/peer.key"
    chmod 600 "$dir/peer.key"
    mkfifo "$dir/ready"
    sr-cached --listen 127.0.0.152:8151 --origin "http://$ORIGIN" --cache-dir "$dir/cache" --runtime-dir "$dir/run" \
        --access-log off --peer-key-file "$dir/peer.key" --ready-fd 9 9>"$dir/ready" 2>>"$dir/log" </dev/null \
        3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid"
    wait_ready "$dir/ready"
    run env SR_RUNTIME_DIR="$dir/run" sr-ctl -j status
    assert_success
    [ "$(jq -r .name <<<"$output")" = sr-cached ]
    [ "$(jq -r .security <<<"$output")" = "cooperation peer key" ]
    [ "$(jq -r .health <<<"$output")" = "cooperation off: no sr-dhtd" ]
    kill -TERM "$(cat "$dir/pid")"
}

@test "the counters agree with the access log; a line has its time, upstream and verdict" {
    local m0 h0
    m0="$(ctl -j cache stats | jq .misses)"
    h0="$(ctl -j cache stats | jq .hits)"
    # Stored but stale at once, without validators: the second request fetches it whole again, a MISS.
    get '/agree-stale?size=10&cc=max-age%3D0'
    [ "$(header X-Cache)" = MISS ]
    get '/agree-stale?size=10&cc=max-age%3D0'
    [ "$(header X-Cache)" = MISS ]
    get '/agree-fresh?size=10&cc=max-age%3D300'
    get '/agree-fresh?size=10&cc=max-age%3D300'
    [ "$(header X-Cache)" = HIT ]
    [ "$(ctl -j cache stats | jq .misses)" -eq $((m0 + 3)) ]
    [ "$(ctl -j cache stats | jq .hits)" -eq $((h0 + 1)) ]
    # The access log says the same (its lines are flushed within a second).
    until_true 5 bash -c "[ \$(grep -c '/agree-' '$LAB/c/access.log') -eq 4 ]"
    [ "$(grep '/agree-' "$LAB/c/access.log" | awk '$7 == "MISS"' | wc -l)" -eq 3 ]
    [ "$(grep '/agree-' "$LAB/c/access.log" | awk '$7 == "HIT"' | wc -l)" -eq 1 ]
    # TIME CLIENT METHOD URL STATUS BYTES X-CACHE MS UPSTREAM FOR
    run grep -F '/agree-fresh' "$LAB/c/access.log"
    assert_line --index 0 --regexp "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z 127\.0\.0\.1 GET http://$CACHE/agree-fresh\?size=10&cc=max-age%3D300 200 10 MISS [0-9.]+ $ORIGIN -\$"
    assert_line --index 1 --regexp " 200 10 HIT [0-9.]+ - -\$"
}

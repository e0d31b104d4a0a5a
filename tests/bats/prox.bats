#!/usr/bin/env bats
# sr-proxd: answers from a topology file, through sr-lookup, prox.* and ALTO;
# BGP learned from a real bird2 peer: session, prefixes, withdrawal, restart,
# loss; reload on SIGHUP.

load helpers

# ams -5- lon -7- par -4- fra -10- ams
TOPOLOGY='# test provider
router ams 10.0.0.1
router fra 10.0.0.2
router lon 10.0.0.3
router par 10.0.0.4 2001:db8:1::2
link ams fra 10
link ams lon 5
link lon par 7
link fra par 4
prefix 192.0.2.0/26 ams
prefix 192.0.2.64/26 fra
prefix 192.0.2.128/26 lon
prefix 192.0.2.192/26 par
prefix 2001:db8:1::/48 ams
prefix 2001:db8:2::/48 par
prefix 127.0.0.64/27 lon'

setup_file() {
    export ADDR_BASE=70 PORT=4170
    lab_setup
    export PX="$LAB/px" BIRD="$LAB/bird"
    mkdir -p "$PX" "$BIRD"
    printf '%s\n' "$TOPOLOGY" >"$PX/topo.txt"
    write_bird_config 3
    bird -c "$BIRD/bird.conf" -s "$BIRD/sock" -P "$BIRD/pid" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    mkfifo "$PX/ready"
    sr-proxd --runtime-dir "$PX/run" -t "$PX/topo.txt" --alto-listen 127.0.0.70:8170 \
        --bgp-as 65000 --bgp-router-id 127.0.0.71 --bgp-peer "127.0.0.72 65001 port=1179 local=127.0.0.71 hold=9" \
        --ready-fd 9 9>"$PX/ready" 2>>"$PX/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$PX/pid"
    wait_ready "$PX/ready"
}

teardown_file() {
    # Every daemon a test started, also when that test failed half-way.
    local pidfile
    for pidfile in "$PX"/*pid "$LAB"/*pid "$LAB"/dht/pid* "$BIRD/pid"; do
        [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    done
}

# write_bird_config N: bird2 exports N generated IPv4 /24s (next hop fra's
# 10.0.0.2), 198.51.100.0/24 with two extra AS hops, and one IPv6 /48 (next
# hop par's 2001:db8:1::2).
write_bird_config() {
    {
        echo "router id 127.0.0.72;"
        echo "protocol device {}"
        echo "protocol static s4 { ipv4;"
        for i in $(seq 1 "$1"); do echo "  route 203.0.$((i / 256)).$((i % 256)).0/24 blackhole;" | sed 's/203\.0\.\([0-9]*\)\.\([0-9]*\)\.0/100.\1.\2.0/'; done
        echo "  route 198.51.100.0/24 blackhole; }"
        echo "protocol static s6 { ipv6; route 2001:db8:ff::/48 blackhole; }"
        echo "filter out4 { bgp_next_hop = 10.0.0.2;"
        echo "  if net = 198.51.100.0/24 then { bgp_path.prepend(65010); bgp_path.prepend(65011); } accept; }"
        echo "protocol bgp srproxd { local 127.0.0.72 port 1179 as 65001; neighbor 127.0.0.71 as 65000;"
        echo "  multihop; passive; hold time 9;"
        echo "  ipv4 { import none; export filter out4; };"
        echo "  ipv6 { import none; export filter { bgp_next_hop = 2001:db8:1::2; accept; }; }; }"
    } >"$BIRD/bird.conf"
}

px() { SR_RUNTIME_DIR="$PX/run" "$@"; }
external() { px sr-ctl -j prox summary | jq .external_prefixes; }
peer_state() { px sr-ctl -j prox peers | jq -r .state; }

@test "rank orders candidates by IGP cost; ties keep input order; unplaceable last" {
    run px sr-lookup rank --from 192.0.2.10 < <(printf '192.0.2.200\n192.0.2.70\n10.99.0.1\n192.0.2.130\n192.0.2.140\n192.0.2.1\n')
    assert_success
    assert_output "192.0.2.1	0
192.0.2.130	5
192.0.2.140	5
192.0.2.70	10
192.0.2.200	12
10.99.0.1	-"
    run px sr-lookup rank --from 192.0.2.10 --top 2 192.0.2.200 192.0.2.130 192.0.2.1
    assert_output "192.0.2.1	0
192.0.2.130	5"
}

@test "rank, cost and pid take endpoints as the other tools print them (ADDR:PORT, [V6]:PORT); rank keeps the port" {
    run px sr-lookup rank --from 192.0.2.10:4100 192.0.2.200:4100 '[2001:db8:1::5]:4100' 192.0.2.130:8080 192.0.2.1:x
    assert_success
    assert_output "[2001:db8:1::5]:4100	0
192.0.2.130:8080	5
192.0.2.200:4100	12
192.0.2.1:x	-"
    run px sr-lookup cost '[2001:db8:1::5]:80' 192.0.2.200:4100
    assert_output 12
    run px sr-lookup pid 192.0.2.70:4100
    assert_output fra
    # What sr-ctl dht leafset prints (its address column) ranks as it is.
    printf '%s\t%s\n' 0123 192.0.2.70:4160 4567 192.0.2.130:4160 | cut -f2 | px sr-lookup rank --from 192.0.2.10 >"$BATS_TEST_TMPDIR/r"
    [ "$(cut -f1 "$BATS_TEST_TMPDIR/r" | paste -sd,)" = "192.0.2.130:4160,192.0.2.70:4160" ]
}

@test "cost and pid, IPv4 and IPv6; no path is exit 1" {
    run px sr-lookup cost 192.0.2.10 192.0.2.200
    assert_output 12
    run px sr-lookup cost 2001:db8:1::9 2001:db8:2::9
    assert_output 12
    run px sr-lookup pid 192.0.2.70
    assert_output fra
    # A router's own address: prox route says whose, as pid does.
    run px sr-lookup pid 10.0.0.3
    assert_output lon
    run px sr-ctl prox route 10.0.0.3
    assert_success
    assert_output --partial "10.0.0.3/32	lon	router address"
    run px sr-lookup cost 192.0.2.10 10.99.0.1
    assert_failure 1
    run px sr-lookup cost 192.0.2.10 not-an-address
    assert_failure 65
}

@test "BGP: the session with bird2 comes up and every prefix is learned" {
    until_true 15 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-ctl -j prox summary | jq .external_prefixes)" = 5 ]'
    [ "$(peer_state)" = established ]
    run px sr-ctl prox route 198.51.100.7
    assert_output --partial "198.51.100.0/24	fra	bgp 127.0.0.72	10.0.0.2	65001 65011 65010"
    # The cost of an external destination: IGP cost to its egress + 1000 per AS hop.
    run px sr-lookup cost 192.0.2.10 198.51.100.7
    assert_output 3010
    run px sr-lookup cost 192.0.2.10 100.0.1.9
    assert_output 1010
    run px sr-lookup cost 192.0.2.10 2001:db8:ff::1
    assert_output 1012
}

@test "BGP: a withdrawal shows in the answers within a second" {
    write_bird_config 1
    birdc -s "$BIRD/sock" configure >/dev/null
    until_true 5 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-ctl -j prox summary | jq .external_prefixes)" = 3 ]'
    run px sr-lookup cost 192.0.2.10 100.0.2.9
    assert_failure 1
}

@test "BGP: bird2 restarted, the session comes back; bird2 stopped, its routes are flushed" {
    kill "$(cat "$BIRD/pid")"
    until_true 15 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-ctl -j prox summary | jq .external_prefixes)" = 0 ]'
    [ "$(peer_state)" != established ]
    run px sr-lookup cost 192.0.2.10 198.51.100.7
    assert_failure 1
    bird -c "$BIRD/bird.conf" -s "$BIRD/sock" -P "$BIRD/pid" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    until_true 30 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-ctl -j prox summary | jq .external_prefixes)" = 3 ]'
    [ "$(peer_state)" = established ]
}

@test "ALTO: directory, network map, endpoint cost, and an error in RFC 7285 form" {
    run curl -sf -H 'Accept: application/alto-directory+json' http://127.0.0.70:8170/directory
    assert_success
    local nm ec
    nm="$(jq -r '.resources.networkmap.uri' <<<"$output")"
    ec="$(jq -r '.resources["endpoint-cost"].uri' <<<"$output")"
    run curl -sf "$nm"
    # par's prefixes and its router addresses; the default PID covers the rest (RFC 7285 11.2.1.6).
    [ "$(jq -c '.["network-map"].par' <<<"$output")" = '{"ipv4":["192.0.2.192/26","10.0.0.4/32"],"ipv6":["2001:db8:2::/48","2001:db8:1::2/128"]}' ]
    [ "$(jq -c '.["network-map"].default' <<<"$output")" = '{"ipv4":["0.0.0.0/0"],"ipv6":["::/0"]}' ]
    run curl -sf -H 'Content-Type: application/alto-endpointcostparams+json' \
        -d '{"cost-type":{"cost-mode":"numerical","cost-metric":"routingcost"},"endpoints":{"srcs":["ipv4:192.0.2.10"],"dsts":["ipv4:192.0.2.200"]}}' "$ec"
    [ "$(jq '.["endpoint-cost-map"]["ipv4:192.0.2.10"]["ipv4:192.0.2.200"]' <<<"$output")" = 12 ]
    run curl -s -w '\n%{http_code}' -H 'Content-Type: application/alto-endpointcostparams+json' -d '{not json' "$ec"
    assert_line --index 1 400
    [ "$(head -n1 <<<"$output" | jq -r .meta.code)" = E_SYNTAX ]
}

@test "gateway mode answers from another sr-proxd's ALTO maps" {
    mkfifo "$PX/gw-ready"
    sr-proxd --runtime-dir "$PX/gw" --upstream http://127.0.0.70:8170/directory --ready-fd 9 9>"$PX/gw-ready" \
        2>>"$PX/gw-log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$PX/gw-pid"
    wait_ready "$PX/gw-ready"
    until_true 10 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/gw sr-lookup pid 192.0.2.70)" = fra ]'
    run env SR_RUNTIME_DIR="$PX/gw" sr-lookup cost 192.0.2.10 192.0.2.200
    assert_output 12
    kill -TERM "$(cat "$PX/gw-pid")"
}

@test "SIGHUP reloads the topology; a bad file keeps the running one" {
    sed -i 's/^link ams lon 5$/link ams lon 50/' "$PX/topo.txt"
    kill -HUP "$(cat "$PX/pid")"
    until_true 5 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-lookup cost 192.0.2.10 192.0.2.130)" = 21 ]'
    printf 'link ams nowhere 3\n' >>"$PX/topo.txt"
    kill -HUP "$(cat "$PX/pid")"
    until_true 5 grep -q "reload failed, keeping the running configuration: .*topo.txt:17" "$PX/log"
    run px sr-lookup cost 192.0.2.10 192.0.2.130
    assert_output 21   # ams-lon is 50 now: the way round through fra and par is shorter
}

@test "sr-ctl reload does what SIGHUP does, through the socket, and answers why not (78)" {
    sed -i '/^link ams nowhere 3$/d' "$PX/topo.txt"   # the bad line the test above left
    sed -i 's/^link ams lon 50$/link ams lon 6/' "$PX/topo.txt"
    run px sr-ctl reload proxd
    assert_success
    assert_output true
    run px sr-lookup cost 192.0.2.10 192.0.2.130
    assert_output 6
    printf 'link ams nowhere 3\n' >>"$PX/topo.txt"
    run px sr-ctl reload sr-proxd
    assert_failure 78
    assert_output --partial "topo.txt:17"
    run px sr-lookup cost 192.0.2.10 192.0.2.130
    assert_output 6
    sed -i '/^link ams nowhere 3$/d' "$PX/topo.txt"
    run px sr-ctl -j reload proxd
    [ "$(jq .reloaded <<<"$output")" = true ]
}

@test "sr-dhtd beside sr-proxd chooses neighbours by topological cost" {
    local dir="$LAB/dht"
    mkdir -p "$dir"
    mkfifo "$dir/ready1" "$dir/ready2"
    # Node 1 shares sr-proxd's runtime directory; node 2 joins it.
    sr-dhtd --runtime-dir "$PX/run" --listen 127.0.0.73:4173 --ready-fd 9 9>"$dir/ready1" 2>>"$dir/log1" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid1"
    wait_ready "$dir/ready1"
    sr-dhtd --runtime-dir "$dir/run2" --listen 127.0.0.74:4173 --join 127.0.0.73:4173 --ready-fd 9 9>"$dir/ready2" \
        2>>"$dir/log2" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$dir/pid2"
    wait_ready "$dir/ready2"
    until_true 15 bash -c '[ "$(SR_RUNTIME_DIR='"$PX"'/run sr-ctl -j call dhtd sys.stats | jq ".\"proximity.known\" // 0")" -ge 1 ]'
    run px sr-ctl -j dht info
    [ "$(jq -r .proximity <<<"$output")" = sr-proxd ]
    grep -q "neighbour selection uses sr-proxd" "$dir/log1"
    kill -TERM "$(cat "$dir/pid1")" "$(cat "$dir/pid2")"
}

@test "an MRT RIB dump gives external routes; a corrupt one is refused with its offset" {
    "$PYTHON" "$SR_TESTS/mrt_writer.py" "$LAB/rib.mrt" 10.0.0.4 203.0.113.0/24:65001,65002,65003 100.64.0.0/10:65001
    printf '%s\n' "$TOPOLOGY" >"$LAB/topo.txt"
    mkfifo "$LAB/mrt-ready"
    sr-proxd --runtime-dir "$LAB/mrt" -t "$LAB/topo.txt" --mrt "$LAB/rib.mrt" --ready-fd 9 9>"$LAB/mrt-ready" \
        2>>"$LAB/mrt-log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/mrt-pid"
    wait_ready "$LAB/mrt-ready" || { cat "$LAB/mrt-log"; false; }
    # ams to par is 12 (the way round through lon), then 1000 per AS hop.
    run env SR_RUNTIME_DIR="$LAB/mrt" sr-lookup cost 192.0.2.10 203.0.113.77
    assert_output 3012
    run env SR_RUNTIME_DIR="$LAB/mrt" sr-lookup cost 192.0.2.10 100.100.0.1
    assert_output 1012
    run env SR_RUNTIME_DIR="$LAB/mrt" sr-ctl -j prox summary
    [ "$(jq .mrt_routes <<<"$output")" = 2 ]
    kill -TERM "$(cat "$LAB/mrt-pid")"
    head -c 40 "$LAB/rib.mrt" >"$LAB/cut.mrt"
    run sr-proxd -n -t "$LAB/topo.txt" --mrt "$LAB/cut.mrt"
    assert_failure 78
    assert_output --partial "cut.mrt"
}

@test "prox.refresh asks the BGP peer to send its routes again" {
    run px sr-ctl -j call proxd prox.refresh '{}'
    assert_success
    [ "$(jq .asked <<<"$output")" = 1 ]
    run px sr-ctl call proxd prox.refresh '{"peer": "192.0.2.99"}'
    assert_failure 1
    run px sr-ctl prox refresh
    assert_success
    assert_output 1
    run px sr-ctl prox refresh 192.0.2.99
    assert_failure 1
    assert_output --partial "no BGP peer 192.0.2.99"
}

@test "-n names the file and line of a topology error" {
    printf 'router a\nlink a b 5\n' >"$LAB/bad.txt"
    run sr-proxd -n -t "$LAB/bad.txt"
    assert_failure 78
    assert_output --partial "bad.txt:2"
}

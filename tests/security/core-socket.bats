#!/usr/bin/env bats
# Issue 9 items 13 and 14: --socket must not unlink what is not a stale
# socket; --group must count the peer's supplementary groups.
load '../bats/helpers'

GROUP=srsec-core-grp
MEMBER=srsec-core-member   # GROUP is a supplementary group, not the primary one
OUTSIDER=srsec-core-out

setup_file() {
    getent group "$GROUP" >/dev/null || groupadd -r "$GROUP"
    id -u "$MEMBER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin -G "$GROUP" "$MEMBER"
    id -u "$OUTSIDER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$OUTSIDER"
}

setup() {
    ADDR_BASE=201
    PORT=4202
    # Other users must reach the sockets: a lab outside bats' private (0700) tree.
    LAB="$(mktemp -d /tmp/sr-core-sec.XXXXXX)"
    export LAB
    chmod 0755 "$LAB"
}

teardown() {
    lab_teardown
    rm -rf "$LAB"
}

# refused PATH: sr-dhtd --socket PATH exits 78 naming PATH.
refused() {
    run timeout 20 sr-dhtd --runtime-dir "$LAB/run" --socket "$1" --listen "$(node_addr 2)"
    assert_failure 78
    assert_output --partial "control socket $1 exists and is not a socket"
}

@test "--socket: a regular file, a directory or a symlink at PATH is refused and left alone" {
    echo "precious" >"$LAB/file"
    refused "$LAB/file"
    run cat "$LAB/file"
    assert_output "precious"
    mkdir "$LAB/dir"
    refused "$LAB/dir"
    assert [ -d "$LAB/dir" ]
    ln -s "$LAB/file" "$LAB/link"
    refused "$LAB/link"
    assert [ -L "$LAB/link" ]
    run cat "$LAB/file"
    assert_output "precious"
}

@test "--socket: a live daemon's socket is refused, a stale one replaced" {
    start_node 1
    sock="$(node_dir 1)/run/dhtd.sock"
    run timeout 20 sr-dhtd --runtime-dir "$LAB/run" --socket "$sock" --listen "$(node_addr 2)"
    assert_failure 75
    assert_output --partial "another daemon is serving $sock"
    run sr-ctl call "$sock" sys.ping
    assert_success

    "$PYTHON" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$LAB/stale.sock"
    assert [ -S "$LAB/stale.sock" ]
    start_node 2 --socket "$LAB/stale.sock"
    run sr-ctl call "$LAB/stale.sock" sys.ping
    assert_success
    grep -q "replacing the stale control socket $LAB/stale.sock" "$(node_dir 2)/log"
}

@test "--group: a supplementary member may call a mutating method, an outsider may not" {
    start_node 1 --group "$GROUP"
    run stat -c '%G %a' "$(node_dir 1)/run" "$(node_dir 1)/run/dhtd.sock"
    assert_line --index 0 "$GROUP 750"
    assert_line --index 1 "$GROUP 660"
    # The member's primary group is its own; GROUP comes from /etc/group (--init-groups).
    [ "$(id -gn "$MEMBER")" != "$GROUP" ]
    run at 1 setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups sr-lookup put group-name member-value
    assert_success
    run at 1 setpriv --reuid="$OUTSIDER" --regid="$(id -g "$OUTSIDER")" --init-groups sr-lookup put group-name outsider-value
    assert_failure 77
    # The outsider given the socket anyway (as if its mode were 0666) is still denied the write.
    chmod 0755 "$(node_dir 1)/run"
    chmod 0666 "$(node_dir 1)/run/dhtd.sock"
    run at 1 setpriv --reuid="$OUTSIDER" --regid="$(id -g "$OUTSIDER")" --init-groups sr-lookup put group-name outsider-value
    assert_failure 77
    assert_output --partial "permission"
    run at 1 sr-lookup get group-name
    assert_success
    assert_output --partial member-value
    refute_output --partial outsider-value
}

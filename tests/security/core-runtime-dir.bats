#!/usr/bin/env bats
# Issue 9 item 3: another local user squats the default runtime directory
# /tmp/sr-UID (no XDG_RUNTIME_DIR) and runs a daemon of their own in it, to
# receive the victim's requests. The victim's daemon and clients refuse it.
load '../bats/helpers'

VICTIM=srsec-core-victim
SQUATTER=srsec-core-squat

setup_file() {
    id -u "$VICTIM" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$VICTIM"
    id -u "$SQUATTER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$SQUATTER"
}

setup() {
    ADDR_BASE=200
    PORT=4200
    lab_setup
    chmod 0755 "$LAB"
    VICTIM_DIR="/tmp/sr-$(id -u "$VICTIM")"
    rm -rf "$VICTIM_DIR"
}

teardown() {
    lab_teardown
    rm -rf "$VICTIM_DIR"
}

# as USER CMD...: runs CMD as USER with the default runtime directory.
as() {
    local user=$1
    shift
    env -u SR_RUNTIME_DIR -u XDG_RUNTIME_DIR HOME=/ \
        setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"
}

# start_as USER NAME [sr-dhtd options...]: a daemon as USER, waited for.
start_as() {
    local user=$1 name=$2
    shift 2
    mkdir -p "$LAB/$name"
    mkfifo "$LAB/$name/ready"
    env -u SR_RUNTIME_DIR -u XDG_RUNTIME_DIR HOME=/ setpriv --reuid="$user" --regid="$(id -g "$user")" \
        --clear-groups sr-dhtd --listen "127.0.0.200:$PORT" --ready-fd 9 "$@" 9>"$LAB/$name/ready" \
        2>>"$LAB/$name/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/$name/pid"
    wait_ready "$LAB/$name/ready" || { cat "$LAB/$name/log" >&2; return 1; }
}

@test "runtime dir: a daemon creates the default directory 0700 and its clients use it" {
    start_as "$VICTIM" victim
    run stat -c '%U %a' "$VICTIM_DIR"
    assert_output "$VICTIM 700"
    run as "$VICTIM" sr-ctl status
    assert_success
    assert_output --partial "$VICTIM_DIR/dhtd.sock"
}

@test "runtime dir: a directory squatted by another user is refused by daemon and clients" {
    # The squatter takes the victim's default directory first and serves in it.
    as "$SQUATTER" mkdir -m 0755 "$VICTIM_DIR"
    start_as "$SQUATTER" squatter --runtime-dir "$VICTIM_DIR"
    as "$SQUATTER" chmod 0666 "$VICTIM_DIR/dhtd.sock"

    run as "$VICTIM" sr-ctl status
    assert_failure 78
    assert_output --partial "runtime directory $VICTIM_DIR is owned by uid $(id -u "$SQUATTER")"
    [ "${#lines[@]}" -eq 1 ]
    run as "$VICTIM" sr-lookup put some-name secret-value
    assert_failure 78
    assert_output --partial "$VICTIM_DIR"
    run as "$VICTIM" sr-ctl call dhtd sys.ping
    assert_failure 78

    run as "$VICTIM" timeout 20 sr-dhtd --listen "127.0.0.201:$PORT"
    assert_failure 78
    assert_output --partial "runtime directory $VICTIM_DIR is owned by uid"
    # Nothing the victim sent reached the squatter's daemon.
    run sr-ctl --runtime-dir "$VICTIM_DIR" -j call dhtd sys.stats
    assert_success
    [ "$(jq '."rpc.requests"' <<<"$output")" -eq 1 ]  # this call only
}

@test "runtime dir: a squatted directory of mode 0777 or a symlink is refused" {
    as "$SQUATTER" mkdir -m 0777 "$VICTIM_DIR"
    run as "$VICTIM" sr-ctl status
    assert_failure 78
    assert_output --partial "$VICTIM_DIR"
    rmdir "$VICTIM_DIR"
    # A symlink to a directory the victim owns, planted by the squatter (who could repoint it).
    mkdir -m 0700 "$LAB/victims-own" && chown "$VICTIM" "$LAB/victims-own"
    as "$SQUATTER" ln -s "$LAB/victims-own" "$VICTIM_DIR"
    run as "$VICTIM" timeout 20 sr-dhtd --listen "127.0.0.201:$PORT"
    assert_failure 78
    assert_output --partial "$VICTIM_DIR is a symbolic link owned by uid $(id -u "$SQUATTER")"
    rm -f "$VICTIM_DIR"
}

@test "runtime dir: a group-writable directory given explicitly is refused" {
    mkdir -m 0770 "$LAB/shared"
    run timeout 20 sr-dhtd --runtime-dir "$LAB/shared" --listen "127.0.0.201:$PORT"
    assert_failure 78
    assert_output --partial "runtime directory $LAB/shared has mode 0770"
    run sr-ctl --runtime-dir "$LAB/shared" status
    assert_failure 78
}

@test "runtime dir: a default directory placed by root for another user's daemons is used" {
    # As systemd makes /run/sr for daemons running as user sr: the parent
    # only root can write, the directory owned by the daemons' user.
    base="$(mktemp -d /tmp/sr-core-sec.XXXXXX)"
    chmod 0755 "$base"
    mkdir -m 0755 "$base/sr" && chown "$SQUATTER" "$base/sr"
    start_as "$SQUATTER" placed --runtime-dir "$base/sr"
    run env -u SR_RUNTIME_DIR XDG_RUNTIME_DIR="$base" HOME=/ \
        setpriv --reuid="$VICTIM" --regid="$(id -g "$VICTIM")" --clear-groups sr-ctl status
    # Past the directory check: the socket itself is the daemons' user's (0660).
    refute_output --partial "runtime directory"
    kill -TERM "$(cat "$LAB/placed/pid")"
    wait_gone "$(cat "$LAB/placed/pid")" 10
    rm -rf "$base"
}

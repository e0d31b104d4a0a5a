#!/usr/bin/env bats
# cmake --install (issue 13): binaries, man pages, completions, systemd
# units pointing at the installed binaries, example configurations; and the
# example configurations, run side by side on one host, take no port twice.

load helpers

setup_file() {
    export PREFIX="$BATS_FILE_TMPDIR/prefix"
    cmake --install "$SR_BIN/.." --prefix "$PREFIX" >"$BATS_FILE_TMPDIR/install.log"
}

@test "cmake --install puts the binaries, man pages and completions under the prefix" {
    for tool in sr-dhtd sr-proxd sr-cached sr-streamd sr-eventd sr-lookup sr-ctl; do
        run "$PREFIX/bin/$tool" --version
        assert_success
        assert_output --regexp "^$tool [0-9]+\.[0-9]+\.[0-9]+$"
    done
    for page in man1/sr-lookup.1 man7/sr.7 man7/sr-rpc.7 man8/sr-dhtd.8 man8/sr-proxd.8 man8/sr-cached.8 \
        man8/sr-streamd.8 man8/sr-eventd.8 man8/sr-ctl.8; do
        [ -s "$PREFIX/share/man/$page" ]
        MANWIDTH=80 man -l "$PREFIX/share/man/$page" >/dev/null 2>&1
    done
    [ -s "$PREFIX/share/bash-completion/completions/sr-ctl" ]
    [ -s "$PREFIX/share/zsh/vendor-completions/_sr-lookup" ]
    [ -s "$PREFIX/share/fish/vendor_completions.d/sr-ctl.fish" ]
}

@test "the systemd units are installed, each starting the installed binary" {
    for d in sr-dhtd sr-proxd sr-cached sr-streamd sr-eventd; do
        unit="$PREFIX/lib/systemd/system/$d.service"
        [ -s "$unit" ]
        run grep '^ExecStart=' "$unit"
        assert_output --regexp "^ExecStart=$PREFIX/bin/$d "
    done
}

@test "the example configurations are installed and check clean" {
    local ex="$PREFIX/share/doc/sr/examples"
    [ -x "$ex/lab" ]
    [ -x "$ex/s6/sr-dhtd/run" ]
    for d in sr-dhtd sr-proxd sr-cached sr-streamd sr-eventd; do [ -s "$ex/$d.conf" ]; done
    [ -s "$ex/topology.txt" ]
}

@test "the example configurations take no address and port twice" {
    # Every *listen* value of every example, one ADDR:PORT a line: no duplicates.
    grep -hE '^[a-z-]*listen *=' "$SR_TESTS"/../../examples/*.conf | sed 's/^[^=]*= *//' | tr -d '[]" ' | tr ',' '\n' |
        sed '/^$/d' >"$BATS_TEST_TMPDIR/listens"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/listens")" -ge 5 ]
    run bash -c "sort '$BATS_TEST_TMPDIR/listens' | uniq -d"
    assert_output ""
}

#!/usr/bin/env bats
# sr-streamd's paths reach nothing outside --media-dir: dot-segments, their
# percent-encodings, hidden names, symlinked names are not titles.

load '../bats/helpers'

BASE=http://127.0.0.246:8246

setup_file() {
    lab_setup
    mkdir -p "$LAB/media" "$LAB/run" "$LAB/s"
    echo secret >"$LAB/secret.mp4"
    ln -s "$LAB/secret.mp4" "$LAB/media/link.mp4"   # a symlink out of the directory
    mkdir -p "$LAB/media/.hidden"
    mkfifo "$LAB/ready"
    sr-streamd --runtime-dir "$LAB/run" --listen 127.0.0.246:8246 --media-dir "$LAB/media" --ready-fd 9 \
        9>"$LAB/ready" 2>>"$LAB/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/s/pid"
    wait_ready "$LAB/ready"
}

teardown_file() { lab_teardown; }

@test "dot-segments, encoded or not, hidden names and backslashes are not titles" {
    for p in '/vod/../secret.mp4' '/vod/%2e%2e/secret.mp4' '/vod/%2E%2E%2Fsecret.mp4' '/vod/..%2fsecret.mp4' \
             '/vod/.hidden/hls.m3u8' '/vod/a/..%2f..%2fsecret/ts.m3u8' '/vod/..%5csecret.mp4' '/secret.mp4' \
             '/vod/../secret/manifest.mpd' '/vod/%2e%2e/cmaf.m3u8' '/vod/.hidden/.hidden/video/init.mp4' \
             '/vod/a/..%2f..%2fsecret/video/0.m4s' '/vod/secret/secret/..%2f..%2f..%2fsecret/init.mp4' \
             '/vod/secret/secret/%2e%2e/0.m4s'; do
        run curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE$p"
        assert_output 404
    done
}

@test "a symlink to a file that is not media serves none of its bytes" {
    local p
    for p in link.mp4 link/manifest.mpd link/cmaf.m3u8 link/link/video/init.mp4 link/link/video/0.m4s link/link/audio/0.m4s; do
        run curl -s -w ' %{http_code}' "$BASE/vod/$p"
        refute_output --partial secret
    done
}

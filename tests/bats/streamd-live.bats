#!/usr/bin/env bats
# sr-streamd's live channels, fed by ffmpeg in real time: MPEG-TS over UDP
# (--live) and pushed over HTTP (--ingest-listen). The sliding window and its
# tags, segments that ffprobe reads and ffmpeg decodes, a stall and a resume
# (EXT-X-DISCONTINUITY), the ingest's token, sr-cached in front, sr-ctl, and
# hls.js in Chromium playing the channel.

load helpers

A=127.0.0.232
BASE=http://$A:8232
INGEST=http://$A:8233

# feed NAME URL [ffmpeg output options...]: ffmpeg sends the title in a loop,
# in real time, as MPEG-TS to URL; its pid in $LAB/NAME/pid.
feed() {
    local name=$1 url=$2
    shift 2
    mkdir -p "$LAB/$name"
    ffmpeg -v error -re -stream_loop -1 -i "$LAB/title.mp4" -c copy "$@" -f mpegts "$url" \
        2>>"$LAB/$name/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$LAB/$name/pid"
}

stop_feed() {
    kill -TERM "$(cat "$LAB/$1/pid")"
    wait_gone "$(cat "$LAB/$1/pid")" 10
}

# segments NAME: how many segments the channel's media playlist lists.
segments() { curl -sf "$BASE/live/$1/ts.m3u8" | grep -c '\.ts$'; }
has_segments() { [ "$(segments "$1")" -ge "$2" ]; }
channel_state() {
    SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream live | jq -r --arg n "$1" 'select(.name == $n) | .state'
}
state_is() { [ "$(channel_state "$1")" = "$2" ]; }

setup_file() {
    lab_setup
    mkdir -p "$LAB/media" "$LAB/run" "$LAB/s"
    # A keyframe every second (24 frames), so 2 s segments cut where they should.
    ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=24 -f lavfi -i sine=frequency=440:sample_rate=48000 \
        -t 10 -c:v libx264 -preset veryfast -g 24 -keyint_min 24 -sc_threshold 0 -b:v 800k -c:a aac -b:a 96k \
        "$LAB/title.mp4"
    head -c 32 /dev/urandom | base64 >"$LAB/token"
    chmod 600 "$LAB/token"
    mkfifo "$LAB/ready"
    sr-streamd --runtime-dir "$LAB/run" --listen "$A:8232" --media-dir "$LAB/media" --no-announce \
        --segment-seconds 2 --live "udp1=udp://$A:8234" --ingest-listen "$A:8233" --ingest-token-file "$LAB/token" \
        --ready-fd 9 9>"$LAB/ready" 2>>"$LAB/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/s/pid"
    wait_ready "$LAB/ready"
    feed f1 "udp://$A:8234?pkt_size=1316"
    until_true 30 has_segments udp1 3
}

teardown_file() { lab_teardown; }

@test "a declared channel before any input: 503 with Retry-After, listed as waiting" {
    # Another daemon, so that the channel has never had input.
    mkdir -p "$LAB/w" && mkfifo "$LAB/w/ready"
    sr-streamd --runtime-dir "$LAB/w/run" --listen "$A:8235" --media-dir "$LAB/media" --no-announce \
        --live "quiet=udp://$A:8236" --ready-fd 9 9>"$LAB/w/ready" 2>>"$LAB/w/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/w/pid"
    wait_ready "$LAB/w/ready"
    run curl -s -D - "http://$A:8235/live/quiet/hls.m3u8"
    assert_line --partial '503'
    assert_line --partial 'Retry-After: 4'
    run curl -s -o /dev/null -w '%{http_code}' "http://$A:8235/live/nothere/ts.m3u8"
    assert_output 404
    run env SR_RUNTIME_DIR="$LAB/w/run" sr-ctl -j stream live
    [ "$(jq -r .state <<<"$output")" = waiting ]
}

@test "UDP input: a sliding window with media sequence and program date time; ffprobe reads it, ffmpeg decodes it" {
    run curl -s -D "$LAB/h" "$BASE/live/udp1/ts.m3u8"
    assert_line '#EXTM3U'
    assert_line '#EXT-X-TARGETDURATION:2'
    assert_line --regexp '^#EXT-X-MEDIA-SEQUENCE:[0-9]+$'
    refute_line '#EXT-X-ENDLIST'
    local extinf pdt
    extinf=$(grep -c '^#EXTINF:' <<<"$output")
    pdt=$(grep -c '^#EXT-X-PROGRAM-DATE-TIME:20[0-9-]*T[0-9:.]*Z$' <<<"$output")
    [ "$extinf" -ge 3 ] && [ "$pdt" -eq "$extinf" ]
    # Cut at the 2 s target, at keyframes one second apart.
    grep '^#EXTINF:' <<<"$output" | awk -F'[:,]' '{ if ($2 < 1.9 || $2 > 2.1) exit 1 }'
    grep -qi '^Cache-Control: public, max-age=1' "$LAB/h"   # half a segment
    # The window slides: the first number grows and the window stays at six.
    local first
    first=$(grep -o 'MEDIA-SEQUENCE:[0-9]*' <<<"$output" | cut -d: -f2)
    until_true 30 bash -c "curl -sf $BASE/live/udp1/ts.m3u8 | grep -q 'MEDIA-SEQUENCE:$((first + 2))'"
    until_true 30 has_segments udp1 6
    [ "$(segments udp1)" -eq 6 ]
    run curl -s "$BASE/live/udp1/hls.m3u8"
    assert_line --regexp '^#EXT-X-STREAM-INF:BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"$'
    assert_line ts.m3u8
    run timeout 60 ffmpeg -v error -i "$BASE/live/udp1/hls.m3u8" -t 5 -f null -
    assert_success
    assert_output ""
    run ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$BASE/live/udp1/hls.m3u8"
    assert_line h264
    assert_line aac
}

@test "every live segment opens with PAT, PMT and a keyframe; segments are kept long, ETags answer 304" {
    local seq n
    for seq in $(curl -sf "$BASE/live/udp1/ts.m3u8" | grep '\.ts$' | head -3); do
        curl -sf -D "$LAB/sh" -o "$LAB/$seq" "$BASE/live/udp1/$seq"
        assert_ts_segment_start "$LAB/$seq"
        grep -qi '^Cache-Control: public, max-age=86400' "$LAB/sh"
        grep -qi '^Content-Type: video/mp2t' "$LAB/sh"
    done
    local etag
    etag=$(grep -i '^ETag:' "$LAB/sh" | cut -d' ' -f2 | tr -d '\r')
    run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/live/udp1/$seq"
    assert_output 304
    # A number never made, or long gone: 404.
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/udp1/5.ts"
    assert_output 404
}

@test "live fMP4: cmaf.m3u8 and the dynamic manifest.mpd decode; init is ftyp+moov, segments moof+mdat, tracks continue" {
    run timeout 60 ffmpeg -v error -i "$BASE/live/udp1/cmaf.m3u8" -t 4 -f null -
    assert_success
    assert_output ""
    run timeout 60 ffmpeg -v error -i "$BASE/live/udp1/manifest.mpd" -t 4 -f null -
    assert_success
    assert_output ""
    run curl -s "$BASE/live/udp1/cmaf.m3u8"
    assert_line --regexp '^#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*URI="audio/cmaf.m3u8"$'
    assert_line --regexp '^#EXT-X-STREAM-INF:BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,RESOLUTION=640x360,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",AUDIO="audio"$'
    run curl -s "$BASE/live/udp1/manifest.mpd"
    assert_line --partial 'type="dynamic"'
    assert_line --regexp 'availabilityStartTime="20[0-9-]+T[0-9:.]+Z"'
    run curl -s "$BASE/live/udp1/video/cmaf.m3u8"
    assert_line --regexp '^#EXT-X-MAP:URI="init-[0-9]+\.mp4"$'
    assert_line --regexp '^#EXT-X-MEDIA-SEQUENCE:[0-9]+$'
    local map seqs track n files
    map=$(grep -m1 -o 'init-[0-9]*\.mp4' <<<"$output")
    seqs=$(grep '\.m4s$' <<<"$output" | tail -3)
    for track in video audio; do
        curl -sf -D "$LAB/ih" -o "$LAB/init.mp4" "$BASE/live/udp1/$track/$map"
        grep -qi '^Content-Type: video/mp4' "$LAB/ih"
        [ "$(head -c 8 "$LAB/init.mp4" | tail -c 4)" = ftyp ]
        files=()
        for n in $seqs; do
            curl -sf -o "$LAB/$track-$n" "$BASE/live/udp1/$track/$n"
            [ "$(head -c 8 "$LAB/$track-$n" | tail -c 4)" = moof ]
            cat "$LAB/init.mp4" "$LAB/$track-$n" >"$LAB/whole.mp4"
            run ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$LAB/whole.mp4"
            assert_success
            assert_output "$([ $track = video ] && echo h264 || echo aac)"
            files+=("$LAB/$track-$n")
        done
        # Each segment starts where the one before ended (tfdt + durations).
        run "$PYTHON" "$SR_TESTS/fmp4_continuity.py" "${files[@]}"
        echo "$output"
        assert_success
    done
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/udp1/video/init-99.mp4"
    assert_output 404
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/udp1/audio/7.m4s"
    assert_output 404
}

@test "a stalled input ends the window; a resumed one carries EXT-X-DISCONTINUITY" {
    stop_feed f1
    until_true 20 state_is udp1 stalled
    local before after
    before=$(curl -sf "$BASE/live/udp1/ts.m3u8")
    refute grep -q '^#EXT-X-DISCONTINUITY$' <<<"$before"
    after=$(curl -sf "$BASE/live/udp1/ts.m3u8")
    [ "$before" = "$after" ]   # nothing new while nothing comes in
    feed f1 "udp://$A:8234?pkt_size=1316"
    until_true 30 bash -c "curl -sf $BASE/live/udp1/ts.m3u8 | grep -q '^#EXT-X-DISCONTINUITY$'"
    until_true 10 state_is udp1 live
    # The segment after the break starts with a keyframe and decodes.
    local seq
    seq=$(curl -sf "$BASE/live/udp1/ts.m3u8" | grep -A3 '^#EXT-X-DISCONTINUITY$' | grep '\.ts$' | head -1)
    run ffmpeg -v error -i "$BASE/live/udp1/$seq" -f null -
    assert_success
    assert_output ""
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream stats
    [ "$(jq '."stream.live_stalls" >= 1' <<<"$output")" = true ]
    # In fMP4 the new epoch has its own init segment, and in DASH its own Period.
    run curl -sf "$BASE/live/udp1/video/cmaf.m3u8"
    assert_line '#EXT-X-DISCONTINUITY'
    assert_line '#EXT-X-MAP:URI="init-1.mp4"'
    run curl -sf "$BASE/live/udp1/manifest.mpd"
    assert_line --partial '<Period id="1" start="PT'
    curl -sf -o /dev/null "$BASE/live/udp1/video/init-1.mp4"
}

@test "HTTP ingest: ffmpeg pushes a channel with the token; refused without it (401) and onto a UDP channel (409)" {
    feed push "$INGEST/live/push" -headers "Authorization: Bearer $(cat "$LAB/token")"
    until_true 30 has_segments push 2
    run timeout 60 ffmpeg -v error -i "$BASE/live/push/hls.m3u8" -t 3 -f null -
    assert_success
    assert_output ""
    run curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$LAB/title.mp4" "$INGEST/live/other"
    assert_output 401
    run curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer wrong-token-wrong-token" \
        --data-binary @"$LAB/title.mp4" "$INGEST/live/other"
    assert_output 401
    run curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $(cat "$LAB/token")" \
        --data-binary @"$LAB/title.mp4" "$INGEST/live/udp1"
    assert_line 409
    assert_line --partial 'has an input of its own'
    # A second encoder on a channel being fed.
    run curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $(cat "$LAB/token")" \
        --data-binary @"$LAB/title.mp4" "$INGEST/live/push"
    assert_line 409
    assert_line --partial 'being fed by another ingest'
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/live/other/ts.m3u8"
    assert_output 404
    # The encoder stops: the channel's window ends at once.
    stop_feed push
    until_true 10 state_is push stalled
}

@test "sr-cached in front: live playlists stay fresh (max-age 1), segments are HITs the second time" {
    mkdir -p "$LAB/c"
    mkfifo "$LAB/c/ready"
    sr-cached --listen "$A:8237" --origin "$BASE" --cache-dir "$LAB/c/cache" --runtime-dir "$LAB/c/run" \
        --no-cooperate --ready-fd 9 9>"$LAB/c/ready" 2>>"$LAB/c/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/c/pid"
    wait_ready "$LAB/c/ready"
    local cache=http://$A:8237 seq
    seq=$(curl -sf "$cache/live/udp1/ts.m3u8" | grep '\.ts$' | tail -1)
    run curl -s -D - -o "$LAB/via1" "$cache/live/udp1/$seq"
    assert_line --partial 'X-Cache: MISS'
    run curl -s -D - -o "$LAB/via2" "$cache/live/udp1/$seq"
    assert_line --partial 'X-Cache: HIT'
    cmp "$LAB/via1" "$LAB/via2"
    # The playlist through the cache moves on with the channel.
    local first
    first=$(curl -sf "$cache/live/udp1/ts.m3u8" | grep -o 'MEDIA-SEQUENCE:[0-9]*' | cut -d: -f2)
    until_true 20 bash -c "curl -sf $cache/live/udp1/ts.m3u8 | grep -q 'MEDIA-SEQUENCE:$((first + 1))'"
    run timeout 60 ffmpeg -v error -i "$cache/live/udp1/hls.m3u8" -t 3 -f null -
    assert_success
    assert_output ""
}

@test "sr-ctl stream live, and the /live/ index" {
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -H stream live
    assert_success
    assert_line --regexp "^udp1	udp://$A:8234	live	[0-9]+	[0-9]+	avc1\.[0-9a-f]{6},mp4a\.40\.2$"
    assert_line --regexp '^push	http	stalled	'
    run curl -sf "$BASE/live/"
    [ "$(jq -r '.channels[] | select(.name == "udp1") | .urls.hls' <<<"$output")" = /live/udp1/hls.m3u8 ]
}

@test "hls.js in Chromium plays the live channel, 5 s past where it started" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8148 --src "$BASE/live/udp1/hls.m3u8" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

@test "hls.js in Chromium plays the live channel over fMP4 (cmaf.m3u8), 5 s past where it started" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8148 --src "$BASE/live/udp1/cmaf.m3u8" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

@test "dash.js in Chromium plays the live channel (dynamic manifest.mpd), 5 s past where it started" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8148 --src "$BASE/live/udp1/manifest.mpd" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

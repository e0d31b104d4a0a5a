#!/usr/bin/env bats
# sr-streamd serving MP4 titles made here with ffmpeg's lavfi sources
# (H.264 + AAC, a keyframe every 2 s): every playlist and segment checked by
# ffprobe and decoded by ffmpeg (HLS over MPEG-TS and over fMP4, DASH),
# progressive download byte for byte with ranges, and bad media refused with
# a clear error.

load helpers

BASE=http://127.0.0.245:8245

# make_title FILE SECONDS SIZE BITRATE: an H.264 + AAC MP4, a keyframe every 48 frames (2 s).
make_title() {
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=$3:rate=24" -f lavfi -i sine=frequency=440:sample_rate=48000 \
        -t "$2" -c:v libx264 -preset veryfast -profile:v high -g 48 -keyint_min 48 -sc_threshold 0 -b:v "$4" \
        -c:a aac -b:a 96k -movflags +faststart "$1"
}

setup_file() {
    lab_setup
    export MEDIA="$LAB/media"
    mkdir -p "$MEDIA/multi" "$LAB/run"
    make_title "$MEDIA/title.mp4" 12 640x360 800k
    make_title "$MEDIA/multi/hi.mp4" 12 640x360 900k
    make_title "$MEDIA/multi/lo.mp4" 12 320x180 250k
    ffmpeg -v error -y -f lavfi -i testsrc2=size=320x180:rate=24 -t 6 -c:v libx264 -preset veryfast -g 48 \
        -keyint_min 48 -sc_threshold 0 -an "$MEDIA/silent.mp4"   # video alone
    head -c 40000 "$MEDIA/title.mp4" >"$MEDIA/truncated.mp4"
    echo "not a video" >"$MEDIA/text.mp4"
    mkfifo "$LAB/ready"
    sr-streamd --runtime-dir "$LAB/run" --listen 127.0.0.245:8245 --media-dir "$MEDIA" --ready-fd 9 9>"$LAB/ready" \
        2>>"$LAB/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    mkdir -p "$LAB/s" && echo $! >"$LAB/s/pid"
    wait_ready "$LAB/ready"
}

teardown_file() { lab_teardown; }

@test "HLS over MPEG-TS: ffmpeg decodes the whole title with no error, 12 s of it" {
    run ffmpeg -v error -i "$BASE/vod/title/hls.m3u8" -f null -
    assert_success
    assert_output ""
    run ffprobe -v error -show_entries format=duration -of csv=p=0 "$BASE/vod/title/hls.m3u8"
    assert_success
    awk -v d="$output" 'BEGIN { exit !(d > 11.8 && d < 12.3) }'
}

@test "every segment opens with PAT and PMT and a keyframe, and ffprobe reads it" {
    local n
    for n in 0 1 2; do
        curl -sf -o "$LAB/$n.ts" "$BASE/vod/title/title/$n.ts"
        assert_ts_segment_start "$LAB/$n.ts"
        run ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$LAB/$n.ts"
        assert_line h264
        assert_line aac
    done
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/vod/title/title/3.ts"
    assert_output 404
}

@test "the multivariant playlist: one variant per rendition, highest first, with bandwidths, resolution, codecs" {
    run curl -sf "$BASE/vod/multi/hls.m3u8"
    assert_success
    assert_line -n 0 '#EXTM3U'
    assert_line -n 3 --regexp '^#EXT-X-STREAM-INF:BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,RESOLUTION=640x360,CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2"$'
    assert_line -n 4 'hi/ts.m3u8'
    assert_line -n 5 --regexp 'RESOLUTION=320x180'
    assert_line -n 6 'lo/ts.m3u8'
    # Renditions aligned: the same segment boundaries.
    diff <(curl -sf "$BASE/vod/multi/hi/ts.m3u8") <(curl -sf "$BASE/vod/multi/lo/ts.m3u8")
    run ffmpeg -v error -i "$BASE/vod/multi/lo/ts.m3u8" -f null -
    assert_success
    assert_output ""
}

@test "progressive MP4: the file's bytes, ranges (206, 416), If-Range, 304; a directory gives its highest rendition" {
    curl -sf "$BASE/vod/title.mp4" | cmp - "$MEDIA/title.mp4"
    curl -sf "$BASE/vod/multi.mp4" | cmp - "$MEDIA/multi/hi.mp4"
    run curl -s -D - -o "$LAB/part" -H 'Range: bytes=1000-1999' "$BASE/vod/title.mp4"
    assert_line --partial '206 Partial Content'
    assert_line --partial "Content-Range: bytes 1000-1999/$(stat -c %s "$MEDIA/title.mp4")"
    cmp "$LAB/part" <(tail -c +1001 "$MEDIA/title.mp4" | head -c 1000)
    run curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=999999999-' "$BASE/vod/title.mp4"
    assert_output 416
    local etag
    etag=$(curl -sfI "$BASE/vod/title.mp4" | tr -d '\r' | sed -n 's/^ETag: //Ip')
    run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/vod/title.mp4"
    assert_output 304
    run curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' -H "If-Range: $etag" "$BASE/vod/title.mp4"
    assert_output 206
    run curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' -H 'If-Range: "another"' "$BASE/vod/title.mp4"
    assert_output 200
    run curl -sfI "$BASE/vod/title/title/0.ts"
    assert_line --partial 'Cache-Control: public, max-age=31536000, immutable'
}

@test "bad media gets 422 naming the file, and the daemon serves on" {
    for t in truncated text; do
        run curl -s -w ' %{http_code}' "$BASE/vod/$t/hls.m3u8"
        assert_output --regexp "\"code\":\"bad_media\".*$t\.mp4.* 422$"
    done
    run curl -sf "$BASE/vod/"
    assert_success
    [ "$(jq -r '.titles[] | select(.name == "text") | .error | length > 0' <<<"$output")" = true ]
    [ "$(jq -r '.titles[] | select(.name == "title") | .renditions[0].codecs | join(",")' <<<"$output")" = "avc1.64001e,mp4a.40.2" ]
    curl -sf -o /dev/null "$BASE/vod/title/hls.m3u8"
}

# duration_near URL SECONDS: ffprobe's duration of URL is SECONDS within 0.5 s.
duration_near() {
    run ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"
    assert_success
    awk -v d="$output" -v want="$2" 'BEGIN { exit !(d > want - 0.5 && d < want + 0.5) }' || fail "duration $output, not $2"
}

@test "HLS over fMP4 (cmaf.m3u8): ffmpeg decodes the whole title with no error, 12 s of it" {
    run ffmpeg -v error -i "$BASE/vod/multi/cmaf.m3u8" -f null -
    assert_success
    assert_output ""
    duration_near "$BASE/vod/multi/cmaf.m3u8" 12
    run ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$BASE/vod/multi/cmaf.m3u8"
    assert_line h264
    assert_line aac
    run curl -sf "$BASE/vod/multi/cmaf.m3u8"
    assert_line -n 1 '#EXT-X-VERSION:7'
    assert_line -n 3 --regexp '^#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*URI="hi/audio/cmaf\.m3u8"$'
    assert_line -n 4 --regexp '^#EXT-X-STREAM-INF:BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,RESOLUTION=640x360,CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2",AUDIO="audio"$'
    assert_line -n 5 'hi/video/cmaf.m3u8'
    assert_line -n 7 'lo/video/cmaf.m3u8'
    # Renditions aligned: the same segment boundaries.
    diff <(curl -sf "$BASE/vod/multi/hi/video/cmaf.m3u8") <(curl -sf "$BASE/vod/multi/lo/video/cmaf.m3u8")
    run curl -sf "$BASE/vod/multi/lo/video/cmaf.m3u8"
    assert_line '#EXT-X-MAP:URI="init.mp4"'
    assert_line '2.m4s'
    refute_line '3.m4s'
}

@test "DASH (manifest.mpd): ffmpeg decodes the whole title with no error, 12 s of it" {
    run curl -sf -D "$LAB/mpd.h" "$BASE/vod/multi/manifest.mpd"
    assert_success
    "$PYTHON" -c 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read())' <<<"$output"  # well-formed
    assert_output --partial 'profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static"'
    [ "$(grep -c '<AdaptationSet' <<<"$output")" = 2 ]
    [ "$(grep -c '<Representation' <<<"$output")" = 3 ]   # hi and lo video, one audio
    assert_output --partial 'media="lo/video/$Number$.m4s"'
    grep -qi '^Content-Type: application/dash+xml' "$LAB/mpd.h"
    run ffmpeg -v error -i "$BASE/vod/multi/manifest.mpd" -f null -
    assert_success
    assert_output ""
    duration_near "$BASE/vod/multi/manifest.mpd" 12
    run ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$BASE/vod/multi/manifest.mpd"
    assert_line h264
    assert_line aac
}

@test "fMP4 segments: init is ftyp+moov, each segment moof+mdat opening on a keyframe, immutable, validators" {
    local n
    curl -sf -o "$LAB/init.mp4" "$BASE/vod/multi/hi/video/init.mp4"
    for n in 0 1 2; do
        curl -sf -o "$LAB/$n.m4s" "$BASE/vod/multi/hi/video/$n.m4s"
        run "$PYTHON" -c "
import struct, sys
def boxes(d):
    at, out = 0, []
    while at < len(d):
        size, kind = struct.unpack('>I4s', d[at:at + 8]); out.append(kind.decode()); at += size
    return out
print(' '.join(boxes(open('$LAB/init.mp4', 'rb').read())), '/', ' '.join(boxes(open('$LAB/$n.m4s', 'rb').read())))"
        assert_output 'ftyp moov / moof mdat'
        cat "$LAB/init.mp4" "$LAB/$n.m4s" >"$LAB/joined.mp4"
        run ffprobe -v error -select_streams v -show_frames -read_intervals '%+#1' -show_entries frame=key_frame,pict_type -of csv=p=0 "$LAB/joined.mp4"
        assert_success
        assert_line -n 0 --regexp '^1,I'
    done
    run curl -s -o /dev/null -w '%{http_code}' "$BASE/vod/multi/hi/video/3.m4s"
    assert_output 404
    run curl -sfI "$BASE/vod/multi/hi/audio/1.m4s"
    assert_line --partial 'Cache-Control: public, max-age=31536000, immutable'
    assert_line --regexp '^Content-Type: video/iso\.segment'
    assert_line --regexp '^ETag: ".+"'
    assert_line --regexp '^Last-Modified: '
    run curl -sfI "$BASE/vod/multi/hi/audio/init.mp4"
    assert_line --partial 'Cache-Control: public, max-age=31536000, immutable'
    assert_line --regexp '^Content-Type: video/mp4'
    run curl -sfI "$BASE/vod/multi/hi/audio/cmaf.m3u8"
    assert_line --partial 'Cache-Control: public, max-age=3600'
    assert_line --regexp '^Content-Type: application/vnd\.apple\.mpegurl'
    local etag
    etag=$(curl -sfI "$BASE/vod/multi/hi/video/1.m4s" | tr -d '\r' | sed -n 's/^ETag: //Ip')
    run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/vod/multi/hi/video/1.m4s"
    assert_output 304
    etag=$(curl -sfI "$BASE/vod/multi/manifest.mpd" | tr -d '\r' | sed -n 's/^ETag: //Ip')
    run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/vod/multi/manifest.mpd"
    assert_output 304
    # The same bytes every time (caches may hold either).
    curl -sf "$BASE/vod/multi/hi/video/1.m4s" | cmp - "$LAB/1.m4s"
}

@test "fMP4 bad requests: clear 404s (no audio track, no such segment or track), and the daemon serves on" {
    local p
    for p in silent/silent/audio/init.mp4 silent/silent/audio/0.m4s silent/silent/audio/cmaf.m3u8 \
             multi/hi/audio/999.m4s multi/hi/text/0.m4s multi/nope/video/init.mp4 nope/manifest.mpd; do
        run curl -s -w ' %{http_code}' "$BASE/vod/$p"
        assert_output --regexp '"code":"not_found".* 404$'
    done
    run curl -s -w ' %{http_code}' "$BASE/vod/truncated/manifest.mpd"
    assert_output --regexp '"code":"bad_media".* 422$'
    # Video alone: no audio group, no audio AdaptationSet, and it plays.
    run curl -sf "$BASE/vod/silent/cmaf.m3u8"
    refute_output --partial 'EXT-X-MEDIA'
    run curl -sf "$BASE/vod/silent/manifest.mpd"
    refute_output --partial 'contentType="audio"'
    run ffmpeg -v error -i "$BASE/vod/silent/manifest.mpd" -f null -
    assert_success
    assert_output ""
    run curl -sf "$BASE/vod/"
    [ "$(jq -r '.titles[] | select(.name == "multi") | .urls | [.hls, .cmaf, .dash] | join(" ")' <<<"$output")" = \
        "/vod/multi/hls.m3u8 /vod/multi/cmaf.m3u8 /vod/multi/manifest.mpd" ]
}

@test "a title replaced on disk is indexed again: new playlist, new validators" {
    local before after
    before=$(curl -sfI "$BASE/vod/title/title/ts.m3u8" | tr -d '\r' | sed -n 's/^ETag: //Ip')
    make_title "$LAB/new.mp4" 6 640x360 800k
    mv "$LAB/new.mp4" "$MEDIA/title.mp4"
    run curl -sf "$BASE/vod/title/title/ts.m3u8"
    assert_line '1.ts'
    refute_line '2.ts'
    after=$(curl -sfI "$BASE/vod/title/title/ts.m3u8" | tr -d '\r' | sed -n 's/^ETag: //Ip')
    [ -n "$before" ] && [ "$before" != "$after" ]
    run ffmpeg -v error -i "$BASE/vod/title/hls.m3u8" -f null -
    assert_success
}

@test "sr-cached in front: the second request of a segment is a HIT, and players play through the cache" {
    mkdir -p "$LAB/c"
    mkfifo "$LAB/c/ready"
    sr-cached --listen 127.0.0.245:8246 --origin "$BASE" --cache-dir "$LAB/c/cache" --runtime-dir "$LAB/c/run" \
        --no-cooperate --ready-fd 9 9>"$LAB/c/ready" 2>>"$LAB/c/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/c/pid"
    wait_ready "$LAB/c/ready"
    local cache=http://127.0.0.245:8246
    run curl -s -D - -o "$LAB/via1" "$cache/vod/multi/lo/1.ts"
    assert_line --partial 'X-Cache: MISS'
    run curl -s -D - -o "$LAB/via2" "$cache/vod/multi/lo/1.ts"
    assert_line --partial 'X-Cache: HIT'
    cmp "$LAB/via1" "$LAB/via2"
    curl -sf "$BASE/vod/multi/lo/1.ts" | cmp - "$LAB/via1"
    run ffmpeg -v error -i "$cache/vod/multi/hls.m3u8" -f null -
    assert_success
    assert_output ""
    # fMP4 the same: init and segments.
    local p
    for p in lo/video/1.m4s lo/video/init.mp4 hi/audio/2.m4s; do
        run curl -s -D - -o "$LAB/via1" "$cache/vod/multi/$p"
        assert_line --partial 'X-Cache: MISS'
        run curl -s -D - -o "$LAB/via2" "$cache/vod/multi/$p"
        assert_line --partial 'X-Cache: HIT'
        cmp "$LAB/via1" "$LAB/via2"
        curl -sf "$BASE/vod/multi/$p" | cmp - "$LAB/via1"
    done
    run ffmpeg -v error -i "$cache/vod/multi/manifest.mpd" -f null -
    assert_success
    assert_output ""
}

@test "sr-ctl stream list and stats" {
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -H stream list
    assert_success
    assert_line -n 0 "title	rendition	duration	bitrate	segments	codecs"
    assert_line --regexp '^multi	hi	12\.[0-9]+	[0-9]+	3	avc1\.64001e,mp4a\.40\.2$'
    assert_line --regexp '^multi	lo	12\.[0-9]+	[0-9]+	3	avc1\.64000d,mp4a\.40\.2$'
    assert_line --regexp '^text	-	-	-	-	.*text\.mp4'
    run env SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream stats
    [ "$(jq '."stream.segments" > 0' <<<"$output")" = true ]
}

@test "hls.js in Chromium plays the HLS title past 5 s" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8147 --src "$BASE/vod/multi/hls.m3u8" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

@test "hls.js in Chromium plays the fMP4 HLS title (cmaf.m3u8) past 5 s" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8147 --src "$BASE/vod/multi/cmaf.m3u8" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

@test "dash.js in Chromium plays the DASH title (manifest.mpd) past 5 s" {
    run node "$SR_TESTS/../browser/play.mjs" --page 127.0.0.1:8147 --src "$BASE/vod/multi/manifest.mpd" --seconds 5
    echo "$output"
    assert_success
    assert_output --partial '"failure":null'
    assert_output --partial '"playing"'
}

@test "titles and live channels announced in the overlay: resolve stream, and /svc/stream/ through sr-cached" {
    # A node of its own: sr-dhtd, sr-cached and sr-streamd in one runtime
    # directory, on an address no other test file uses (ctest runs two at once).
    local run="$LAB/node/run" a=127.0.1.47
    mkdir -p "$run" "$LAB/nd" "$LAB/nc" "$LAB/ns"   # their pid files, for lab_teardown
    mkfifo "$LAB/node/d-ready" "$LAB/node/c-ready" "$LAB/node/s-ready"
    sr-dhtd --runtime-dir "$run" --state-dir "$LAB/node/dht" --listen "$a:4247" --ready-fd 9 9>"$LAB/node/d-ready" \
        2>>"$LAB/node/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/nd/pid"
    wait_ready "$LAB/node/d-ready"
    sr-cached --runtime-dir "$run" --listen "$a:8247" --origin "http://$a:8248" --cache-dir "$LAB/node/cache" --ready-fd 9 \
        9>"$LAB/node/c-ready" 2>>"$LAB/node/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/nc/pid"
    wait_ready "$LAB/node/c-ready"
    sr-streamd --runtime-dir "$run" --listen "$a:8248" --media-dir "$MEDIA" --live "tv=udp://$a:8249" \
        --ready-fd 9 9>"$LAB/node/s-ready" \
        2>>"$LAB/node/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
    echo $! >"$LAB/ns/pid"
    wait_ready "$LAB/node/s-ready"
    until_true 20 env SR_RUNTIME_DIR="$run" sr-lookup resolve stream
    run env SR_RUNTIME_DIR="$run" sr-lookup -j resolve stream
    assert_success
    [ "$(jq -r .url <<<"$output")" = "http://$a:8248" ]
    [[ "$(jq -r .attrs.titles <<<"$output")" == *multi*title* ]]
    [ "$(jq -r .attrs.live <<<"$output")" = tv ]   # its live channels too
    run curl -s -o /dev/null -w '%{http_code}' "http://$a:8247/svc/stream/vod/multi/hls.m3u8"
    assert_output 200
    # A clean stop withdraws it.
    kill -TERM "$(cat "$LAB/ns/pid")"
    wait_gone "$(cat "$LAB/ns/pid")" 10
    run env SR_RUNTIME_DIR="$run" sr-ctl service list
    refute_output --partial 8248
}

@test "a second node's sr-cached fills a segment from the first node's cache, not from sr-streamd" {
    head -c 32 /dev/urandom | base64 >"$LAB/peer.key"
    chmod 600 "$LAB/peer.key"
    local n a
    for n in 1 2; do
        a=127.0.0.$((242 + n))
        mkdir -p "$LAB/pd$n" "$LAB/pc$n"
        mkfifo "$LAB/pd$n/ready" "$LAB/pc$n/ready"
        sr-dhtd --runtime-dir "$LAB/pd$n/run" --state-dir "$LAB/pd$n/state" --listen "$a:4243" \
            $([ "$n" -eq 2 ] && echo --join 127.0.0.243:4243) --ready-fd 9 9>"$LAB/pd$n/ready" \
            2>>"$LAB/pd$n/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
        echo $! >"$LAB/pd$n/pid"
        wait_ready "$LAB/pd$n/ready"
        sr-cached --runtime-dir "$LAB/pd$n/run" --listen "$a:8243" --origin "$BASE" --cache-dir "$LAB/pc$n/cache" \
            --access-log off --peer-key-file "$LAB/peer.key" --ready-fd 9 9>"$LAB/pc$n/ready" \
            2>>"$LAB/pc$n/log" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- &
        echo $! >"$LAB/pc$n/pid"
        wait_ready "$LAB/pc$n/ready"
    done
    # Clients reach every node's cache by one name (the URL, so the DHT key, is by Host).
    local seg=/vod/multi/hi/2.ts host='Host: video.example.net'
    run curl -s -D - -o "$LAB/n1" -H "$host" "http://127.0.0.243:8243$seg"
    assert_line --partial 'X-Cache: MISS'
    until_true 10 bash -c "[ \$(SR_RUNTIME_DIR='$LAB/pd1/run' sr-ctl -j cache stats | jq .replicas_published) -ge 1 ]"
    local before
    before=$(SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream stats | jq '."stream.segments"')
    run curl -s -D - -o "$LAB/n2" -H "$host" "http://127.0.0.244:8243$seg"
    assert_line --partial 'X-Cache: PEER'
    cmp "$LAB/n1" "$LAB/n2"
    curl -sf "$BASE$seg" | cmp - "$LAB/n2"
    # sr-streamd made that segment for node 1 only (the curl just above is the one more).
    [ "$(SR_RUNTIME_DIR="$LAB/run" sr-ctl -j stream stats | jq '."stream.segments"')" -eq $((before + 1)) ]
}

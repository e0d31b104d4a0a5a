#!/usr/bin/python3
"""sr-streamd against ffmpeg and nginx, in one run (issue 11's targets).

  tests/bench/stream_bench.py [-b BUILD_TOOLS] [-d SECONDS] [-c CONNS] [-r ROUNDS] [-k] [-L]

A 20 s 1280x720 title at about 2 Mbit/s (H.264 + AAC, a keyframe every 2 s)
is made with ffmpeg, then:
  on-the-fly segment latency: sr-streamd (--segment-seconds 4) serves 300
      requests for random segments over one keep-alive connection (curl
      timing each transfer, first byte to last), each packaged on request:
      MPEG-TS (video and audio in one segment), then fMP4 (CMAF: the video
      track's N.m4s, then the audio's, one track each); p50 and p90 of TS
      against the ffmpeg command
      that packages the same 4 s (`ffmpeg -ss T -i title.mp4 -t 4 -c copy -f
      mpegts`, start-up included, 10 runs). Target: p50 <= 5 ms.
  segment req/s: wrk -t1 -cCONNS -dSECONDS on one 4 s segment, ROUNDS times
      (default 5) alternating, medians compared, from nginx
      serving ffmpeg's pre-packaged HLS segments from disk (static files,
      sendfile), and from sr-cached in front of sr-streamd (a HIT after the
      first request). Target: sr-cached >= 0.9x nginx static.
Everything runs by hand on 127.0.0.1 (ports 18470-18472) from a temporary
directory (kept with -k; -L measures the latencies alone, without wrk and
nginx), each server pinned to CPU 1 and the client to CPU
0 when taskset is there. Exit 69 when a program is missing (ffmpeg, wrk,
nginx), 2 when a target is missed.
"""
import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

from media_bench import finish, make_title, need, pinned, start_daemon, start_nginx

ADDR = "127.0.0.1"
P_STREAM, P_CACHE, P_NGINX = 18470, 18471, 18472


def wait_http(port, path="/", timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection(ADDR, port, timeout=1)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"stream_bench: nothing answers on port {port}")


def wrk(port, path, seconds, conns):
    out = subprocess.run(pinned(0, ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", f"http://{ADDR}:{port}{path}"]),
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    mbs = re.search(r"Transfer/sec:\s+([0-9.]+)(\w+)", out)
    scale = {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}.get(mbs.group(2), 1)
    return rps, float(mbs.group(1)) * scale


def curl_times(port, paths):
    """Times each GET (ms) and its size, curl on one kept-alive connection."""
    # curl times each transfer (--write-out): Python's http.client would add
    # milliseconds of its own to read 1 MB.
    argv = ["curl", "-s", "--write-out", "%{time_total} %{size_download}\\n"]
    for p in paths:
        argv += ["-o", "/dev/null", f"http://{ADDR}:{port}{p}"]
    lines = subprocess.run(pinned(0, argv), capture_output=True, text=True, check=True).stdout.split()
    return [float(x) * 1000 for x in lines[0::2]], [int(x) for x in lines[1::2]]


def p50_p90(times):
    return statistics.median(times), sorted(times)[int(len(times) * 0.9)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "tools"))
    ap.add_argument("-d", type=int, default=10)
    ap.add_argument("-c", type=int, default=20)
    ap.add_argument("-r", type=int, default=5, help="alternating wrk rounds of each server")
    ap.add_argument("-k", action="store_true")
    ap.add_argument("-L", action="store_true", help="segment latencies only (no wrk, no nginx)")
    a = ap.parse_args()
    need("stream_bench", "ffmpeg", "curl", *([] if a.L else ["wrk", "nginx"]))
    tools = os.path.abspath(a.b)
    lab = tempfile.mkdtemp(prefix="stream-bench.")
    procs = []
    try:
        media = os.path.join(lab, "media")
        static = os.path.join(lab, "static")
        os.makedirs(media)
        os.makedirs(static)
        title = os.path.join(media, "hd.mp4")
        make_title(title)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", title, "-c", "copy", "-f", "hls", "-hls_time", "4",
                        "-hls_playlist_type", "vod", "-hls_segment_filename", os.path.join(static, "%d.ts"),
                        os.path.join(static, "hls.m3u8")], check=True)

        # -- on-the-fly segment latency
        procs.append(start_daemon("stream_bench", [os.path.join(tools, "sr-streamd"), "--runtime-dir", os.path.join(lab, "run"),
                                   "--listen", f"{ADDR}:{P_STREAM}", "--media-dir", media], lab, "streamd"))
        c = http.client.HTTPConnection(ADDR, P_STREAM)
        c.request("GET", "/vod/hd/hd/ts.m3u8")
        playlist = c.getresponse().read().decode()
        segments = len(re.findall(r"^\d+\.ts$", playlist, re.M))
        rng = random.Random(1)
        picks = [rng.randrange(segments) for _ in range(300)]
        times, sizes = curl_times(P_STREAM, [f"/vod/hd/hd/{n}.ts" for n in picks])
        ours50, ours90 = p50_p90(times)
        v_times, v_sizes = curl_times(P_STREAM, [f"/vod/hd/hd/video/{n}.m4s" for n in picks])
        a_times, _ = curl_times(P_STREAM, [f"/vod/hd/hd/audio/{n}.m4s" for n in picks])
        v50, v90 = p50_p90(v_times)
        a50, a90 = p50_p90(a_times)
        ff = []
        for i in range(10):
            start = 4 * (i % segments)
            t = time.perf_counter()
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(start), "-i", title, "-t", "4", "-c", "copy",
                            "-f", "mpegts", os.path.join(lab, "ff.ts")], check=True)
            ff.append((time.perf_counter() - t) * 1000)
        ff50 = statistics.median(ff)
        print(f"segment latency (4 s of 720p, {statistics.median(sizes) / 1e6:.2f} MB): sr-streamd p50 {ours50:.2f} ms "
              f"p90 {ours90:.2f} ms; ffmpeg command p50 {ff50:.1f} ms; ratio ffmpeg/ours {ff50 / ours50:.1f}")
        print(f"fMP4 segment latency (video track, {statistics.median(v_sizes) / 1e6:.2f} MB): sr-streamd p50 "
              f"{v50:.2f} ms p90 {v90:.2f} ms; audio track p50 {a50:.2f} ms p90 {a90:.2f} ms")

        if a.L:
            met_latency = ours50 <= 5 and v50 <= 5
            print(f"target segment p50 <= 5 ms: {'met' if met_latency else 'MISSED'} (TS {ours50:.2f} ms, fMP4 {v50:.2f} ms)")
            return 0 if met_latency else 2

        # -- segment req/s: nginx static against sr-cached in front of sr-streamd
        procs.append(start_nginx(lab, ADDR, P_NGINX, static))
        wait_http(P_NGINX, "/hls.m3u8")
        procs.append(start_daemon("stream_bench", [os.path.join(tools, "sr-cached"), "--listen", f"{ADDR}:{P_CACHE}",
                                   "--origin", f"http://{ADDR}:{P_STREAM}", "--cache-dir", os.path.join(lab, "cache"),
                                   "--runtime-dir", os.path.join(lab, "crun"), "--no-cooperate",
                                   "--access-log", "off"], lab, "cached"))
        wait_http(P_CACHE, "/vod/hd/hd/1.ts")
        wait_http(P_CACHE, "/vod/hd/hd/1.ts")  # now a HIT
        # Rounds alternating between the two (this machine's throughput drifts
        # from minute to minute); the medians are compared.
        ngx, sr = [], []
        for _ in range(a.r):
            ngx.append(wrk(P_NGINX, "/1.ts", a.d, a.c))
            sr.append(wrk(P_CACHE, "/vod/hd/hd/1.ts", a.d, a.c))
        for i, (n, c) in enumerate(zip(ngx, sr)):
            print(f"  round {i + 1}: nginx {n[0]:.0f} req/s, sr-cached {c[0]:.0f} req/s, ratio {c[0] / n[0]:.2f}")
        ngx_rps, ngx_mbs = statistics.median(x[0] for x in ngx), statistics.median(x[1] for x in ngx)
        sr_rps, sr_mbs = statistics.median(x[0] for x in sr), statistics.median(x[1] for x in sr)
        print(f"segment req/s (wrk -c{a.c}, {a.d} s, median of {a.r}): nginx static {ngx_rps:.0f} ({ngx_mbs:.0f} MB/s); "
              f"sr-cached over sr-streamd {sr_rps:.0f} ({sr_mbs:.0f} MB/s); ratio {sr_rps / ngx_rps:.2f}")
        met_latency = ours50 <= 5 and v50 <= 5
        met_rps = sr_rps >= 0.9 * ngx_rps
        print(f"target segment p50 <= 5 ms: {'met' if met_latency else 'MISSED'} (TS {ours50:.2f} ms, fMP4 {v50:.2f} ms)")
        print(f"target sr-cached >= 0.9x nginx static: {'met' if met_rps else 'MISSED'} ({sr_rps / ngx_rps:.2f})")
        return 0 if met_latency and met_rps else 2
    finally:
        finish(procs, lab, a.k)


if __name__ == "__main__":
    sys.exit(main())

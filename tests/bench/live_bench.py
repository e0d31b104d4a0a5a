#!/usr/bin/python3
"""Live HLS to many clients: sr-streamd against ffmpeg's HLS muxer + nginx, in one run.

  tests/bench/live_bench.py [-b BUILD_TOOLS] [-n CLIENTS] [-d SECONDS] [-k]

A 20 s 1280x720 title at about 2 Mbit/s (H.264 + AAC, a keyframe every 2 s)
is made with ffmpeg, then sent in a loop in real time (ffmpeg -re
-stream_loop -1 -c copy) to each server in turn for SECONDS (default 60):
  sr-streamd: MPEG-TS over UDP into --live tv=udp://..., 4 s segments;
  the peer: ffmpeg's own HLS muxer (-f hls -hls_time 4, a window of 6,
      old segments deleted) writing to a directory that nginx serves.
CLIENTS (default 200) HLS clients, threads of this script each with a
kept-alive connection, poll the media playlist every half segment and
fetch every new segment from the live edge on, as a player does. Reported
for each server: segments fetched, segments a client missed (a number it
never got between its first and its last), segment fetch time p50/p99, the
server's CPU seconds and peak RSS (VmHWM), and for sr-streamd whether the
input kept real time (no stall, no discontinuity, segments made against the
seconds that passed). Targets (issue 11): every client gets every segment,
ingest keeps real time, memory bounded. Exit 69 when ffmpeg or nginx is
missing, 2 when a target is missed. Servers are pinned to CPU 1, clients to
CPU 0 (taskset).
"""
import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from media_bench import finish, make_title, need, pinned, start_daemon, start_nginx

ADDR = "127.0.0.1"
P_STREAM, P_UDP, P_NGINX = 18480, 18481, 18482
SEGMENT = 4


def family(pid):
    """The process and its children (nginx's workers are the master's)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry))
    return pids


def proc_cpu_seconds(pid):
    """User and system CPU of the process and its children, seconds."""
    total = 0
    for p in family(pid):
        fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def proc_hwm_mb(pid):
    """Peak RSS of the process and its children, together (MB)."""
    total = 0
    for p in family(pid):
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


class Client(threading.Thread):
    """A player's fetching: the media playlist every half segment, each new segment once."""

    def __init__(self, port, playlist, deadline):
        super().__init__(daemon=True)
        self.port, self.playlist, self.deadline = port, playlist, deadline
        self.base = playlist.rsplit("/", 1)[0]
        self.got = []      # segment numbers, in order fetched
        self.times = []    # seconds per segment fetch
        self.errors = 0

    def get(self, conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        return r.status, body

    def run(self):
        conn = http.client.HTTPConnection(ADDR, self.port, timeout=10)
        last = None
        while time.monotonic() < self.deadline:
            try:
                status, body = self.get(conn, self.playlist)
                if status == 200:
                    text = body.decode()
                    m = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
                    first = int(m.group(1)) if m else 0
                    names = re.findall(r"^(\S+\.ts)$", text, re.M)
                    for i, name in enumerate(names):
                        n = first + i
                        if last is None and i < len(names) - 1:
                            continue  # start at the live edge
                        if last is not None and n <= last:
                            continue
                        t = time.perf_counter()
                        status, _ = self.get(conn, f"{self.base}/{name}")
                        if status == 200:
                            self.times.append(time.perf_counter() - t)
                            self.got.append(n)
                        else:
                            self.errors += 1
                        last = n
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn = http.client.HTTPConnection(ADDR, self.port, timeout=10)
            time.sleep(SEGMENT / 2)

    def missed(self):
        if not self.got:
            return 0
        return (self.got[-1] - self.got[0] + 1) - len(set(self.got))


def run_clients(port, playlist, clients, seconds, server_pid):
    # Wait for the playlist to exist (the first segment takes one segment's time).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection(ADDR, port, timeout=2)
            c.request("GET", playlist)
            r = c.getresponse()
            if r.status == 200 and b".ts" in r.read():
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        sys.exit(f"live_bench: no playlist at {port}{playlist}")
    cpu0 = proc_cpu_seconds(server_pid)
    end = time.monotonic() + seconds
    threads = [Client(port, playlist, end) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = proc_cpu_seconds(server_pid) - cpu0
    times = sorted(x for t in threads for x in t.times)
    return {
        "fetched": sum(len(t.got) for t in threads),
        "missed": sum(t.missed() for t in threads),
        "errors": sum(t.errors for t in threads),
        "starved": sum(1 for t in threads if len(t.got) < seconds / SEGMENT - 3),
        "p50": statistics.median(times) * 1000 if times else 0,
        "p99": times[int(len(times) * 0.99)] * 1000 if times else 0,
        "cpu": cpu,
        "rss": proc_hwm_mb(server_pid),
    }


def show(name, r, clients, seconds):
    print(f"{name}: {clients} clients, {seconds} s: {r['fetched']} segments fetched, {r['missed']} missed, "
          f"{r['errors']} errors, {r['starved']} clients short of segments; fetch p50 {r['p50']:.1f} ms "
          f"p99 {r['p99']:.1f} ms; server CPU {r['cpu']:.1f} s ({100 * r['cpu'] / seconds:.0f}%), peak RSS "
          f"{r['rss']:.0f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "tools"))
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("-d", type=int, default=60)
    ap.add_argument("-k", action="store_true")
    a = ap.parse_args()
    need("live_bench", "ffmpeg", "nginx")
    tools = os.path.abspath(a.b)
    lab = tempfile.mkdtemp(prefix="live-bench.")
    procs = []
    try:
        title = os.path.join(lab, "hd.mp4")
        make_title(title)
        feed = ["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", title, "-c", "copy"]

        # -- sr-streamd, fed over UDP
        os.makedirs(os.path.join(lab, "media"))
        streamd = start_daemon("live_bench", [os.path.join(tools, "sr-streamd"), "--runtime-dir", os.path.join(lab, "run"),
                                "--listen", f"{ADDR}:{P_STREAM}", "--media-dir", os.path.join(lab, "media"),
                                "--no-announce", "--segment-seconds", str(SEGMENT),
                                "--live", f"tv=udp://{ADDR}:{P_UDP}"], lab, "streamd")
        procs.append(streamd)
        feeder = subprocess.Popen(pinned(1, feed + ["-f", "mpegts", f"udp://{ADDR}:{P_UDP}?pkt_size=1316"]),
                                  stdin=subprocess.DEVNULL)
        procs.append(feeder)
        t0 = time.monotonic()
        ours = run_clients(P_STREAM, "/live/tv/ts.m3u8", a.n, a.d, streamd.pid)
        elapsed = time.monotonic() - t0
        live = subprocess.run([os.path.join(tools, "sr-ctl"), "-j", "--runtime-dir", os.path.join(lab, "run"),
                               "stream", "live"], capture_output=True, text=True).stdout
        stalls = int(re.search(r'"stalls":(\d+)', live).group(1))
        disc = int(re.search(r'"discontinuities":(\d+)', live).group(1))
        made = int(re.search(r'"segments":(\d+)', live).group(1))
        feeder.send_signal(signal.SIGTERM)
        feeder.wait()
        show("sr-streamd (UDP in)", ours, a.n, a.d)
        expected = elapsed / SEGMENT
        realtime = stalls == 0 and disc == 0 and made >= expected - 2
        print(f"  ingest: {made} segments made in {elapsed:.0f} s (real time: {expected:.1f}), {stalls} stalls, "
              f"{disc} discontinuities")

        # -- the peer: ffmpeg's HLS muxer writing files, nginx serving them
        www = os.path.join(lab, "www")
        os.makedirs(os.path.join(www, "live"))
        nginx = start_nginx(lab, ADDR, P_NGINX, www)
        procs.append(nginx)
        hls = subprocess.Popen(pinned(1, feed + ["-f", "hls", "-hls_time", str(SEGMENT), "-hls_list_size", "6",
                                                 "-hls_flags", "delete_segments+temp_file",
                                                 os.path.join(www, "live", "tv.m3u8")]), stdin=subprocess.DEVNULL)
        procs.append(hls)
        peer = run_clients(P_NGINX, "/live/tv.m3u8", a.n, a.d, nginx.pid)
        hls_cpu = proc_cpu_seconds(hls.pid)
        show("ffmpeg -f hls + nginx", peer, a.n, a.d)
        print(f"  (ffmpeg's HLS muxer used {hls_cpu:.1f} s of CPU beside nginx's)")
        print(f"ratio of server CPU, sr-streamd / (nginx + ffmpeg's muxer): "
              f"{ours['cpu'] / max(peer['cpu'] + hls_cpu, 1e-3):.2f}; peak RSS {ours['rss']:.0f} MB against "
              f"nginx {peer['rss']:.0f} MB")
        every = ours["missed"] == 0 and ours["starved"] == 0 and ours["errors"] == 0
        print(f"target every client gets every segment: {'met' if every else 'MISSED'}")
        print(f"target ingest keeps real time: {'met' if realtime else 'MISSED'}")
        return 0 if every and realtime else 2
    finally:
        finish(procs, lab, a.k)


if __name__ == "__main__":
    sys.exit(main())

"""What the streaming benchmarks share (stream_bench.py, live_bench.py):
programs checked, servers pinned to a CPU, sr daemons started until ready,
the test title, and nginx serving a directory.
"""
import os
import shutil
import signal
import subprocess
import sys


def need(who, *programs):
    """Exit 69 (skipped) naming the first program missing."""
    for p in programs:
        if not shutil.which(p):
            print(f"{who}: {p} is missing: skipped", file=sys.stderr)
            sys.exit(69)


def pinned(cpu, argv):
    return (["taskset", "-c", str(cpu)] if shutil.which("taskset") else []) + argv


def start_daemon(who, argv, lab, name):
    """Starts an sr daemon on CPU 1 and returns once it has written its readiness newline."""
    r, w = os.pipe()
    log = open(os.path.join(lab, name + ".log"), "ab")
    proc = subprocess.Popen(pinned(1, argv + ["--ready-fd", str(w)]), stderr=log, stdin=subprocess.DEVNULL,
                            pass_fds=(w,))
    os.close(w)
    with os.fdopen(r, "rb") as f:
        if not f.read(1):
            sys.exit(f"{who}: {name} did not start; see {lab}/{name}.log (-k keeps it)")
    return proc


def make_title(path, seconds=20):
    """1280x720 at 30 fps, about 2 Mbit/s, H.264 high + AAC, a keyframe every 2 s."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60",
                    "-sc_threshold", "0", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "4M",
                    "-c:a", "aac", "-b:a", "128k", path], check=True)


def start_nginx(lab, addr, port, root):
    """nginx (one worker, sendfile, no access log) serving `root` on CPU 1, run by hand from lab/ngx."""
    user = "user root root;" if os.getuid() == 0 else ""
    conf = os.path.join(lab, "nginx.conf")
    os.makedirs(os.path.join(lab, "ngx"), exist_ok=True)
    with open(conf, "w") as f:
        f.write(f"""{user}
worker_processes 1; daemon off; pid {lab}/ngx/nginx.pid; error_log {lab}/ngx/error.log warn;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path {lab}/ngx/b; proxy_temp_path {lab}/ngx/p; fastcgi_temp_path {lab}/ngx/f;
  uwsgi_temp_path {lab}/ngx/u; scgi_temp_path {lab}/ngx/s;
  types {{ video/mp2t ts; application/vnd.apple.mpegurl m3u8; }}
  server {{ listen {addr}:{port}; root {root}; }} }}
""")
    return subprocess.Popen(pinned(1, ["nginx", "-p", lab + "/ngx/", "-e", lab + "/ngx/error.log", "-c", conf]),
                            stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(procs, lab, keep):
    """Stops what a benchmark started (TERM, then KILL after 10 s) and removes its lab unless kept."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    if keep:
        print(f"lab kept in {lab}")
    else:
        shutil.rmtree(lab, ignore_errors=True)

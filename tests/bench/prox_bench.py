"""Helpers shared by the benchmarks (bgp-ingest, prox-rank; Rpc also dht-vs-opendht).

Nothing here but the standard library and python3-msgpack (Debian's
/usr/bin/python3): a msgpack-RPC client for sr-proxd's control socket, a
client for bird2's control socket (the protocol birdc speaks), /proc
readings, sr-proxd start-up, and re-running the benchmark inside a private
network namespace.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

from sr_rpc import Rpc  # noqa: E402


class BirdCli:
    """bird2's control socket, as birdc uses it: a command a line; the reply
    is lines "NNNN-text" or " text", ended by a line "NNNN text"."""

    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self._reply()  # "0001 BIRD 2.0.12 ready."

    def _reply(self):
        lines = []
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise RuntimeError("bird closed its control socket")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.decode(errors="replace")
            lines.append(line)
            if re.match(r"^\d{4} ", line):
                return lines

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\n")
        return self._reply()

    def protocol_state(self, name):
        for line in self.cmd(f"show protocols {name}"):
            if name in line:
                return line
        return ""

    def imported(self, name):
        """Routes imported by protocol NAME (an O(1) counter, cheap to poll)."""
        for line in self.cmd(f"show protocols all {name}"):
            m = re.search(r"Routes:\s+(\d+) imported", line)
            if m:
                return int(m.group(1))
        return 0

    def route_count(self, what=""):
        """`show route [WHAT] count`: the routes in the tables (walks the tables)."""
        for line in self.cmd(f"show route {what} count".replace("  ", " ")):
            m = re.search(r"(\d+) of (\d+) routes", line)
            if m:
                return int(m.group(1))
        return 0

    def close(self):
        self.sock.close()


def proc_status(pid):
    """VmRSS and VmHWM in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
    return out


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds (clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def schedstat(pid):
    """(seconds on a CPU, seconds runnable but waiting for one) summed over the
    threads of pid, from /proc/PID/task/*/schedstat (nanoseconds, precise)."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                a, b, _ = f.read().split()
        except (OSError, ValueError):
            continue
        run += int(a)
        wait += int(b)
    return run / 1e9, wait / 1e9


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({model}), Linux {os.uname().release}, "
            f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def find_bin(sr_bin, name):
    path = os.path.join(sr_bin, name)
    if not os.access(path, os.X_OK):
        print(f"{name} not found in {sr_bin} (build first, or pass -b DIR)", file=sys.stderr)
        sys.exit(69)
    return path


def need(program):
    path = shutil.which(program)
    if not path:
        print(f"{program} not found", file=sys.stderr)
        sys.exit(69)
    return path


def reexec_in_netns(tag):
    """Re-run this script in a private network namespace with only loopback up
    (unshare -n; a user namespace too when not root), so that nothing outside
    can reach our daemons and no other test's addresses or ports can clash.
    SR_BENCH_NO_NETNS=1 skips it."""
    if os.environ.get("SR_BENCH_IN_NETNS") or os.environ.get("SR_BENCH_NO_NETNS"):
        return
    ns = ["-n"] if os.geteuid() == 0 else ["-r", "-n"]
    probe = subprocess.run(["unshare", *ns, "ip", "link", "set", "lo", "up"], capture_output=True)
    if probe.returncode != 0:
        print(f"{tag}: no private network namespace (unshare failed); running on the host's loopback",
              file=sys.stderr)
        return
    os.environ["SR_BENCH_IN_NETNS"] = "1"
    script = os.path.abspath(sys.argv[0])
    os.execvp("unshare", ["unshare", *ns, "sh", "-c", 'ip link set lo up && exec "$0" "$@"', script, *sys.argv[1:]])


class StderrTail:
    """Reads a daemon's stderr line by line in a thread, copying it to a log
    file and stamping each line with time.monotonic() as it arrives."""

    def __init__(self, stream, log_path):
        import threading
        self.lines = []  # (monotonic time, text)
        self.cond = threading.Condition()
        self.log = open(log_path, "a")
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for raw in stream:
            t = time.monotonic()
            text = raw.decode(errors="replace").rstrip("\n")
            self.log.write(text + "\n")
            self.log.flush()
            with self.cond:
                self.lines.append((t, text))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """The (time, line) of the first line from index `start` matching pattern."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    if rx.search(self.lines[i][1]):
                        return self.lines[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no line matching {pattern!r} within {timeout} s")
                self.cond.wait(left)


def start_proxd(proxd, rundir, args, log_path, verbose=False, tail=True):
    """Starts sr-proxd with --ready-fd and waits for its readiness newline.
    Returns (Popen, StderrTail or None). With tail=False its stderr goes
    straight to log_path (no reader thread in this process to compete with
    a latency measurement for the GIL)."""
    os.makedirs(rundir, exist_ok=True)
    r, w = os.pipe()
    cmd = [proxd, "--runtime-dir", rundir, "--ready-fd", str(w), *(["-v"] if verbose else []), *args]
    err = subprocess.PIPE if tail else open(log_path, "ab")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, pass_fds=(w,))
    os.close(w)
    reader = StderrTail(p.stderr, log_path) if tail else None
    with os.fdopen(r, "rb") as ready:
        line = ready.readline()
    if not line:
        p.kill()
        raise RuntimeError(f"sr-proxd did not become ready: {' '.join(cmd)} (log {log_path})")
    return p, reader


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]

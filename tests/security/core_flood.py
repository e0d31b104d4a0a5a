#!/usr/bin/python3
"""Floods a daemon's control socket as a read-only user would (issue 9 item 7).

Opens CONNS connections, then on the first PIPE of those that were accepted
sends sys.api requests without ever reading the answers, until the daemon
stops taking them (the socket stays unwritable for a second) or LIMIT bytes
were sent. Prints "accepted N refused M" and holds every connection open
until stdin closes. Usage: core_flood.py SOCKET CONNS PIPE LIMIT
"""
import os
import select
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

path, conns, pipe, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks, refused = [], 0
for _ in range(conns):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
# A refused connection gets a sys.error notice and end of file; an accepted
# one answers a ping.
accepted = []
for s in socks:
    unpacker = msgpack.Unpacker(raw=False)
    try:
        s.sendall(msgpack.packb([0, 1, "sys.ping", [{}]]))
        unpacker.feed(s.recv(65536))
    except OSError:
        pass  # closed by the daemon: refused
    msg = next(iter(unpacker), None)
    if msg and msg[0] == 1:
        accepted.append(s)
    else:
        refused += 1
request = msgpack.packb([0, 2, "sys.api", [{}]])
batch = request * 256
for s in accepted[:pipe]:
    s.setblocking(False)
    sent = 0
    while sent < limit:
        _, writable, _ = select.select([], [s], [], 1.0)
        if not writable:
            break  # the daemon reads no more from us
        try:
            sent += s.send(batch)
        except BlockingIOError:
            pass
print(f"accepted {len(accepted)} refused {refused}", flush=True)
sys.stdin.read()

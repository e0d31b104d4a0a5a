#!/usr/bin/python3
"""Subscribes to a key and never reads the notifications (issue 9 item 7).

Sends dht.listen for NAME, reads its answer, prints "listening", then holds
the connection without reading until stdin closes. Usage:
core_slow_listener.py SOCKET NAME
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

path, name = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(msgpack.packb([0, 1, "dht.listen", [{"name": name}]]))
unpacker = msgpack.Unpacker(raw=False)
while True:
    unpacker.feed(s.recv(65536))
    msg = next(iter(unpacker), None)
    if msg is not None:
        break
if msg[0] != 1 or msg[2] is not None:
    sys.exit(f"dht.listen failed: {msg}")
print("listening", flush=True)
sys.stdin.read()

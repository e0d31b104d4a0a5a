#!/usr/bin/python3
"""An overlay application built on sr-dhtd's upcalls (common API, Dabek et al.).

It registers the application name on several nodes' sockets, answers
app.forward (counting the nodes each message passes through, and tagging
the payload to show the application may change it), counts app.deliver at
the roots, then routes COUNT messages to random keys from the first node and
waits until all are delivered. Prints one line:
    delivered=N forwarded=M tagged=T
Usage: overlay_app.py COUNT SOCKET...
"""
import os
import selectors
import socket
import sys
import time

from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

APP = "counter"


class Conn:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.msgid = 0
        self.replies = {}

    def send(self, obj):
        self.sock.sendall(msgpack.packb(obj, use_bin_type=True))

    def request(self, method, **params):
        self.msgid += 1
        self.send([0, self.msgid, method, [params]])
        return self.msgid


def main():
    count = int(sys.argv[1])
    conns = [Conn(p) for p in sys.argv[2:]]
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    delivered = forwarded = tagged = 0
    registered = 0
    for c in conns:
        c.request("dht.app_register", app=APP)
    deadline = time.monotonic() + 30
    sent = False
    while time.monotonic() < deadline:
        if registered == len(conns) and not sent:
            for _ in range(count):
                conns[0].request("dht.route", app=APP, key=os.urandom(16).hex(), payload=b"hello")
            sent = True
        if sent and delivered >= count:
            break
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            data = c.sock.recv(65536)
            if not data:
                sys.exit(f"{c.path} closed the connection")
            c.unpacker.feed(data)
            for msg in c.unpacker:
                if msg[0] == 1:  # a response to one of our requests
                    if msg[2] is not None:
                        sys.exit(f"error from {c.path}: {msg[2]}")
                    if msg[3].get("registered"):
                        registered += 1
                elif msg[0] == 0 and msg[2] == "app.forward":  # the daemon asks us
                    forwarded += 1
                    payload = msg[3][0]["payload"]
                    c.send([1, msg[1], None, {"action": "forward", "payload": payload + b"+"}])
                elif msg[0] == 2 and msg[1] == "app.deliver":
                    delivered += 1
                    payload = msg[2][0]["payload"]
                    if payload.startswith(b"hello+"):
                        tagged += 1
    print(f"delivered={delivered} forwarded={forwarded} tagged={tagged}")


if __name__ == "__main__":
    main()

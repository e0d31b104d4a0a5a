"""A minimal msgpack-RPC client (sr-rpc(7)) for the tests and benchmarks.

One persistent connection; call() sends a request and returns its result or
raises RuntimeError naming the error code; notifications that arrive in
between are kept in `notifications`. tests/bats/third_party_client.py keeps
its own copy on purpose: it shows what a third party writes from nothing.
"""
import sys
import os
import socket

from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")


class Rpc:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False, max_buffer_size=64 << 20)
        self.msgid = 0
        self.notifications = []

    def call(self, method, **params):
        self.msgid += 1
        self.sock.sendall(msgpack.packb([0, self.msgid, method, [params]], use_bin_type=True))
        while True:
            for msg in self.unpacker:
                if msg[0] == 2:
                    self.notifications.append(msg)
                elif msg[0] == 1 and msg[1] == self.msgid:
                    if msg[2] is not None:
                        raise RuntimeError(f"{method}: {msg[2]['code']}: {msg[2]['message']}")
                    return msg[3]
            data = self.sock.recv(1 << 20)
            if not data:
                raise RuntimeError("connection closed")
            self.unpacker.feed(data)

    def close(self):
        self.sock.close()

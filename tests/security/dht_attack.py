#!/usr/bin/python3
"""Attacks on sr-dhtd's store for tests/security/dht-*.bats.

  dht_attack.py forge OVERLAY_ADDR KEYHEX WRITERHEX VID SEQ
      As a node of an open overlay: sends a put naming another writer's
      (writer, vid) with a newer seq and the value "forged", and a replica
      tombstone for the same value, both without the writer's key.
  dht_attack.py overlay-listen OVERLAY_ADDR KEYHEX N
      As a node: subscribes N times to a key under one node id.
  dht_attack.py listen-flood SOCKET KEYHEX N OTHER_SOCKET
      As a local client: N dht.listen on one connection to SOCKET, then one
      on OTHER_SOCKET (another node) while they are held; prints
      "held=H other=ok|CODE".
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

from third_party_client import Rpc  # noqa: E402

FAKE_ID = bytes.fromhex("e0" * 16)
FAKE_ADDR = "127.0.0.239:4239"


def overlay(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    hello = b""
    while len(hello) < 20:
        chunk = s.recv(20 - len(hello))
        if not chunk:
            raise RuntimeError("no hello")
        hello += chunk
    assert hello[:4] == b"SRO1", hello
    return s


def frame(payload):
    return struct.pack(">IB", len(payload), 0) + payload


def dht(msg):
    return frame(b"D" + msgpack.packb(msg, use_bin_type=True))


def record(key, writer, vid, seq, value, tombstone=False):
    return {"key": key, "vid": vid, "writer": writer, "seq": seq, "type": "kv", "value": value,
            "ttl_ms": 600_000, "remove_hash": b"", "tombstone": tombstone}


def routed(key, req, op, body):
    return [1, key, [FAKE_ID, FAKE_ADDR], req, op, "", 0, False, [], body]


def forge(addr, keyhex, writerhex, vid, seq):
    key, writer = bytes.fromhex(keyhex), bytes.fromhex(writerhex)
    s = overlay(addr)
    rec = msgpack.packb(record(key, writer, vid, seq + 1, b"forged"), use_bin_type=True)
    s.sendall(dht(routed(key, 0, 1, {"record": rec})))
    # A replica push: the value turned into a tombstone by someone without the secret.
    s.sendall(dht([3, [FAKE_ID, FAKE_ADDR], 0, [record(key, writer, vid, seq + 2, b"", True)]]))
    s.close()


def overlay_listen(addr, keyhex, n):
    key = bytes.fromhex(keyhex)
    s = overlay(addr)
    for i in range(n):
        s.sendall(dht(routed(key, 0, 5, {"listen_id": 1000 + i, "ttl_ms": 90_000})))
    s.close()


def listen_flood(path, keyhex, n, other):
    rpc = Rpc(path)
    held = 0
    for _ in range(n):
        try:
            rpc.call("dht.listen", key=keyhex)
            held += 1
        except RuntimeError:
            pass
    if other == "-":
        print(f"held={held} other=skipped")
        return
    try:
        Rpc(other).call("dht.listen", key=keyhex)
        verdict = "ok"
    except RuntimeError as e:
        verdict = str(e).split(":")[1].strip()
    print(f"held={held} other={verdict}")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "forge":
        forge(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif cmd == "overlay-listen":
        overlay_listen(args[0], args[1], int(args[2]))
    elif cmd == "listen-flood":
        listen_flood(args[0], args[1], int(args[2]), args[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()

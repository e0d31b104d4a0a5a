#!/usr/bin/python3
"""dht.send, app.receive and dht.replica_set across a live overlay.

Registers the application on every node's socket, then from the first node
sends one message straight to each node (each must arrive once, with the
right payload and origin) and one to a made-up id at the second node's
address (it must not arrive), and checks that every node whose leaf set
covers a key names the same root for it as dht.trace does. Prints:
    received=N misaddressed=M keys_checked=K
Usage: overlay_direct.py KEYS SOCKET...
"""
import os
import selectors
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sr_rpc import Rpc  # noqa: E402

APP = "direct-test"


def main():
    keys = int(sys.argv[1])
    conns = [Rpc(p) for p in sys.argv[2:]]
    nodes = [c.call("dht.app_register", app=APP)["node"] for c in conns]
    source = conns[0]
    for n in nodes:
        source.call("dht.send", node=n, app=APP, payload=f"to {n['id']}".encode())
    stranger = {"id": os.urandom(16).hex(), "addr": nodes[1]["addr"]}
    source.call("dht.send", node=stranger, app=APP, payload=b"not for you")
    try:
        source.call("dht.send", node=nodes[1], app=APP, payload=b"x" * (192 * 1024 + 1))
        sys.exit("a payload over 192 KiB was accepted")
    except RuntimeError as e:
        if "too_large" not in str(e):
            raise

    # Each node's connection: the app.receive notifications it got.
    got = {i: [m for m in c.notifications if m[1] == "app.receive"] for i, c in enumerate(conns)}
    sel = selectors.DefaultSelector()
    for i, c in enumerate(conns):
        sel.register(c.sock, selectors.EVENT_READ, i)
    deadline = time.monotonic() + 20
    while sum(len(v) for v in got.values()) < len(nodes) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            c = conns[key.data]
            data = c.sock.recv(1 << 16)
            if not data:
                sys.exit(f"{sys.argv[2 + key.data]} closed the connection")
            c.unpacker.feed(data)
            for msg in c.unpacker:
                if msg[0] == 2 and msg[1] == "app.receive":
                    got[key.data].append(msg)
    # The stranger's message, had it been taken, arrives no later than the
    # messages sent after it on the same connection; give it a moment anyway
    # by asking the node something (answers come in order on that socket).
    conns[1].call("sys.ping")
    got[1] += [m for m in conns[1].notifications if m[1] == "app.receive" and m not in got[1]]
    received = 0
    for i, msgs in got.items():
        for m in msgs:
            p = m[2][0]
            if p["app"] != APP or p["origin"] != nodes[0]:
                sys.exit(f"node {i}: unexpected app.receive {p}")
            if p["payload"] != f"to {nodes[i]['id']}".encode():
                sys.exit(f"node {i}: payload {p['payload'][:40]!r} is not its own")
            received += 1
        if len(msgs) != 1:
            sys.exit(f"node {i} received {len(msgs)} messages, not 1")

    checked = 0
    for _ in range(keys):
        key = os.urandom(16).hex()
        root = source.call("dht.trace", key=key)["root"]
        for c, n in zip(conns, nodes):
            rs = c.call("dht.replica_set", key=key, count=3)
            if len(rs["nodes"]) != 3:
                sys.exit(f"replica set of {len(rs['nodes'])} nodes, not 3")
            if rs["root"] != (rs["nodes"][0] == n):
                sys.exit(f"root={rs['root']} but the first node is {rs['nodes'][0]}, self {n}")
            if rs["in_range"] and rs["nodes"][0] != root:
                sys.exit(f"{n['addr']} names {rs['nodes'][0]} the root of {key}, dht.trace {root}")
            if rs["root"] and rs["nodes"][0] != root:
                sys.exit(f"{n['addr']} calls itself the root of {key}; dht.trace says {root}")
        checked += 1
    print(f"received={received} misaddressed={len(got[1]) - 1} keys_checked={checked}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Scribe end to end on a live lab: ordering, exactly-once, repair.

Subscribes TOPIC (since 1) on the nodes SUBS, publishes COUNT messages a
round from each of NPUBS nodes (neither subscribers nor the topic's root),
and after each round checks that every
live subscriber has every acknowledged message once, in sequence order,
with no gap reported. Between rounds it kills (SIGKILL, sr-dhtd and
sr-eventd) the node named by the next word of KILLS: "interior" (a tree
member with children that is neither the root nor a publisher) or "root".
Prints one line per round: "round R acked A subscribers S killed K".
Usage: events_check.py LAB TOPIC COUNT SUBS NPUBS KILLS
  SUBS: comma-separated node numbers; KILLS: comma-separated, or "-".
"""
import os
import selectors
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sr_rpc import Rpc  # noqa: E402

from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")


def sock(lab, n):
    return f"{lab}/n{n}/run/eventd.sock"


class Subscriber:
    def __init__(self, lab, n, topic):
        self.n = n
        self.rpc = Rpc(sock(lab, n))
        self.rpc.call("event.subscribe", topics=[topic], since=1)
        self.seqs = []
        self.gaps = []
        self.alive = True
        for m in self.rpc.notifications:
            self.take(m)

    def take(self, msg):
        if msg[0] != 2:
            return
        if msg[1] == "event.message":
            self.seqs.append(msg[2][0]["seq"])
        elif msg[1] == "event.gap":
            self.gaps.append(msg[2][0])

    def read(self):
        data = self.rpc.sock.recv(1 << 20)
        if not data:
            self.alive = False
            return
        self.rpc.unpacker.feed(data)
        for m in self.rpc.unpacker:
            self.take(m)


def publish_round(lab, pubs, topic, count, rnd):
    """COUNT messages from each publisher, pipelined; the acknowledged seqs."""
    acked = []
    for p in pubs:
        rpc = Rpc(sock(lab, p))
        for i in range(count):
            rpc.msgid += 1
            rpc.sock.sendall(msgpack.packb([0, rpc.msgid, "event.publish",
                                            [{"topic": topic, "payload": f"r{rnd} p{p} m{i}".encode()}]],
                                           use_bin_type=True))
        answered = 0
        deadline = time.monotonic() + 60
        while answered < count and time.monotonic() < deadline:
            rpc.sock.settimeout(max(0.1, deadline - time.monotonic()))
            data = rpc.sock.recv(1 << 20)
            if not data:
                break
            rpc.unpacker.feed(data)
            for m in rpc.unpacker:
                if m[0] == 1:
                    answered += 1
                    if m[2] is None:
                        acked.append(m[3]["seq"])
        rpc.close()
    return acked


def tree_of(lab, n, topic):
    try:
        return Rpc(sock(lab, n)).call("event.tree", topic=topic)
    except (OSError, RuntimeError):
        return None


def kill_node(lab, n):
    for d in (f"{lab}/n{n}/pid", f"{lab}/e{n}/pid"):
        try:
            os.kill(int(open(d).read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def main():
    lab, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    subs_n = [int(x) for x in sys.argv[4].split(",")]
    kills = [] if sys.argv[6] == "-" else sys.argv[6].split(",")
    nodes = sorted({int(d[1:]) for d in os.listdir(lab) if d.startswith("e") and d[1:].isdigit()})
    root_id = Rpc(f"{lab}/n{nodes[0]}/run/dhtd.sock").call("dht.trace", name=topic, ns="topic")["root"]["id"]
    ids = {n: Rpc(f"{lab}/n{n}/run/dhtd.sock").call("dht.info")["id"] for n in nodes}
    pubs = [n for n in nodes if n not in subs_n and ids[n] != root_id][: int(sys.argv[5])]
    subs = [Subscriber(lab, n, topic) for n in subs_n]
    sel = selectors.DefaultSelector()
    for s in subs:
        sel.register(s.rpc.sock, selectors.EVENT_READ, s)
    all_acked, dead = [], set()
    for rnd in range(len(kills) + 1):
        killed = "-"
        if rnd > 0:
            what = kills[rnd - 1]
            trees = {n: tree_of(lab, n, topic) for n in nodes if n not in dead}
            if what == "root":
                pick = [n for n, t in trees.items() if t and t["root"]]
            else:
                pick = [n for n, t in trees.items()
                        if t and t["member"] and not t["root"] and t["children"] and n not in pubs]
            if not pick:
                sys.exit(f"round {rnd}: no {what} node to kill")
            if pick[0] in pubs:
                sys.exit(f"round {rnd}: the {what} node {pick[0]} is a publisher; choose others")
            kill_node(lab, pick[0])
            dead.add(pick[0])
            killed = f"{what}:{pick[0]}"
        before = max(all_acked, default=0)
        acked = publish_round(lab, pubs, topic, count, rnd)
        if rnd > 0 and acked and min(acked) <= before:
            sys.exit(f"round {rnd}: numbering restarted: seq {min(acked)} after {before}")
        all_acked += acked
        live = [s for s in subs if s.n not in dead]
        want = set(all_acked)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(not want <= set(s.seqs) for s in live):
            for key, _ in sel.select(timeout=0.5):
                s = key.data
                if s.alive and s.n not in dead:
                    s.read()
        for s in live:
            missing = sorted(want - set(s.seqs))
            if missing:
                sys.exit(f"round {rnd}: subscriber on node {s.n} misses {len(missing)}: {missing[:10]}")
            if len(s.seqs) != len(set(s.seqs)):
                sys.exit(f"round {rnd}: subscriber on node {s.n} got duplicates")
            if s.seqs != sorted(s.seqs):
                sys.exit(f"round {rnd}: subscriber on node {s.n} got messages out of order")
            if s.gaps:
                sys.exit(f"round {rnd}: subscriber on node {s.n} was told of gaps {s.gaps}")
        print(f"round {rnd} acked {len(acked)} subscribers {len(live)} killed {killed}", flush=True)


if __name__ == "__main__":
    main()

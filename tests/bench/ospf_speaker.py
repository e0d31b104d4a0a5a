#!/usr/bin/python3
"""A minimal OSPFv2 speaker that feeds a generated area to one neighbour,
for tests/bench/ospf-sync. Run inside a network namespace:

  ospf_speaker.py IFACE ROUTERS SEED

It plays the router 10.255.255.254 on IFACE (point-to-point, Hello 1 s,
Dead 4 s, no authentication) holding the router-LSAs of ROUTERS generated
routers (a ring with a chord to the 7th next, metrics 1-100 from SEED, a
/32 loopback each: router i is 10.1.i/16-style 10.1.(i>>8).(i&255), its
loopback 10.3.(i>>8).(i&255)) and its own, which links it to router 0 and
to the neighbour. With the highest router id it is master of the database
exchange: it describes every LSA, answers LS Requests, acknowledges what
the neighbour floods. On stdin it takes "flip I": router I's LSA comes
again with the metric of its link to router I+1 set to 1 and is flooded; it answers
"sent WALLTIME" on stdout once the LS Update is on the wire.

Only what the benchmark needs: one neighbour, no retransmission of LS
Updates (the neighbour asks again), no aging.
"""
import os
import random
import select
import socket
import struct
import sys
import time

PROTO = 89
ALL_SPF = "224.0.0.5"
ME = 0x0AFFFFFE  # 10.255.255.254
HELLO, DD, LSR, LSU, LSACK = 1, 2, 3, 4, 5
I_BIT, M_BIT, MS_BIT = 4, 2, 1


def ip(a):
    return struct.unpack("!I", socket.inet_aton(a))[0]


def rid(i):
    return 0x0A010000 | i


def loopback(i):
    return 0x0A030000 | i


def fletcher(lsa):
    """The LSA checksum (RFC 2328 12.1.7): over all but the age, at offset 16."""
    data = bytearray(lsa)
    data[16:18] = b"\0\0"
    c0 = c1 = 0
    for b in data[2:]:
        c0 = (c0 + b) % 255
        c1 = (c1 + c0) % 255
    x = ((len(data) - 2 - 15) * c0 - c1) % 255
    if x <= 0:
        x += 255
    y = 510 - c0 - x
    if y > 255:
        y -= 255
    return struct.pack("!BB", x, y)


def router_lsa(adv, links, seq):
    body = struct.pack("!BBH", 0, 0, len(links))
    for lid, data, kind, metric in links:
        body += struct.pack("!IIBBH", lid, data, kind, 0, metric)
    length = 20 + len(body)
    head = struct.pack("!HBBIIiHH", 1, 0x02, 1, adv, adv, seq, 0, length)
    lsa = bytearray(head + body)
    lsa[16:18] = fletcher(lsa)
    return bytes(lsa)


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def packet(kind, body):
    length = 24 + len(body)
    data = struct.pack("!BBHIIHHQ", 2, kind, length, ME, 0, 0, 0, 0) + body
    c = ip_checksum(data[:16] + data[24:])
    return data[:12] + struct.pack("!H", c) + data[14:]


class Area:
    def __init__(self, n, seed):
        rng = random.Random(seed)
        self.n = n
        self.links = {i: [] for i in range(n)}
        k = 0
        for i in range(n):
            for j in ((i + 1) % n, (i + 7) % n):
                m = rng.randint(1, 100)
                a_addr, b_addr = 0x0A020000 | (2 * k), 0x0A020000 | (2 * k + 1)
                self.links[i].append([rid(j), a_addr, 1, m])
                self.links[j].append([rid(i), b_addr, 1, m])
                k += 1
        self.seq = {i: -0x7FFFFFFF for i in range(n)}  # 0x80000001
        self.lsas = {}
        for i in range(n):
            self.build(i)

    def build(self, i):
        links = list(self.links[i]) + [[loopback(i), 0xFFFFFFFF, 3, 1]]
        if i == 0:
            links.append([ME, 0x0AFE0000, 1, 10])
        self.lsas[(1, rid(i), rid(i))] = router_lsa(rid(i), links, self.seq[i])

    def own(self, neighbor, my_addr):
        links = [[rid(0), 0x0AFE0001, 1, 10]]
        if neighbor:
            links.append([neighbor, my_addr, 1, 10])
        self.lsas[(1, ME, ME)] = router_lsa(ME, links, -0x7FFFFFFF + 1)

    def flip(self, i):
        # Metric 1 on router i's link to i+1: the least there is, so the
        # cost from i to i+1 becomes 1 whatever it was.
        link = next(l for l in self.links[i] if l[0] == rid((i + 1) % self.n))
        link[3] = 1
        self.seq[i] += 1
        self.build(i)
        return self.lsas[(1, rid(i), rid(i))]


class Speaker:
    def __init__(self, iface, area):
        self.iface = iface
        self.area = area
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTO)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        index = socket.if_nametoindex(iface)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                             socket.inet_aton(ALL_SPF) + struct.pack("=Ii", 0, index))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        self.my_addr = self.address()
        self.neighbor = None
        self.two_way = False
        self.dd_seq = int(time.time()) & 0xFFFFFF
        self.exchanging = False
        self.summary = []
        self.last_dd = None
        self.last_dd_at = 0.0
        self.exchange_done = False
        self.held_requests = []
        self.area.own(None, self.my_addr)

    def address(self):
        import fcntl
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        req = struct.pack("256s", self.iface.encode())
        return struct.unpack("!I", fcntl.ioctl(s.fileno(), 0x8915, req)[20:24])[0]  # SIOCGIFADDR

    def send(self, kind, body):
        self.sock.sendto(packet(kind, body), (ALL_SPF, 0))

    def hello(self):
        body = struct.pack("!IHBBIII", 0xFFFFFF00, 1, 0x02, 1, 4, 0, 0)
        if self.neighbor:
            body += struct.pack("!I", self.neighbor)
        self.send(HELLO, body)

    def send_dd(self, flags, headers=b""):
        self.last_dd = struct.pack("!HBBI", 1500, 0x02, flags, self.dd_seq) + headers
        self.last_dd_at = time.monotonic()
        self.send(DD, self.last_dd)

    def next_dd(self):
        take, self.summary = self.summary[:70], self.summary[70:]
        flags = MS_BIT | (M_BIT if self.summary else 0)
        self.send_dd(flags, b"".join(take))
        self.sent_more = bool(self.summary)

    def on_packet(self, data):
        ihl = (data[0] & 0x0F) * 4
        o = data[ihl:]
        if len(o) < 24:
            return
        kind, length, router = o[1], struct.unpack("!H", o[2:4])[0], struct.unpack("!I", o[4:8])[0]
        body = o[24:length]
        if kind == HELLO:
            if self.neighbor != router:
                self.neighbor = router
                self.area.own(router, self.my_addr)
            listed = struct.unpack("!%dI" % ((len(body) - 20) // 4), body[20:])
            if ME in listed and not self.two_way:
                self.two_way = True
                self.send_dd(I_BIT | M_BIT | MS_BIT)
        elif kind == DD and self.two_way:
            flags, seq = body[3], struct.unpack("!I", body[4:8])[0]
            if flags & MS_BIT or seq != self.dd_seq:
                return  # its own master claim, or a duplicate
            their_more = bool(flags & M_BIT)
            if not self.exchanging:
                self.exchanging = True
                self.summary = [lsa[:20] for lsa in self.area.lsas.values()]
                self.sent_more = True
            self.dd_seq += 1
            if not self.sent_more and not their_more:
                self.last_dd = None
                self.exchange_done = True
                for held in self.held_requests:
                    self.answer(held)
                return
            self.next_dd()
        elif kind == LSR:
            # FRR asks for the next LSAs only once the answer to its last
            # request arrives in Loading: answered during the exchange, it
            # would wait for its retransmission timer (5 s). So requests wait
            # for the end of the exchange; sr-proxd takes answers in either.
            if self.exchange_done:
                self.answer(body)
            else:
                self.held_requests.append(body)
        elif kind == LSU:
            count = struct.unpack("!I", body[:4])[0]
            p, acks = 4, []
            for _ in range(count):
                if p + 20 > len(body):
                    break
                acks.append(body[p:p + 20])
                p += struct.unpack("!H", body[p + 18:p + 20])[0]
            if acks:
                self.send(LSACK, b"".join(acks))

    def answer(self, body):
        out, size = [], 0
        for k in range(len(body) // 12):
            t, lid, adv = struct.unpack("!III", body[12 * k:12 * k + 12])
            lsa = self.area.lsas.get((t, lid, adv))
            if lsa is None:
                continue
            if size + len(lsa) > 1400 and out:
                self.send(LSU, struct.pack("!I", len(out)) + b"".join(out))
                out, size = [], 0
            out.append(lsa)
            size += len(lsa)
        if out:
            self.send(LSU, struct.pack("!I", len(out)) + b"".join(out))

    def run(self):
        next_hello = 0.0
        stdin = sys.stdin.fileno()
        while True:
            now = time.monotonic()
            if now >= next_hello:
                self.hello()
                next_hello = now + 1.0
            if self.last_dd is not None and now - self.last_dd_at > 1.0:
                self.send(DD, self.last_dd)
                self.last_dd_at = now
            r, _, _ = select.select([self.sock, stdin], [], [], 0.05)
            if self.sock in r:
                data, _ = self.sock.recvfrom(65535)
                self.on_packet(data)
            if stdin in r:
                line = sys.stdin.readline()
                if not line:
                    return
                words = line.split()
                if words and words[0] == "flip":
                    lsa = self.area.flip(int(words[1]))
                    self.send(LSU, struct.pack("!I", 1) + lsa)
                    print("sent %.6f" % time.time(), flush=True)


def main():
    iface, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    Speaker(iface, Area(n, seed)).run()


if __name__ == "__main__":
    main()

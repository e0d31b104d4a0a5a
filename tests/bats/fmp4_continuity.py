#!/usr/bin/python3
"""fmp4_continuity.py: checks that fMP4 media segments continue each other.

  fmp4_continuity.py SEGMENT SEGMENT...

Each SEGMENT is a moof + mdat of one track. For each pair in order, the
second's tfdt (the decode time of its first sample) must be the first's
tfdt plus the durations of its samples (trun, or tfhd's default). Prints
"tfdt duration" per segment; exits 1 at the first gap or overlap.
"""
import struct
import sys


def boxes(d, at, end):
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", d[at:at + 8])
        if size < 8:
            raise ValueError("bad box size")
        yield kind, at, size
        at += size


def find(d, path, at=0, end=None):
    end = len(d) if end is None else end
    for kind, a, size in boxes(d, at, end):
        if kind == path[0]:
            return (a, size) if len(path) == 1 else find(d, path[1:], a + 8, a + size)
    raise ValueError("no " + b"/".join(path).decode())


def tfdt_and_duration(d):
    a, _ = find(d, [b"moof", b"traf", b"tfdt"])
    version = d[a + 8]
    t = struct.unpack(">Q", d[a + 12:a + 20])[0] if version == 1 else struct.unpack(">I", d[a + 12:a + 16])[0]
    a, _ = find(d, [b"moof", b"traf", b"tfhd"])
    tf_flags = int.from_bytes(d[a + 9:a + 12], "big")
    q = a + 16 + (8 if tf_flags & 0x1 else 0) + (4 if tf_flags & 0x2 else 0)
    default = struct.unpack(">I", d[q:q + 4])[0] if tf_flags & 0x8 else 0
    a, _ = find(d, [b"moof", b"traf", b"trun"])
    flags = int.from_bytes(d[a + 9:a + 12], "big")
    count = struct.unpack(">I", d[a + 12:a + 16])[0]
    p = a + 16 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    per = sum(4 for f in (0x100, 0x200, 0x400, 0x800) if flags & f)
    total = 0
    for _ in range(count):
        total += struct.unpack(">I", d[p:p + 4])[0] if flags & 0x100 else default
        p += per
    return t, total


def main():
    got = [tfdt_and_duration(open(path, "rb").read()) for path in sys.argv[1:]]
    for t, duration in got:
        print(t, duration)
    for (t, duration), (next_t, _) in zip(got, got[1:]):
        if t + duration != next_t:
            print(f"gap: {t} + {duration} != {next_t}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

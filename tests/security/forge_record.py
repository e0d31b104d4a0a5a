#!/usr/bin/python3
"""forge_record.py: what an overlay member (or a local dht.put caller) does to
poison other caches: it stores a replica pointer of its own making.

    forge_record.py SOCKET URL ENDPOINT BODY_FILE [MAC]

Puts, in namespace "obj" under URL, the record sr-cached publishes for an
object it holds -- {url, endpoint, expires, digest, size[, mac]} -- naming
ENDPOINT as the holder and carrying the SHA-256 and size of BODY_FILE, so that
only the signature can give the forgery away. Prints the put's answer.
"""
import hashlib
import socket
import sys
import time

import msgpack


def call(path, method, params):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(msgpack.packb([0, 1, method, [params]], use_bin_type=True))
    unpacker = msgpack.Unpacker(raw=False)
    while True:
        data = sock.recv(65536)
        if not data:
            raise SystemExit(f"{method}: connection closed")
        unpacker.feed(data)
        for msg in unpacker:
            if msg[0] == 1 and msg[1] == 1:
                if msg[2] is not None:
                    raise SystemExit(f"{method}: {msg[2]['code']}: {msg[2]['message']}")
                return msg[3]


def main():
    path, url, endpoint, body_file = sys.argv[1:5]
    body = open(body_file, "rb").read()
    record = {"url": url, "endpoint": endpoint, "expires": int(time.time()) + 3600,
              "digest": hashlib.sha256(body).hexdigest(), "size": len(body)}
    if len(sys.argv) > 5:
        record["mac"] = sys.argv[5]
    answer = call(path, "dht.put", {"name": url, "ns": "obj", "value": msgpack.packb(record), "ttl": 600})
    print(answer)


if __name__ == "__main__":
    main()

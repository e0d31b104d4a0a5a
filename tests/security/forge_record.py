#!/usr/bin/python3
"""forge_record.py: what an overlay member (or a local dht.put caller) does to
poison other caches: it stores records of its own making where sr-cached
looks for its peers' records.

    forge_record.py SOCKET obj URL ENDPOINT BODY_FILE [MAC]
    forge_record.py SOCKET svc NAME INSTANCE_URL [MAC]
    forge_record.py SOCKET raw NS NAME HEX

obj: puts under URL the replica pointer sr-cached publishes for an object it
holds -- {url, endpoint, expires, digest, size[, mac]} -- naming ENDPOINT as
the holder and carrying the SHA-256 and size of BODY_FILE, so that only the
signature can give the forgery away.
svc: puts under NAME a service descriptor {name, url, node, expires, attrs[,
mac]} sending the service's requests to INSTANCE_URL (a server-side request
forgery, if a cache followed it).
raw: puts the msgpack bytes HEX as they are (a record signed elsewhere).
Prints the put's answer.
"""
import os
import hashlib
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")


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
    path, ns = sys.argv[1:3]
    if ns == "raw":
        ns, name, value = sys.argv[3], sys.argv[4], bytes.fromhex(sys.argv[5])
        print(call(path, "dht.put", {"name": name, "ns": ns, "value": value, "ttl": 600}))
        return
    expires = int(time.time()) + 3600
    if ns == "obj":
        url, endpoint, body_file = sys.argv[3:6]
        body = open(body_file, "rb").read()
        name, extra = url, sys.argv[6:]
        record = {"url": url, "endpoint": endpoint, "expires": expires,
                  "digest": hashlib.sha256(body).hexdigest(), "size": len(body)}
    else:
        name, instance = sys.argv[3:5]
        extra = sys.argv[5:]
        record = {"name": name, "url": instance, "node": instance, "expires": expires, "attrs": {}}
    if extra:
        record["mac"] = extra[0]
    answer = call(path, "dht.put", {"name": name, "ns": ns, "value": msgpack.packb(record), "ttl": 600})
    print(answer)


if __name__ == "__main__":
    main()

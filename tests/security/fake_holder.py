#!/usr/bin/python3
"""fake_holder.py: a peer cache that holds the deployment's peer key and
misbehaves -- a compromised or broken holder, or what an on-path attacker makes
of an honest one's answers.

    fake_holder.py --listen ADDR:PORT --key-file FILE [--ready-fd N]
    fake_holder.py --pointer URL ENDPOINT TARGET --key-file FILE

Serving, it answers a request marked X-SR-Peer with the body origin.py sends
for the same target (so the pointer's digest is right), and by the first path
segment:
  /honest-...    a correct answer, its fields signed (X-SR-Peer-Auth) as
                 sr-cached signs them: shows that this script speaks the
                 protocol, so the other cases test what they claim
  /truncate-...  announces the whole body, sends half of it, closes
  /alter-...     signs "Cache-Control: max-age=60", then sends max-age=31536000
--pointer prints the msgpack replica pointer for URL naming ENDPOINT, signed
with the key (hex), for a dht.put.
"""
import argparse
import hashlib
import hmac
import os
import socketserver
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

from origin import body  # noqa: E402  (the origin's bytes for a target)


def read_key(path):
    return open(path, "rb").read().rstrip(b"\r\n ")


def mac(key, *parts):
    return hmac.new(key, b"".join(p if isinstance(p, bytes) else p.encode() for p in parts), hashlib.sha256).hexdigest()


def pointer(key, url, endpoint, target):
    b = body(target, size_of(target))
    record = {"url": url, "node": endpoint, "endpoint": endpoint, "size": len(b), "etag": "",
              "digest": hashlib.sha256(b).hexdigest(), "expires": int(time.time()) + 3600}
    packed = msgpack.packb(dict(sorted(record.items())), use_bin_type=True)
    record["mac"] = mac(key, "sr-record\nobj\n", packed)
    return msgpack.packb(dict(sorted(record.items())), use_bin_type=True)


def size_of(target):
    from urllib.parse import parse_qs, urlsplit
    return int(parse_qs(urlsplit(target).query).get("size", ["16"])[0])


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        request = self.rfile.readline().decode("latin-1").split()
        fields = {}
        while True:
            line = self.rfile.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        target = request[1]
        url = "http://" + fields.get("host", "") + target
        mark = fields.get("x-sr-peer", "")
        b = body(target, size_of(target))
        mode = target.lstrip("/").split("-", 1)[0]
        signed = [("Cache-Control", "max-age=60"), ("Content-Type", "application/octet-stream"),
                  ("Age", "0"), ("X-Cache", "PEER-HIT")]
        names = ",".join(n.lower() for n, _ in signed)
        lines = "".join(f"{n.lower()}:{v}\n" for n, v in signed)
        auth = mac(self.server.key, "sr-peer-response\n", mark, "\n", url, "\n200\n", names, "\n", lines)
        sent = list(signed)
        if mode == "alter":
            sent[0] = ("Cache-Control", "max-age=31536000")
        head = "HTTP/1.1 200 OK\r\n" + "".join(f"{n}: {v}\r\n" for n, v in sent)
        head += f"Content-Length: {len(b)}\r\nX-SR-Peer-Auth: h={names};mac={auth}\r\nConnection: close\r\n\r\n"
        self.wfile.write(head.encode())
        self.wfile.write(b[: len(b) // 2] if mode == "truncate" else b)
        self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen")
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--ready-fd", type=int)
    ap.add_argument("--pointer", nargs=3, metavar=("URL", "ENDPOINT", "TARGET"))
    a = ap.parse_args()
    key = read_key(a.key_file)
    if a.pointer:
        print(pointer(key, *a.pointer).hex())
        return
    host, port = a.listen.rsplit(":", 1)
    srv = Server((host, int(port)), Handler)
    srv.key = key
    if a.ready_fd is not None:
        os.write(a.ready_fd, b"\n")
        os.close(a.ready_fd)
    srv.serve_forever()


if __name__ == "__main__":
    main()

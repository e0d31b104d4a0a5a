#!/usr/bin/python3
"""A third-party program using sr-dhtd with nothing but python3-msgpack.

It speaks msgpack-RPC (sr-rpc(7)) on the node's Unix socket: a put, then a
get of the same name, and prints the value it read back. Usage:
    third_party_client.py SOCKET NAME VALUE
"""
import socket
import sys

try:
    import msgpack
except ImportError:  # standalone on purpose: the one thing it needs, named
    sys.exit("third_party_client.py: install the Debian package python3-msgpack and run with /usr/bin/python3")


class Rpc:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.msgid = 0

    def call(self, method, **params):
        self.msgid += 1
        self.sock.sendall(msgpack.packb([0, self.msgid, method, [params]], use_bin_type=True))
        while True:
            for msg in self.unpacker:
                if msg[0] == 1 and msg[1] == self.msgid:
                    if msg[2] is not None:
                        raise RuntimeError(f"{method}: {msg[2]['code']}: {msg[2]['message']}")
                    return msg[3]
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("connection closed")
            self.unpacker.feed(data)


def main():
    path, name, value = sys.argv[1:4]
    rpc = Rpc(path)
    api = rpc.call("sys.api")
    assert any(m["name"] == "dht.put" for m in api["methods"]), "dht.put missing from sys.api"
    put = rpc.call("dht.put", name=name, value=value.encode(), ttl=300)
    got = rpc.call("dht.get", name=name)
    values = [v["value"].decode() for v in got["values"]]
    print(f"replicas={put['replicas']} key={put['key']} values={','.join(values)}")


if __name__ == "__main__":
    main()

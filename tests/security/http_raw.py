#!/usr/bin/python3
"""http_raw.py: sends raw bytes to an HTTP server and reports what came back.

  http_raw.py ADDR:PORT REQUEST [--timeout S]

REQUEST is a Python string literal body (escapes such as \\r\\n are
decoded). Prints every status line received, one per line, then "closed"
when the server closed the connection within S seconds (default 5), or
"open" when it did not.
"""
import argparse
import re
import socket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("request")
    ap.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    data = a.request.encode("latin-1").decode("unicode_escape").encode("latin-1")
    s = socket.create_connection((host, int(port)), timeout=a.timeout)
    s.sendall(data)
    got = b""
    state = "open"
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                state = "closed"
                break
            got += chunk
    except ConnectionResetError:
        state = "closed"
    except socket.timeout:
        pass
    for m in re.finditer(rb"HTTP/1\.[01] (\d{3})[^\r\n]*", got):
        print(m.group(0).decode("latin-1"))
    print(state)


if __name__ == "__main__":
    main()

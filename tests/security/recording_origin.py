#!/usr/bin/python3
"""recording_origin.py: an HTTP origin that records every byte it receives,
for tests that must show that nothing (or only what was meant) reached it.

  recording_origin.py --listen HOST:PORT --record FILE [--ready-fd N]

Raw sockets, no HTTP library: whatever a proxy sends, however malformed, is
appended to FILE as it arrives (FILE is created empty). Each time a header
block ends (an empty line), it answers "200 ok" with Connection: close and
closes, so a second request smuggled on the same connection is recorded but
never answered. The answer is not storable (Cache-Control: no-store). With
--ready-fd N it writes "\\n" to fd N once listening and closes that fd.
"""
import argparse
import os
import socket
import threading

ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nCache-Control: no-store\r\n"
          b"Connection: close\r\n\r\nok\n")


def serve(conn, record, lock):
    with conn:
        seen = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            with lock, open(record, "ab") as f:
                f.write(data)
            seen += data
            if b"\r\n\r\n" in seen or b"\n\n" in seen:
                try:
                    conn.sendall(ANSWER)
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    return
                # Keep reading (and recording) until the peer closes.


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--ready-fd", type=int)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    open(a.record, "wb").close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(64)
    if a.ready_fd is not None:
        os.write(a.ready_fd, b"\n")
        os.close(a.ready_fd)
    lock = threading.Lock()
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, a.record, lock), daemon=True).start()


if __name__ == "__main__":
    main()

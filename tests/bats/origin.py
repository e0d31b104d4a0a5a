#!/usr/bin/python3
"""origin.py: a controllable HTTP/1.1 origin server for the cache tests and
benchmarks (Python 3 standard library only).

  origin.py --listen HOST:PORT [--ready-fd N] [-v]
  origin.py --body TARGET        writes the body origin.py sends for TARGET

Threaded, persistent connections (HTTP/1.1 keep-alive; "Connection: close"
honoured). With --ready-fd N it writes "\\n" to fd N once listening and
closes that fd; it closes no other inherited fd. -v logs every request line
to stderr (nothing is written otherwise). HOST may be [::1] for IPv6.

Any path; the response is driven by its query string:

  size=N        body of N bytes (default 16); its content is body(TARGET, N):
                the records "OFFSET TARGET\\n" one after the other, OFFSET
                being the byte offset (decimal) where the record starts,
                TARGET the request target as received (path?query; an
                absolute-form target is reduced to it), cut at N bytes.
  status=N      status code (default 200, or --status; 204 and 304 have no body)
  cc=V          Cache-Control: V
  expires=V     Expires: V     (V = +S or -S: now +/- S seconds, as an HTTP-date)
  lm=V          Last-Modified: V   (same +S / -S form accepted)
  etag=V        ETag: V (quoted when V is given without quotes: etag=a -> "a")
  vary=V        Vary: V
  ct=V          Content-Type: V (default application/octet-stream)
  hdr=Name:Value  an extra response header (repeatable)
  echo=Name     response header X-Echo-Name: the request's Name header value
  delay=S       wait S seconds (float) before sending the headers
  chunked=1     Transfer-Encoding: chunked, the body in `chunks` chunks
  chunks=K      number of chunks (default 4)
  chunkdelay=S  wait S seconds between chunks
  truncate=N    announce the whole body, send only its first N bytes, close

Every response carries X-Origin-Seq: n, the number of requests seen so far
for its path (this one included), so a test can tell a stored response from
a fresh one.

Conditional GET/HEAD (only when the response would be a 200): If-None-Match
matching the etag (weak comparison, or "*"), or, when there is no
If-None-Match, If-Modified-Since >= lm, gives a 304 carrying ETag,
Cache-Control, Expires, Last-Modified, Vary and the hdr= headers.

Special paths (not counted, answered with Cache-Control: no-store):

  GET  /_count?path=P   {"count": n}: requests seen for path P (the path as in
                        the request line, without the query)
  GET  /_counts         {"P": n, ...} for every path seen
  POST /_reset          clears the counts and the last requests (204)
  GET  /_last?path=P    the last request for P: {"method", "target",
                        "version", "headers": {lower-case name: value}}
                        (repeated headers joined by ", "); 404 if none
  /_fail?...            counted (as /_fail), then, after delay=S if given,
                        the connection is closed without an answer
"""
import argparse
import email.utils
import functools
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERBOSE = False
_lock = threading.Lock()
_counts = {}
_last = {}


@functools.lru_cache(maxsize=64)
def body(target, size):
    """The body origin.py sends for request target TARGET (str) and SIZE bytes."""
    t = target.encode("iso-8859-1", "replace")
    parts, n = [], 0
    while n < size:
        rec = b"%d %s\n" % (n, t)
        parts.append(rec)
        n += len(rec)
    return b"".join(parts)[:size]


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def date_param(v):
    """+S / -S: now +/- S seconds as an HTTP-date; anything else literal."""
    if re.fullmatch(r"[+-]\d+(\.\d+)?", v):
        return http_date(time.time() + float(v))
    return v


def parse_date(v):
    try:
        d = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    return d.timestamp() if d is not None else None


def etag_list(v):
    return re.findall(r'(?:W/)?"[^"]*"|\*', v)


def weak_eq(a, b):
    strip = lambda e: e[2:] if e.startswith("W/") else e  # noqa: E731
    return strip(a) == strip(b)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "origin.py"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # Every method is handled alike (the method is recorded in /_last).
    def do_GET(self):
        try:
            self.handle_any()
        except ValueError as e:  # a malformed parameter
            self.send_json(400, {"error": str(e)})

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def read_request_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    return
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return
                self.rfile.read(n + 2)
        else:
            n = int(self.headers.get("Content-Length") or 0)
            if n > 0:
                self.rfile.read(n)

    def send(self, status, headers, payload=b"", with_length=True):
        """Status line, headers and payload in one write."""
        self.log_request(status)
        out = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
               "Server: origin.py", "Date: " + http_date(time.time())]
        out += ["%s: %s" % h for h in headers]
        if with_length:
            out.append("Content-Length: %d" % len(payload))
        if self.close_connection:
            out.append("Connection: close")
        head = ("\r\n".join(out) + "\r\n\r\n").encode("iso-8859-1", "replace")
        self.wfile.write(head if self.command == "HEAD" else head + payload)

    def send_json(self, status, obj):
        self.send(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                  json.dumps(obj).encode() + b"\n")

    def handle_any(self):
        self.read_request_body()
        target = self.path
        m = re.match(r"(?i)https?://[^/?#]*", target)
        if m:
            target = target[m.end():] or "/"
        path, _, query = target.partition("?")
        q = urllib.parse.parse_qsl(query, keep_blank_values=True)
        qd = dict(q)

        if path == "/_count":
            with _lock:
                return self.send_json(200, {"count": _counts.get(qd.get("path", ""), 0)})
        if path == "/_counts":
            with _lock:
                return self.send_json(200, dict(_counts))
        if path == "/_reset":
            with _lock:
                _counts.clear()
                _last.clear()
            return self.send(204, [("Cache-Control", "no-store")], with_length=False)
        if path == "/_last":
            with _lock:
                last = _last.get(qd.get("path", ""))
            return self.send_json(200, last) if last else self.send_json(404, {"error": "no request seen"})

        hdrs = {}
        for k, v in self.headers.items():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        with _lock:
            seq = _counts[path] = _counts.get(path, 0) + 1
            _last[path] = {"method": self.command, "target": target,
                           "version": self.request_version, "headers": hdrs}

        try:
            delay = float(qd.get("delay", 0))
        except ValueError:
            delay = 0
        if delay > 0:
            time.sleep(delay)
        if path == "/_fail":
            self.log_request("-")
            self.close_connection = True
            return

        status = int(qd.get("status", DEFAULT_STATUS))
        size = int(qd.get("size", 16))
        etag = qd.get("etag")
        if etag is not None and not re.match(r'(W/)?"', etag):
            etag = '"%s"' % etag
        meta = []  # the headers a 304 repeats
        if etag is not None:
            meta.append(("ETag", etag))
        for key, name in (("cc", "Cache-Control"), ("expires", "Expires"),
                          ("lm", "Last-Modified"), ("vary", "Vary")):
            if key in qd:
                meta.append((name, date_param(qd[key]) if key in ("expires", "lm") else qd[key]))
        for k, v in q:
            if k == "hdr" and ":" in v:
                name, _, val = v.partition(":")
                meta.append((name.strip(), val.strip()))
            elif k == "echo":
                meta.append(("X-Echo-" + v, hdrs.get(v.lower(), "")))
        meta.append(("X-Origin-Seq", str(seq)))

        if status == 200 and self.command in ("GET", "HEAD") and self.not_modified(etag, dict(meta).get("Last-Modified")):
            return self.send(304, meta, with_length=False)

        headers = [("Content-Type", qd.get("ct", "application/octet-stream"))] + meta
        if status in (204, 304) or 100 <= status < 200:
            return self.send(status, headers, with_length=False)
        payload = body(target, size)
        truncate = int(qd["truncate"]) if "truncate" in qd else None
        if qd.get("chunked") == "1":
            return self.send_chunked(status, headers, payload, qd, truncate)
        if truncate is not None:  # no "Connection: close": the drop is unannounced
            headers.append(("Content-Length", str(len(payload))))
            self.send(status, headers, payload[:truncate], with_length=False)
            self.close_connection = True
            return
        self.send(status, headers, payload)

    def not_modified(self, etag, lm):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            if etag is None:
                return False
            return any(t == "*" or weak_eq(t, etag) for t in etag_list(inm))
        ims = self.headers.get("If-Modified-Since")
        if ims is None or lm is None:
            return False
        a, b = parse_date(ims), parse_date(lm)
        return a is not None and b is not None and a >= b

    def send_chunked(self, status, headers, payload, qd, truncate):
        k = max(1, int(qd.get("chunks", 4)))
        gap = float(qd.get("chunkdelay", 0))
        self.send(status, headers + [("Transfer-Encoding", "chunked")], with_length=False)
        if truncate is not None:
            self.close_connection = True
        if self.command == "HEAD":
            return
        step = max(1, -(-len(payload) // k))
        sent = 0
        for i in range(0, len(payload), step):
            if i and gap > 0:
                time.sleep(gap)
            piece = payload[i:i + step]
            if truncate is not None and sent + len(piece) > truncate:
                self.wfile.write(b"%x\r\n" % len(piece) + piece[:truncate - sent])
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        if truncate is None:
            self.wfile.write(b"0\r\n\r\n")


class Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True

    def handle_error(self, request, client_address):
        if VERBOSE:
            super().handle_error(request, client_address)


DEFAULT_STATUS = 200


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="controllable HTTP/1.1 origin server")
    ap.add_argument("--listen", metavar="HOST:PORT")
    ap.add_argument("--ready-fd", type=int, metavar="N")
    ap.add_argument("--body", metavar="TARGET", help="write the body sent for TARGET and exit")
    ap.add_argument("--status", type=int, default=200, metavar="N",
                    help="status of every answer without status= (a failing service instance: 503)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.body is not None:
        qd = dict(urllib.parse.parse_qsl(a.body.partition("?")[2], keep_blank_values=True))
        sys.stdout.buffer.write(body(a.body, int(qd.get("size", 16))))
        return 0
    if not a.listen:
        ap.error("--listen HOST:PORT is required")
    VERBOSE = a.verbose
    global DEFAULT_STATUS
    DEFAULT_STATUS = a.status
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        srv = Server((host, int(port)), Handler)
    except OSError as e:
        print("origin.py: cannot listen on %s: %s" % (a.listen, e), file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.ready_fd is not None:
        os.write(a.ready_fd, b"\n")
        os.close(a.ready_fd)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

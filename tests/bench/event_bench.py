#!/usr/bin/python3
"""Driver of tests/bench/event-vs-mosquitto: sr-eventd against Mosquitto (issue 10).

Everything runs on loopback; sr-dhtd, sr-eventd and mosquitto are started by
this script (never as services) with their files in LAB, and stopped at the
end. The clients on both sides are Python (Debian's /usr/bin/python3): for
sr, msgpack-RPC on eventd.sock (python3-msgpack); for Mosquitto,
python3-paho-mqtt and, as a control with the same per-message client cost as
ours, a minimal MQTT 3.1.1 client on a raw socket (class Mqtt below).

Parts (--parts, default all):

  latency  One node (sr-dhtd + sr-eventd) / one mosquitto. One publisher and
           one subscriber connection, both in this process (so one clock),
           one message at a time (closed loop, not pipelined): the payload
           (100 bytes) carries the send time (time.monotonic_ns, taken just
           before the request is written); the subscriber side stamps the
           time just after the notification is decoded; the next publish
           starts once the message is delivered and the publish answered
           (event.publish result; PUBACK at QoS 1; nothing at QoS 0).
           Systems: sr, event.publish as a request (answered, compared
           with QoS 1) and as a msgpack-RPC notification (no answer,
           compared with QoS 0); mosquitto QoS 0 and QoS 1 with paho;
           mosquitto QoS 0 with the raw client. WARM messages first, not
           counted.
  fanout   SUBS (50) subscriber connections to one topic, read by READERS
           (2) processes, each with a selector over its share of the sockets,
           counting the messages in the byte stream without decoding them
           (the number of occurrences of a marker that each message holds
           once: "event.message" as msgpack str for sr, the topic name with
           its length prefix for MQTT; the payloads cannot contain either),
           so that reading costs the client next to nothing. One publisher,
           in this process, sends MSGS messages of 100 bytes as fast as it
           is allowed: sr: event.publish pipelined, at most WINDOW (32)
           unanswered; mosquitto QoS 1 publish (PUBACK): at most WINDOW
           unacknowledged; mosquitto QoS 0: written back to back as fast as
           the socket takes them. Delivered msgs/s = messages counted by all
           readers / (last arrival - first publish written).
  lab      16 nodes, each sr-dhtd + sr-eventd (leaf sets of 4, 3 replicas,
           0.2 s heartbeats: the options of tests/bats/events.bats; random
           node ids). dht.get: GETS keys of 100 bytes, each put at a random
           node and got from another, one at a time, timed by this process
           around the call on that node's dhtd.sock. publish->deliver: TOPICS
           topics, each with a subscriber on one random node and a publisher
           on another, MSGS_PER_TOPIC messages each, one at a time, as in
           "latency". The two workloads alternate in 4 rounds.
  memory   A fresh node: VmRSS of sr-eventd (and sr-dhtd) just after start,
           once linked; then after 10,000 topics with one subscriber each
           (10 connections of 1,000 topics each, since a connection may hold
           at most 1,024; event.subscribe with 100 topics a call). The same
           for mosquitto, for context.

sr-eventd runs with --topic-rate and --publisher-rate 1e6 (their defaults,
1000/s and 500/s, would cap the publisher of a throughput benchmark).

With --pin, servers (sr-dhtd and sr-eventd, or mosquitto) run on CPU
SERVER_CPU and every client on CLIENT_CPU in the single-node parts; the lab
is not pinned.

Subcommands: "run" (all of the above; JSON results to --out, the report to
stdout) and "reader" (a fan-out reader process, used by "run").
"""
import argparse
import json
import os
import random
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bats"))
from deps import require  # noqa: E402

msgpack = require("msgpack", "python3-msgpack")

HERE = os.path.dirname(os.path.abspath(__file__))
from sr_rpc import Rpc  # noqa: E402

PAYLOAD = 100  # bytes of every message
SR_MARK = msgpack.packb("event.message")  # once in each event.message notification
RATES = ["--topic-rate", "1e6", "--publisher-rate", "1e6"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(xs, p):
    """The p-th percentile, nearest rank."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pids):
    """CPU time (user + system) these processes have used, in seconds."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def stamp_payload(i):
    """100 bytes: the send time (monotonic ns) and the index, then padding.
    ASCII digits and 'x' only, so neither fan-out marker can occur in it."""
    t = time.monotonic_ns()
    return t, f"{t:020d} {i:010d} ".encode().ljust(PAYLOAD, b"x")


def sent_time(payload):
    return int(payload[:20])


# ---------------------------------------------------------------- processes

class Procs:
    """The daemons this run started: each pid also goes to PIDFILE, so the
    wrapper stops them should this process die."""

    def __init__(self, lab, pidfile, server_cpu):
        self.lab = lab
        self.pidfile = pidfile
        self.server_cpu = server_cpu
        self.procs = []

    def spawn(self, argv, logname, ready=False, timeout=30, cpu=None):
        r = w = None
        if ready:
            r, w = os.pipe()
            argv = argv + ["--ready-fd", str(w)]
        cpu = self.server_cpu if cpu is None else cpu
        pre = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        logf = open(os.path.join(self.lab, logname), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             pass_fds=(w,) if ready else (), start_new_session=True, preexec_fn=pre)
        logf.close()
        self.procs.append(p)
        with open(self.pidfile, "a") as f:
            f.write(f"{p.pid}\n")
        if ready:
            os.close(w)
            sel = selectors.DefaultSelector()
            sel.register(r, selectors.EVENT_READ)
            got = os.read(r, 1) if sel.select(timeout) else b""
            os.close(r)
            if got != b"\n":
                p.kill()
                with open(os.path.join(self.lab, logname), errors="replace") as f:
                    text = f.read()[-3000:]
                raise RuntimeError(f"{argv[0]} ({logname}) did not become ready; its log:\n{text}")
        return p

    def stop(self, procs=None):
        procs = list(self.procs if procs is None else procs)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p in self.procs:
                self.procs.remove(p)


class SrNode:
    """sr-dhtd and sr-eventd sharing one runtime directory."""

    def __init__(self, procs, bin_dir, name, addr, join=None, dht_opts=(), event_opts=()):
        self.dir = os.path.join(procs.lab, name)
        self.run = os.path.join(self.dir, "run")
        os.makedirs(self.run, mode=0o700)
        self.addr = addr
        argv = [os.path.join(bin_dir, "sr-dhtd"), "-q", "--runtime-dir", self.run, "--listen", addr, *dht_opts]
        if join:
            argv += ["--join", join]
        self.dhtd = procs.spawn(argv, f"{name}.dhtd.log", ready=True)
        self.eventd = procs.spawn([os.path.join(bin_dir, "sr-eventd"), "-q", "--runtime-dir", self.run,
                                   *RATES, *event_opts], f"{name}.eventd.log", ready=True)
        self.procs = [self.dhtd, self.eventd]
        self.dht_sock = os.path.join(self.run, "dhtd.sock")
        self.event_sock = os.path.join(self.run, "eventd.sock")


def mosquitto_unix_path(lab):
    return os.path.join(lab, "mqtt", "mosquitto.sock")


def start_mosquitto(procs, port):
    """mosquitto on 127.0.0.1:PORT and, for the transport-neutral rows, on a
    Unix socket in LAB. Started as root it drops to the user "mosquitto"
    (its default): the socket's directory is then that user's."""
    sockdir = os.path.dirname(mosquitto_unix_path(procs.lab))
    os.makedirs(sockdir, mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        import pwd
        try:
            pw = pwd.getpwnam("mosquitto")
            os.chown(sockdir, pw.pw_uid, pw.pw_gid)
            os.chmod(procs.lab, 0o711)  # it must reach its directory
        except KeyError:
            pass
    conf = os.path.join(procs.lab, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nlistener 0 {mosquitto_unix_path(procs.lab)}\n"
                "allow_anonymous true\npersistence false\n"
                "log_dest stderr\nlog_type error\nlog_type warning\n")
    p = procs.spawn(["/usr/sbin/mosquitto", "-c", conf], "mosquitto.log")
    deadline = time.monotonic() + 10
    while True:  # ready: it accepts connections on both (it has no readiness notice)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(mosquitto_unix_path(procs.lab))
            u.close()
            return p
        except OSError:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not start; see mosquitto.log")
            time.sleep(0.05)


# ---------------------------------------------------------------- a minimal MQTT 3.1.1 client

def mqtt_len(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def mqtt_publish(topic, payload, qos=0, pid=0):
    body = mqtt_str(topic) + (struct.pack(">H", pid) if qos else b"") + payload
    return bytes([0x30 | (qos << 1)]) + mqtt_len(len(body)) + body


class Mqtt:
    """MQTT 3.1.1 over a raw TCP socket: enough to connect, subscribe,
    publish and read packets; the same per-message work as our msgpack
    client, so that the broker, not the client library, is compared."""

    def __init__(self, where, client_id):
        """WHERE: a TCP port on 127.0.0.1, or a Unix socket path."""
        if isinstance(where, str) and not where.isdigit():
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(where)
        else:
            self.sock = socket.create_connection(("127.0.0.1", int(where)))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pid = 0
        body = mqtt_str("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 600) + mqtt_str(client_id)
        self.sock.sendall(b"\x10" + mqtt_len(len(body)) + body)
        t, _, _ = self.wait_packet()
        if t != 2:
            raise RuntimeError(f"MQTT: expected CONNACK, got packet type {t}")

    def next_pid(self):
        self.pid = self.pid % 65535 + 1
        return self.pid

    def subscribe(self, topics, qos=0):
        pid = self.next_pid()
        body = struct.pack(">H", pid) + b"".join(mqtt_str(t) + bytes([qos]) for t in topics)
        self.sock.sendall(b"\x82" + mqtt_len(len(body)) + body)
        while True:
            t, _, b = self.wait_packet()
            if t == 9 and b[:2] == struct.pack(">H", pid):
                if any(c == 0x80 for c in b[2:]):
                    raise RuntimeError("MQTT: subscription refused")
                return

    def packets(self):
        """Complete packets in the buffer: (type, flags, body)."""
        buf, i, out = self.buf, 0, []
        while i + 2 <= len(buf):
            n, mult, j = 0, 1, i + 1
            while True:
                if j >= len(buf):
                    self.buf = buf[i:]
                    return out
                b = buf[j]
                n += (b & 0x7F) * mult
                mult <<= 7
                j += 1
                if not b & 0x80:
                    break
            if j + n > len(buf):
                break
            out.append((buf[i] >> 4, buf[i] & 0x0F, buf[j:j + n]))
            i = j + n
        self.buf = buf[i:]
        return out

    def feed(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise RuntimeError("MQTT: connection closed")
        self.buf += data

    def wait_packet(self):
        while True:
            p = self.packets()
            if p:
                if len(p) > 1:
                    raise RuntimeError("MQTT: unexpected packets")
                return p[0]
            self.feed()

    def close(self):
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        self.sock.close()


def publish_body(body):
    """(topic, payload) of a QoS 0 PUBLISH body."""
    n = struct.unpack(">H", body[:2])[0]
    return body[2:2 + n], body[2 + n:]


# ---------------------------------------------------------------- latency

def lat_sr(pub, sub, topic, n, warm, answered=True):
    """One message at a time from PUB to SUB (Rpc connections; SUB is
    subscribed to TOPIC): the next is published once this one is delivered
    and answered. Latencies in us: publish->deliver, publish->answer.
    With answered=False event.publish goes as a msgpack-RPC notification,
    which sr-eventd carries out without answering (MQTT's QoS 0)."""
    sel = selectors.DefaultSelector()
    sel.register(pub.sock, selectors.EVENT_READ, pub)
    sel.register(sub.sock, selectors.EVENT_READ, sub)
    lat, ack = [], []
    for i in range(warm + n):
        t0, payload = stamp_payload(i)
        params = [{"topic": topic, "payload": payload}]
        if answered:
            pub.msgid += 1
            pub.sock.sendall(msgpack.packb([0, pub.msgid, "event.publish", params], use_bin_type=True))
            got = acked = None
        else:
            pub.sock.sendall(msgpack.packb([2, "event.publish", params], use_bin_type=True))
            got, acked = None, 0
        while got is None or acked is None:
            ready = sel.select(10)
            if not ready:
                raise RuntimeError(f"sr: {topic}: message not delivered or answered within 10 s")
            for key, _ in ready:
                c = key.data
                data = c.sock.recv(1 << 20)
                if not data:
                    raise RuntimeError("sr-eventd closed a connection")
                c.unpacker.feed(data)
                for m in c.unpacker:
                    now = time.monotonic_ns()
                    if c is sub and m[0] == 2 and m[1] == "event.message":
                        if sent_time(m[2][0]["payload"]) == t0:
                            got = now - t0
                    elif c is sub and m[0] == 2:
                        raise RuntimeError(f"subscriber got {m[1]}: {m[2]}")
                    elif c is pub and m[0] == 2:
                        raise RuntimeError(f"publisher got {m[1]}: {m[2]}")
                    elif c is pub and m[0] == 1 and m[1] == pub.msgid:
                        if m[2] is not None:
                            raise RuntimeError(f"event.publish: {m[2]}")
                        acked = now - t0
        if i >= warm:
            lat.append(got / 1000)
            ack.append(acked / 1000)
    sel.close()
    return {"lat_us": lat, "ack_us": ack} if answered else {"lat_us": lat}


def lat_raw_mqtt(where, topic, n, warm):
    pub, sub = Mqtt(where, "lat-pub"), Mqtt(where, "lat-sub")
    sub.subscribe([topic], 0)
    sel = selectors.DefaultSelector()
    sel.register(sub.sock, selectors.EVENT_READ, sub)
    lat = []
    for i in range(warm + n):
        t0, payload = stamp_payload(i)
        pub.sock.sendall(mqtt_publish(topic, payload))
        got = None
        while got is None:
            if not sel.select(10):
                raise RuntimeError("mosquitto: message not delivered within 10 s")
            sub.feed()
            for t, _, body in sub.packets():
                now = time.monotonic_ns()
                if t == 3:
                    _, p = publish_body(body)
                    if sent_time(p) == t0:
                        got = now - t0
        if i >= warm:
            lat.append(got / 1000)
    pub.close()
    sub.close()
    return {"lat_us": lat}


def lat_paho(port, topic, n, warm, qos):
    mqtt = require("paho.mqtt.client", "python3-paho-mqtt")
    state = {"got": None, "t0": None}

    def on_message(client, userdata, msg):
        now = time.monotonic_ns()
        if sent_time(msg.payload) == state["t0"]:
            state["got"] = now - state["t0"]

    clients = []
    for cid in ("paho-pub", "paho-sub"):
        c = mqtt.Client(client_id=cid, clean_session=True, protocol=mqtt.MQTTv311)
        c.connect("127.0.0.1", port, keepalive=600)
        clients.append(c)
    pub, sub = clients
    sub.on_message = on_message
    sub.subscribe(topic, qos)
    for c in clients:  # CONNACK, SUBACK
        for _ in range(20):
            c.loop(0.05)
    sel = selectors.DefaultSelector()
    sel.register(sub.socket(), selectors.EVENT_READ, sub)
    sel.register(pub.socket(), selectors.EVENT_READ, pub)
    lat, ack = [], []
    for i in range(warm + n):
        t0, payload = stamp_payload(i)
        state["t0"], state["got"] = t0, None
        info = pub.publish(topic, payload, qos)  # written at once: no network thread
        acked = None if qos else 0
        while state["got"] is None or acked is None:
            for key, _ in sel.select(10):
                key.data.loop_read()
                if key.data.want_write():
                    key.data.loop_write()
            if acked is None and info.is_published():
                acked = time.monotonic_ns() - t0
            if time.monotonic_ns() - t0 > 10e9:
                raise RuntimeError("paho: message not delivered within 10 s")
        if i >= warm:
            lat.append(state["got"] / 1000)
            ack.append(acked / 1000)
    for c in clients:
        c.disconnect()
    out = {"lat_us": lat}
    if qos:
        out["ack_us"] = ack
    return out


def part_latency(a, procs, res):
    out = res.setdefault("latency", {})
    topic = "bench/latency"
    node = SrNode(procs, a.bin, "lat", f"127.0.0.{a.addr_base}:{a.port}")
    log(f"latency: sr, {a.msgs_latency} messages one at a time")
    pub, sub = Rpc(node.event_sock), Rpc(node.event_sock)
    sub.call("event.subscribe", topics=[topic])
    out["sr"] = lat_sr(pub, sub, topic, a.msgs_latency, a.warm)
    log(f"latency: sr, {a.msgs_latency} messages one at a time, event.publish as a notification (no answer)")
    out["sr_notify"] = lat_sr(pub, sub, topic, a.msgs_latency, a.warm, answered=False)
    pub.close()
    sub.close()
    procs.stop(node.procs)  # mosquitto next, alone
    mq = start_mosquitto(procs, a.mqtt_port)
    for qos in (0, 1):
        log(f"latency: mosquitto with paho, QoS {qos}")
        out[f"paho_qos{qos}"] = lat_paho(a.mqtt_port, topic, a.msgs_latency, a.warm, qos)
    log("latency: mosquitto with the raw client, QoS 0")
    out["raw_qos0"] = lat_raw_mqtt(a.mqtt_port, topic, a.msgs_latency, a.warm)
    log("latency: mosquitto with the raw client on its Unix socket, QoS 0")
    out["raw_qos0_unix"] = lat_raw_mqtt(mosquitto_unix_path(a.lab), topic, a.msgs_latency, a.warm)
    procs.stop([mq])


# ---------------------------------------------------------------- fan-out

def reader_main(a):
    """One fan-out reader process: CONNS connections subscribed to TOPIC,
    "ready" on stdout, then counts messages until EXPECT (over its
    connections) or IDLE seconds without data; JSON result on stdout."""
    if a.cpu is not None:
        os.sched_setaffinity(0, {a.cpu})
    mark = SR_MARK if a.system == "sr" else mqtt_str(a.topic)
    conns = []
    for i in range(a.conns):
        if a.system == "sr":
            r = Rpc(a.target)
            r.call("event.subscribe", topics=[a.topic])
            s = r.sock
            conns.append(r)
        else:
            m = Mqtt(a.target, f"reader-{os.getpid()}-{i}")
            m.subscribe([a.topic], 0)
            s = m.sock
            conns.append(m)
        s.setblocking(False)
    sel = selectors.DefaultSelector()
    carry = {}
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
        carry[c] = b""
    print("ready", flush=True)
    gap_mark = msgpack.packb("event.gap") if a.system == "sr" else None
    count = gaps = 0
    first = last = None
    tail = len(mark) - 1
    expect = a.expect * a.conns
    cpu0 = time.process_time()
    while count < expect:
        events = sel.select(a.idle)
        if not events:
            break
        for key, _ in events:
            c = key.data
            try:
                data = c.sock.recv(1 << 18)
            except BlockingIOError:
                continue
            if not data:
                raise RuntimeError("server closed a reader connection")
            now = time.monotonic_ns()
            if first is None:
                first = now
            last = now
            # A marker cut at the end of one read is counted with the next:
            # the kept tail is shorter than a marker, so nothing counts twice.
            buf = carry[c] + data
            count += buf.count(mark)
            if gap_mark:
                gaps += buf.count(gap_mark)
            carry[c] = buf[-tail:]
    print(json.dumps({"count": count, "gaps": gaps, "first_ns": first, "last_ns": last,
                      "cpu_s": time.process_time() - cpu0}), flush=True)


def start_readers(a, system, target, topic, expect):
    readers, per = [], [a.subs // a.readers + (1 if i < a.subs % a.readers else 0) for i in range(a.readers)]
    for k in per:
        argv = [sys.executable, os.path.abspath(__file__), "reader", "--system", system, "--target", str(target),
                "--topic", topic, "--conns", str(k), "--expect", str(expect), "--idle", "5"]
        if a.client_cpu is not None:
            argv += ["--cpu", str(a.client_cpu)]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        with open(a.pidfile, "a") as f:
            f.write(f"{p.pid}\n")
        readers.append(p)
    for p in readers:
        if p.stdout.readline() != b"ready\n":
            raise RuntimeError("a fan-out reader did not start")
    return readers


def finish_readers(readers):
    out = []
    for p in readers:
        line = p.stdout.readline()
        p.wait()
        if p.returncode != 0 or not line:
            raise RuntimeError("a fan-out reader failed")
        out.append(json.loads(line))
    return out


def fan_publish_sr(sock_path, topic, n, window):
    pub = Rpc(sock_path)
    reqs = [msgpack.packb([0, i + 1, "event.publish", [{"topic": topic, "payload": stamp_payload(i)[1]}]],
                          use_bin_type=True) for i in range(n)]
    sent = answered = failed = 0
    errors = {}
    t0 = time.monotonic_ns()
    while answered < n:
        if sent < n and sent - answered < window:
            k = min(n, answered + window) - sent
            pub.sock.sendall(b"".join(reqs[sent:sent + k]))
            sent += k
        data = pub.sock.recv(1 << 20)
        if not data:
            raise RuntimeError("sr-eventd closed the publisher")
        pub.unpacker.feed(data)
        for m in pub.unpacker:
            if m[0] == 1:
                answered += 1
                if m[2] is not None:
                    failed += 1
                    errors[m[2]["code"]] = errors.get(m[2]["code"], 0) + 1
    t1 = time.monotonic_ns()
    pub.close()
    return {"start_ns": t0, "end_ns": t1, "acked": n - failed, "failed": failed, "errors": errors}


def fan_publish_mqtt(where, topic, n, window, qos):
    pub = Mqtt(where, "fan-pub")
    if qos == 0:
        pkts = [mqtt_publish(topic, stamp_payload(i)[1]) for i in range(n)]
    else:
        pkts = [mqtt_publish(topic, stamp_payload(i)[1], 1, i % 65535 + 1) for i in range(n)]
    t0 = time.monotonic_ns()
    if qos == 0:
        for i in range(0, n, window):
            pub.sock.sendall(b"".join(pkts[i:i + window]))
        acked = n
    else:
        sent = acked = 0
        while acked < n:
            if sent < n and sent - acked < window:
                k = min(n, acked + window) - sent
                pub.sock.sendall(b"".join(pkts[sent:sent + k]))
                sent += k
            pub.feed()
            acked += sum(1 for t, _, _ in pub.packets() if t == 4)
    t1 = time.monotonic_ns()
    pub.close()
    return {"start_ns": t0, "end_ns": t1, "acked": acked, "failed": 0}


def fan_run(a, system, target, publish, server_pids):
    topic = "bench/fanout"
    readers = start_readers(a, system, target, topic, a.msgs_fanout)
    c0, p0 = cpu_s(server_pids), time.process_time()
    pubres = publish(topic)
    p1 = time.process_time()
    res = finish_readers(readers)
    c1 = cpu_s(server_pids)
    count = sum(r["count"] for r in res)
    last = max(r["last_ns"] or 0 for r in res)
    elapsed = (last - pubres["start_ns"]) / 1e9
    out = dict(pubres)
    out.update({"delivered": count, "gaps": sum(r["gaps"] for r in res), "expected": a.msgs_fanout * a.subs,
                "elapsed_s": elapsed, "delivered_per_s": count / elapsed if elapsed > 0 else 0,
                "published_per_s": a.msgs_fanout / ((pubres["end_ns"] - pubres["start_ns"]) / 1e9),
                "cpu_server_s": c1 - c0, "cpu_readers_s": sum(r["cpu_s"] for r in res), "cpu_publisher_s": p1 - p0})
    return out


def part_fanout(a, procs, res):
    out = res.setdefault("fanout", {})
    node = SrNode(procs, a.bin, "fan", f"127.0.0.{a.addr_base}:{a.port}")
    log(f"fan-out: sr, {a.subs} subscribers, {a.msgs_fanout} messages")
    out["sr"] = fan_run(a, "sr", node.event_sock,
                        lambda t: fan_publish_sr(node.event_sock, t, a.msgs_fanout, a.window),
                        [p.pid for p in node.procs])
    out["sr"]["stats"] = Rpc(node.event_sock).call("event.stats")
    out["sr"]["rss_kib"] = {"eventd": rss_kib(node.eventd.pid), "dhtd": rss_kib(node.dhtd.pid)}
    procs.stop(node.procs)
    mq = start_mosquitto(procs, a.mqtt_port)
    for qos, where, suffix in ((0, a.mqtt_port, ""), (1, a.mqtt_port, ""), (0, mosquitto_unix_path(a.lab), "_unix")):
        log(f"fan-out: mosquitto{' on its Unix socket' if suffix else ''}, QoS {qos} publish, "
            f"{a.subs} QoS 0 subscribers, {a.msgs_fanout} messages")
        out[f"mqtt_qos{qos}{suffix}"] = fan_run(
            a, "mqtt", where, lambda t, q=qos, w=where: fan_publish_mqtt(w, t, a.msgs_fanout, a.window, q), [mq.pid])
    out["mqtt_rss_kib"] = rss_kib(mq.pid)
    procs.stop([mq])


# ---------------------------------------------------------------- the 16-node lab

def part_lab(a, procs, res):
    out = res.setdefault("lab", {})
    rng = random.Random(a.seed)
    opts = ["--heartbeat", "0.2", "--leaf-set-size", "4", "--replicas", "3"]
    nodes = []
    # Not pinned: 32 daemons share the machine, and this process with them.
    saved_cpu, procs.server_cpu = procs.server_cpu, None
    saved_aff = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(range(os.cpu_count())))
    t0 = time.monotonic()
    try:
        for i in range(a.lab_nodes):
            join = nodes[rng.randrange(i)].addr if i else None
            nodes.append(SrNode(procs, a.bin, f"lab{i + 1}", f"127.0.0.{a.addr_base + 10 + i}:{a.port}", join,
                                opts, ["--heartbeat", "0.2", "--replicas", str(a.lab_replicas)]))
    finally:
        procs.server_cpu = saved_cpu
    log(f"lab: {a.lab_nodes} nodes up in {time.monotonic() - t0:.1f} s")
    dht = [Rpc(n.dht_sock) for n in nodes]
    ev = [Rpc(n.event_sock) for n in nodes]
    deadline = time.monotonic() + 60
    while min(r.call("dht.info")["leafset"] for r in dht) < 4:
        if time.monotonic() > deadline:
            raise RuntimeError("lab: leaf sets not full after 60 s")
        time.sleep(0.1)
    ids = [r.call("dht.info")["id"] for r in dht]
    n = len(nodes)

    # dht.get workload
    keys = []
    for i in range(a.gets):
        name, value, src = f"bench-{a.seed}-{i}", rng.randbytes(PAYLOAD), rng.randrange(n)
        dst = rng.randrange(n - 1)
        dst += dst >= src
        dht[src].call("dht.put", name=name, value=value, ttl=3600)
        keys.append((name, value, dst))

    # topics: a subscriber on one node, the publisher on another
    topics = []
    for k in range(a.topics):
        name = f"bench-lab-{a.seed}-{k}"
        s, p = rng.sample(range(n), 2)
        root = dht[0].call("dht.trace", name=name, ns="topic")["root"]["id"]
        hops = len(dht[p].call("dht.trace", name=name, ns="topic")["hops"]) - 1
        sub = Rpc(nodes[s].event_sock)
        sub.call("event.subscribe", topics=[name])
        topics.append({"name": name, "sub": s, "pub": p, "sub_rpc": sub, "pub_hops": hops,
                       "sub_is_root": ids[s] == root, "pub_is_root": ids[p] == root,
                       "sub_hops": len(dht[s].call("dht.trace", name=name, ns="topic")["hops"]) - 1})
    time.sleep(1)  # the joins up the trees

    get_us, get_found, pub_us, ack_us, get_hops = [], 0, [], [], []
    rounds = 4
    for rnd in range(rounds):
        for name, value, dst in keys[rnd::rounds]:
            t = time.perf_counter_ns()
            r = dht[dst].call("dht.get", name=name)
            get_us.append((time.perf_counter_ns() - t) / 1000)
            get_found += any(v["value"] == value for v in r["values"])
        for t in topics:
            m = a.msgs_lab // rounds
            r = lat_sr(ev[t["pub"]], t["sub_rpc"], t["name"], m, a.warm_lab if rnd == 0 else 0)
            pub_us += r["lat_us"]
            ack_us += r["ack_us"]
    for name, _, dst in keys:
        get_hops.append(len(dht[dst].call("dht.trace", name=name)["hops"]) - 1)
    out.update({"nodes": n, "get_us": get_us, "get_found": get_found, "gets": len(keys), "get_hops": get_hops,
                "pub_us": pub_us, "ack_us": ack_us,
                "topics": [{k: v for k, v in t.items() if k != "sub_rpc"} for t in topics],
                "stats": [r.call("event.stats") for r in ev]})
    procs.stop()
    os.sched_setaffinity(0, saved_aff)


# ---------------------------------------------------------------- memory

def settle_rss(pid, quiet=1.0, limit=10.0):
    """VmRSS once it has not changed for QUIET seconds (at most LIMIT)."""
    last, since, t0 = rss_kib(pid), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() - t0 < limit:
        time.sleep(0.1)
        now = rss_kib(pid)
        if now != last:
            last, since = now, time.monotonic()
    return last


def part_memory(a, procs, res):
    out = res.setdefault("memory", {})
    node = SrNode(procs, a.bin, "mem", f"127.0.0.{a.addr_base}:{a.port}")
    out["sr_idle"] = {"eventd": settle_rss(node.eventd.pid), "dhtd": settle_rss(node.dhtd.pid)}
    per_conn, chunk = 1000, 100
    conns = []
    t0 = time.monotonic()
    for c in range(a.mem_topics // per_conn):
        r = Rpc(node.event_sock)
        for base in range(0, per_conn, chunk):
            r.call("event.subscribe", topics=[f"bench/mem/{c * per_conn + i:05d}" for i in range(base, base + chunk)])
        conns.append(r)
    stats = Rpc(node.event_sock)
    deadline = time.monotonic() + 60
    while stats.call("event.stats")["topics"] < a.mem_topics and time.monotonic() < deadline:
        time.sleep(0.1)
    log(f"memory: {a.mem_topics} topics subscribed in {time.monotonic() - t0:.1f} s")
    st = stats.call("event.stats")
    out["sr_topics"] = {"eventd": settle_rss(node.eventd.pid), "dhtd": settle_rss(node.dhtd.pid),
                        "topics": st["topics"], "subscriptions": st.get("event.subscriptions"),
                        "connections": len(conns)}
    # For context: publish->deliver on one more topic beside the 10,000.
    pub, sub = Rpc(node.event_sock), Rpc(node.event_sock)
    sub.call("event.subscribe", topics=["bench/mem/probe"])
    out["sr_topics"]["lat_us"] = lat_sr(pub, sub, "bench/mem/probe", 500, 20)["lat_us"]
    for r in conns:
        r.close()
    procs.stop(node.procs)

    mq = start_mosquitto(procs, a.mqtt_port)
    out["mqtt_idle"] = settle_rss(mq.pid)
    mconns = []
    for c in range(a.mem_topics // per_conn):
        m = Mqtt(a.mqtt_port, f"mem-{c}")
        for base in range(0, per_conn, chunk):
            m.subscribe([f"bench/mem/{c * per_conn + i:05d}" for i in range(base, base + chunk)])
        mconns.append(m)
    out["mqtt_topics"] = settle_rss(mq.pid)
    for m in mconns:
        m.close()
    procs.stop([mq])


# ---------------------------------------------------------------- report

def report(res):
    lines = []
    p = lines.append
    ok = {}
    if "latency" in res:
        L = res["latency"]
        p("latency: publish->deliver, one node, one publisher and one subscriber, one message at a time (us)")
        p(f"  {'system':<34} {'n':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}   ack p50")
        names = [("sr", "sr-eventd (request, answered)"), ("sr_notify", "sr-eventd (notification)"),
                 ("paho_qos0", "mosquitto QoS 0 (paho)"), ("paho_qos1", "mosquitto QoS 1 (paho)"),
                 ("raw_qos0", "mosquitto QoS 0 (raw client)"), ("raw_qos0_unix", "mosquitto QoS 0 (raw, Unix socket)")]
        for k, label in names:
            if k not in L:
                continue
            xs = L[k]["lat_us"]
            ack = f"{pct(L[k]['ack_us'], 50):>7.0f}" if "ack_us" in L[k] else "      -"
            p(f"  {label:<34} {len(xs):>5} {pct(xs, 50):>7.0f} {pct(xs, 90):>7.0f} {pct(xs, 99):>7.0f} "
              f"{max(xs):>7.0f}   {ack}")
        # Like against like: an answered publish against QoS 1 (PUBACK), a
        # fire-and-forget one against QoS 0.
        label = dict(names)
        pairs = [("sr", "paho_qos1"), ("sr_notify", "paho_qos0"), ("sr_notify", "raw_qos0"),
                 ("sr_notify", "raw_qos0_unix"), ("sr", "paho_qos0")]
        for ours, theirs in pairs:
            if ours in L and theirs in L:
                r = pct(L[ours]["lat_us"], 50) / pct(L[theirs]["lat_us"], 50)
                p(f"  ratio p50 {label[ours]} / {label[theirs]}: {r:.2f}")
                ok[f"latency p50 {label[ours]} <= {label[theirs]}'s"] = r <= 1
        p("")
    if "fanout" in res:
        F = res["fanout"]
        p(f"fan-out: {F['sr']['expected'] // max(1, F['sr']['acked'] + F['sr']['failed'])} subscribers, "
          f"{F['sr']['acked'] + F['sr']['failed']} messages of {PAYLOAD} bytes")
        p(f"  {'system':<34} {'delivered/s':>12} {'delivered':>10} {'of':>9} {'pub/s':>8} {'s':>6} "
          f"{'cpu srv':>8} {'cpu rd':>7} {'cpu pub':>7}")
        names = [("sr", "sr-eventd (pipelined, window)"), ("mqtt_qos0", "mosquitto QoS 0 publish"),
                 ("mqtt_qos1", "mosquitto QoS 1 publish (window)"),
                 ("mqtt_qos0_unix", "mosquitto QoS 0, Unix socket")]
        for k, label in names:
            f = F[k]
            p(f"  {label:<34} {f['delivered_per_s']:>12.0f} {f['delivered']:>10} {f['expected']:>9} "
              f"{f['published_per_s']:>8.0f} {f['elapsed_s']:>6.2f} {f['cpu_server_s']:>8.2f} "
              f"{f['cpu_readers_s']:>7.2f} {f['cpu_publisher_s']:>7.2f}")
        for k, label in names[1:]:
            p(f"  ratio delivered/s sr / {label}: {F['sr']['delivered_per_s'] / F[k]['delivered_per_s']:.2f}")
        st = F["sr"].get("stats", {})
        p(f"  sr: publishes failed {F['sr']['failed']} {F['sr'].get('errors') or ''}; eventd counters: notified "
          f"{st.get('event.notified')}, queue overflows {st.get('event.queue_overflows', 0)}, gaps reported "
          f"{st.get('event.gaps_reported', 0)}")
        srv = F["sr"]
        p(f"  server CPU per delivered message: sr {1e6 * srv['cpu_server_s'] / max(1, srv['delivered']):.2f} us, "
          + ", ".join(f"{label} {1e6 * F[k]['cpu_server_s'] / max(1, F[k]['delivered']):.2f} us"
                      for k, label in names[1:]))
        for k, label in names[1:]:
            ok[f"fan-out delivered msgs/s >= {label}'s"] = srv["delivered_per_s"] >= F[k]["delivered_per_s"]
        p("")
    if "lab" in res:
        B = res["lab"]
        p(f"lab: {B['nodes']} nodes (sr-dhtd + sr-eventd each), latency in us")
        p(f"  {'operation':<34} {'n':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
        for label, xs in (("dht.get", B["get_us"]), ("event publish->deliver", B["pub_us"]),
                          ("event.publish answered", B["ack_us"])):
            p(f"  {label:<34} {len(xs):>5} {pct(xs, 50):>7.0f} {pct(xs, 90):>7.0f} {pct(xs, 99):>7.0f} {max(xs):>7.0f}")
        ratio = pct(B["pub_us"], 50) / pct(B["get_us"], 50)
        p(f"  ratio p50 publish->deliver / dht.get: {ratio:.2f}")
        gh = B["get_hops"]
        p(f"  dht.get: {B['get_found']}/{B['gets']} found; overlay hops to the root: mean {statistics.mean(gh):.2f}")
        p("  topics (publisher hops to the root / subscriber hops to the root): " +
          ", ".join(f"{t['pub_hops']}/{t['sub_hops']}" + ("R" if t["pub_is_root"] or t["sub_is_root"] else "")
                    for t in B["topics"]) + "  (R: publisher or subscriber node is the root)")
        ok["lab publish->deliver p50 <= 2 x dht.get p50"] = ratio <= 2
        p("")
    if "memory" in res:
        M = res["memory"]
        mb = lambda k: k / 1024  # noqa: E731
        p("memory (VmRSS, MB)")
        p(f"  sr-eventd idle, linked to sr-dhtd: {mb(M['sr_idle']['eventd']):.1f} (sr-dhtd {mb(M['sr_idle']['dhtd']):.1f})")
        t = M["sr_topics"]
        p(f"  sr-eventd with {t['topics']} topics, one subscriber each ({t['connections']} connections): "
          f"{mb(t['eventd']):.1f} (sr-dhtd {mb(t['dhtd']):.1f})")
        if "lat_us" in t:
            p(f"  publish->deliver p50 on one more topic beside them: {pct(t['lat_us'], 50):.0f} us "
              f"(p99 {pct(t['lat_us'], 99):.0f})")
        p(f"  mosquitto idle: {mb(M['mqtt_idle']):.1f}; with the same subscriptions: {mb(M['mqtt_topics']):.1f}")
        ok["idle sr-eventd <= 10 MB"] = M["sr_idle"]["eventd"] <= 10 * 1024
        ok["sr-eventd with 10,000 topics <= 64 MB"] = t["eventd"] <= 64 * 1024 and t["topics"] >= 10000
        p("")
    for what, good in ok.items():
        p(f"target: {what}: {'met' if good else 'NOT MET'}")
    return "\n".join(lines)


def run_main(a):
    if a.pin and (os.cpu_count() or 1) >= 2:
        a.server_cpu, a.client_cpu = a.server_cpu_n, a.client_cpu_n
        os.sched_setaffinity(0, {a.client_cpu})
    else:
        a.server_cpu = a.client_cpu = None
    procs = Procs(a.lab, a.pidfile, a.server_cpu)
    res = {"args": {k: v for k, v in vars(a).items() if k != "func"}}
    try:
        for part in a.parts.split(","):
            {"latency": part_latency, "fanout": part_fanout, "lab": part_lab, "memory": part_memory}[part](a, procs, res)
            with open(a.out, "w") as f:
                json.dump(res, f)
    finally:
        if a.client_cpu is not None:
            os.sched_setaffinity(0, set(range(os.cpu_count())))
        procs.stop()
    print(report(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True, help="directory of sr-dhtd and sr-eventd")
    r.add_argument("--lab", required=True)
    r.add_argument("--pidfile", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--parts", default="latency,fanout,lab,memory")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--msgs-latency", type=int, default=2000)
    r.add_argument("--warm", type=int, default=50)
    r.add_argument("--subs", type=int, default=50)
    r.add_argument("--readers", type=int, default=2)
    r.add_argument("--msgs-fanout", type=int, default=20000)
    r.add_argument("--window", type=int, default=32)
    r.add_argument("--lab-nodes", type=int, default=16)
    r.add_argument("--lab-replicas", type=int, default=3, help="sr-eventd --replicas in the lab")
    r.add_argument("--gets", type=int, default=400)
    r.add_argument("--topics", type=int, default=8)
    r.add_argument("--msgs-lab", type=int, default=100, help="per topic")
    r.add_argument("--warm-lab", type=int, default=5)
    r.add_argument("--mem-topics", type=int, default=10000)
    r.add_argument("--addr-base", type=int, default=20)
    r.add_argument("--port", type=int, default=4800)
    r.add_argument("--mqtt-port", type=int, default=18830)
    r.add_argument("--pin", action="store_true")
    r.add_argument("--server-cpu", dest="server_cpu_n", type=int, default=1)
    r.add_argument("--client-cpu", dest="client_cpu_n", type=int, default=0)
    r.set_defaults(func=run_main)
    r = sub.add_parser("reader")
    r.add_argument("--system", choices=("sr", "mqtt"), required=True)
    r.add_argument("--target", required=True, help="eventd.sock, or the MQTT port")
    r.add_argument("--topic", required=True)
    r.add_argument("--conns", type=int, required=True)
    r.add_argument("--expect", type=int, required=True, help="messages per connection")
    r.add_argument("--idle", type=float, default=5)
    r.add_argument("--cpu", type=int)
    r.set_defaults(func=reader_main)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    a.func(a)


if __name__ == "__main__":
    main()

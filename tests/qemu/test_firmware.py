#!/usr/bin/env python3
"""End-to-end test of the bare-metal firmware (firmware/qemu-virt) under QEMU.

Builds the firmware (unless --no-build), boots it on qemu-system-riscv32's
`virt` machine with user-mode networking forwarding 127.0.0.1:PORT to the
guest's port 80, waits for the "listening" line on the serial log, then
talks HTTP to it over real TCP. Fails on any failed check, on a "PANIC"
line in the serial log, or if QEMU exits with a non-zero status.

    python3 tests/qemu/test_firmware.py                # build, then test
    python3 tests/qemu/test_firmware.py --no-build     # test the last build
    python3 tests/qemu/test_firmware.py --target riscv32imc-unknown-none-elf

Python standard library only, and `websockets` for the wss:// check. QEMU
is always killed (by its PID) at the end, and the whole run is bounded by a
watchdog.

HTTPS: 127.0.0.1:TLS_PORT is forwarded to the guest's port 443, where the
firmware serves the same app over TLS (MbedTLS) with the certificate in
firmware/qemu-virt/certs/, which every client here trusts as its only CA.
QEMU gets a virtio-rng device (the firmware's entropy); a second, short
boot without it checks that the firmware then refuses to start TLS and
still serves HTTP.

`POST /report` makes the firmware a client: QEMU's `guestfwd` runs
tests/qemu/relay.py for each connection the guest opens to 10.0.2.100:8080
(a test server on 127.0.0.1 here), :8081 (a port nothing listens on) and
:8082 (a server that answers garbage). The guest reaches nothing else.

UDP: DNS_PORT is forwarded to the captive-portal DNS (guest port 53) and
DHCP_PORT to the DHCP server (67); the DHCP client here acts as a relay
agent (giaddr 10.0.2.2), so the replies come back to it by unicast.
MDNS_PORT is forwarded to the mDNS responder (5353): a query from any
other port is a legacy unicast query (RFC 6762 §6.7), answered to it.

Throughput: BENCH_PORT is forwarded to guest port 8081, a hand-written
fixed responder on the same stack (firmware/qemu-virt/src/bench.rs);
tests/qemu/throughput.py times keep-alive `GET /status` on both in this
boot, and the table is printed at the end and written to
target/qemu-virt/throughput.md (footprint/report.sh prints it again).

The firmware has 4 connection slots, and smoltcp has no listen backlog: a
fifth simultaneous connection is reset. The checks never hold more than 3
connections at once.
"""

import argparse
import asyncio
import base64
import gzip
import hashlib
import http.client
import http.server
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import throughput  # tests/qemu/throughput.py, next to this file

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware" / "qemu-virt"
BIN_NAME = "ferrodot-qemu-virt"
DEFAULT_TARGET = "riscv32imac-unknown-none-elf"

READY_TIMEOUT_S = 30  # QEMU launch -> "listening" (about 0.1 s in practice)
IO_TIMEOUT_S = 10  # any one socket operation
WATCHDOG_S = 240  # the whole run after boot; QEMU is killed when it fires
HEAD_TIMEOUT_S = 2.0  # the firmware's Timeouts::head_ms


# --------------------------------------------------------------- helpers


class CheckFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def build(target):
    """cargo build --release; returns the ELF path cargo reports."""
    cmd = ["cargo", "build", "--release", "--message-format=json-render-diagnostics"]
    if target != DEFAULT_TARGET:
        cmd += ["--target", target]
    print("building:", " ".join(cmd), f"(in {FIRMWARE.relative_to(ROOT)})", flush=True)
    proc = subprocess.run(cmd, cwd=FIRMWARE, stdout=subprocess.PIPE, text=True, timeout=1800)
    elf = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == BIN_NAME:
            elf = msg.get("executable") or elf
    if proc.returncode != 0 or not elf:
        sys.exit(f"firmware build failed (status {proc.returncode})")
    return Path(elf).resolve()


def default_elf(target):
    # .cargo/config.toml puts the build in the repository's target dir.
    target_dir = os.environ.get("CARGO_TARGET_DIR")
    base = (FIRMWARE / target_dir) if target_dir else ROOT / "target"
    return base / target / "release" / BIN_NAME


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Qemu:
    """qemu-system-riscv32 running the firmware, serial output in a file."""

    def __init__(self, qemu, elf, port, workdir, guestfwd=(), tls_port=None, rng=True, bench_port=None):
        self.log_path = Path(workdir) / "uart.log"
        self.out_path = Path(workdir) / "qemu.out"
        self.port = port
        tls = f",hostfwd=tcp:127.0.0.1:{tls_port}-:443" if tls_port else ""
        bench = f",hostfwd=tcp:127.0.0.1:{bench_port}-:8081" if bench_port else ""
        # The entropy device TLS needs (the host's /dev/urandom).
        entropy = ["-object", "rng-random,filename=/dev/urandom,id=rng0", "-device", "virtio-rng-device,rng=rng0"] if rng else []
        # Each guest address:port is joined to a port on 127.0.0.1 by a
        # relay process that QEMU starts per connection.
        relay = ROOT / "tests" / "qemu" / "relay.py"
        forwards = "".join(f",guestfwd=tcp:{addr}-cmd:{sys.executable} {relay} {host_port}" for addr, host_port in guestfwd)
        cmd = [
            qemu, "-M", "virt", "-m", "16M", "-smp", "1", "-bios", "none",
            "-display", "none", "-monitor", "none",
            "-serial", f"file:{self.log_path}",
            "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:80{tls}{bench},hostfwd=udp:127.0.0.1:{DNS_PORT}-:53,hostfwd=udp:127.0.0.1:{DHCP_PORT}-:67,hostfwd=udp:127.0.0.1:{MDNS_PORT}-:5353{forwards}",
            "-device", "virtio-net-device,netdev=n0",
            *entropy,
            "-kernel", str(elf),
        ]
        self.out = open(self.out_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT)
        self.killed = False

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if "PANIC" in text:
                raise CheckFailed("firmware panicked while booting")
            if "listening" in text:
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                raise CheckFailed(f"QEMU exited during boot with status {self.proc.returncode}")
            time.sleep(0.01)
        raise CheckFailed(f"no 'listening' line on the serial log within {timeout} s")

    def stop(self):
        """Kill QEMU by its PID (if it still runs); returns its own exit status, or None if we killed it."""
        status = self.proc.poll()
        if status is None and "PANIC" in self.log():
            # The firmware is on its way out through the sifive_test device.
            try:
                status = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        if status is None:
            self.killed = True
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.out.close()
        return None if self.killed else status


def connect(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT_S)


def request(port, method, path, body=None, headers=None):
    """One request on a fresh connection; returns (response, body bytes)."""
    conn = connect(port)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def get_json(port, path, method="GET"):
    resp, body = request(port, method, path)
    expect(resp.status == 200, f"{method} {path}: status {resp.status}, want 200")
    ctype = resp.getheader("Content-Type", "")
    expect(ctype.startswith("application/json"), f"{method} {path}: Content-Type {ctype!r}")
    try:
        return json.loads(body)
    except ValueError:
        raise CheckFailed(f"{method} {path}: body is not JSON: {body[:80]!r}")


def raw_exchange(port, data, read_timeout=IO_TIMEOUT_S):
    """Send raw bytes, read until the server closes; returns what was read."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(data)
        s.settimeout(read_timeout)
        return read_to_close(s)


def settle():
    """Let the slots of connections just closed listen again.

    A slot listens again only once its connection has finished closing
    (FIN exchanged: a few ms through QEMU's user networking). smoltcp has
    no listen backlog, so a connection arriving while no slot listens is
    reset. Checks that close several connections at once leave this much
    time before the next check.
    """
    time.sleep(0.3)


def read_to_close(s):
    got = b""
    while True:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            break  # a reset after the answer still counts as closed
        if not chunk:
            break
        got += chunk
    return got


def status_line(raw):
    line = raw.split(b"\r\n", 1)[0].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", line)
    return (int(m.group(1)) if m else None), line


# ---------------------------------------------------------------- checks


def check_status_advances(port):
    first = get_json(port, "/status")
    expect(set(first) == {"frames", "triggers"}, f"/status keys {sorted(first)}")
    time.sleep(0.6)  # the camera ticks every 100 ms
    second = get_json(port, "/status")
    expect(second["frames"] > first["frames"], f"frames did not advance: {first['frames']} -> {second['frames']}")
    return f"frames {first['frames']} -> {second['frames']}"


def check_trigger(port):
    before = get_json(port, "/status")["triggers"]
    after = get_json(port, "/trigger", method="POST")["triggers"]
    expect(after == before + 1, f"POST /trigger: triggers {before} -> {after}")
    seen = get_json(port, "/status")["triggers"]
    expect(seen == after, f"/status after trigger shows {seen}, want {after}")
    return f"triggers {before} -> {after}"


def check_keep_alive(port):
    conn = connect(port)
    try:
        sock = None
        plan = [
            ("GET", "/status", None, 200),
            ("POST", "/trigger", None, 200),
            ("GET", "/config", None, 200),
            ("GET", "/files/a/b.txt", None, 200),
            ("GET", "/nowhere", None, 404),
            ("PUT", "/config", b'{"interval_ms":100}', 200),
            ("GET", "/status", None, 200),
        ]
        for i, (method, path, body, want) in enumerate(plan):
            headers = {"Content-Type": "application/json"} if body else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            expect(resp.status == want, f"request {i} {method} {path}: status {resp.status}, want {want}")
            expect(not resp.will_close, f"request {i} {method} {path}: server closed the connection")
            if path == "/files/a/b.txt":
                expect(data == b"a/b.txt", f"/files/a/b.txt body {data!r}")
            if sock is None:
                sock = conn.sock
            expect(conn.sock is sock, f"request {i}: a new connection was opened")
        return f"{len(plan)} requests on one connection"
    finally:
        conn.close()


BENCH_PORT = None  # set in main()
THROUGHPUT = []  # the table's lines, once measured


def throughput_file():
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "qemu-virt" / "throughput.md"


def check_throughput(port):
    """Keep-alive GET /status req/s, ferrodot vs the hand-written responder.
    Fails only on a wrong answer; the figures are printed, never judged."""
    try:
        ratio, THROUGHPUT[:] = throughput.measure(port, BENCH_PORT)
    except throughput.BadResponse as e:
        raise CheckFailed(str(e))
    out = throughput_file()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(THROUGHPUT) + "\n")
    return f"ratio {ratio:.2f}, target >= {throughput.TARGET} (table below, and in {out})"


ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "apps", "camera", "assets")


def check_index(port):
    """GET /: the dashboard from the asset table in flash, identity and gzip."""
    with open(os.path.join(ASSETS, "index.html"), "rb") as f:
        page = f.read()
    resp, body = request(port, "GET", "/")
    expect(resp.status == 200, f"GET /: status {resp.status}")
    ctype = resp.getheader("Content-Type", "")
    expect(ctype.startswith("text/html"), f"GET /: Content-Type {ctype!r}")
    expect(body == page, f"GET /: not assets/index.html: {body[:120]!r}")
    etag = resp.getheader("ETag", "")
    resp, gz = request(port, "GET", "/", headers={"Accept-Encoding": "gzip"})
    expect(resp.getheader("Content-Encoding") == "gzip", "GET / with gzip accepted: not gzip")
    expect(gzip.decompress(gz) == page, "GET /: the gzip copy does not inflate to the page")
    expect(len(gz) < len(page), f"gzip copy {len(gz)} B, page {len(page)} B")
    resp, body = request(port, "GET", "/", headers={"If-None-Match": etag})
    expect(resp.status == 304 and body == b"", f"If-None-Match: status {resp.status}, want 304")
    resp, body = request(port, "GET", "/static/app.js", headers={"Range": "bytes=0-9"})
    expect(resp.status == 206 and len(body) == 10, f"Range: status {resp.status}, {len(body)} B")
    return f"dashboard {len(page)} B, gzip {len(gz)} B, 304 and 206"


def check_openapi(port):
    """GET /openapi.json and /docs: the committed document, gzipped in flash."""
    with open(os.path.join(ASSETS, "openapi.json"), "rb") as f:
        committed = json.loads(f.read())
    resp, gz = request(port, "GET", "/openapi.json", headers={"Accept-Encoding": "gzip"})
    expect(resp.status == 200, f"GET /openapi.json: status {resp.status}")
    expect(resp.getheader("Content-Encoding") == "gzip", "GET /openapi.json: not gzip")
    doc = json.loads(gzip.decompress(gz))
    expect(doc == committed, "GET /openapi.json: not assets/openapi.json")
    for path in ("/status", "/setup", "/captive-portal"):
        expect(path in doc["paths"], f"the document lacks {path}, which the firmware serves")
    resp, page = request(port, "GET", "/docs")
    expect(resp.status == 200 and b"/static/docs.js" in page, f"GET /docs: status {resp.status}")
    return f"{len(doc['paths'])} paths, {len(gz)} B gzip"


def check_not_found(port):
    resp, _ = request(port, "GET", "/no/such/page")
    expect(resp.status == 404, f"status {resp.status}, want 404")
    return "404"


def check_method_not_allowed(port):
    resp, _ = request(port, "DELETE", "/status")
    expect(resp.status == 405, f"status {resp.status}, want 405")
    allow = resp.getheader("Allow", "")
    methods = {m.strip() for m in allow.split(",")}
    expect("GET" in methods, f"Allow {allow!r} does not list GET")
    expect("DELETE" not in methods, f"Allow {allow!r} lists DELETE")
    return f"405, Allow: {allow}"


def check_malformed(port):
    raw = raw_exchange(port, b"GET /status HTTP/1.1\r\nHost: x\r\nthis line has no colon\r\n\r\n")
    code, line = status_line(raw)
    expect(code == 400, f"answer {line!r}, want 400")
    raw = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
    code, line = status_line(raw)
    expect(code == 400, f"binary garbage: answer {line!r}, want 400")
    return "400 for a bad header line and for binary garbage"


def check_oversized_head(port):
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Filler-%02d: %s\r\n" % (i, b"a" * 200) for i in range(20)) + b"\r\n"
    raw = raw_exchange(port, head)
    code, line = status_line(raw)
    expect(code == 431, f"{len(head)}-byte head: answer {line!r}, want 431")
    return f"431 for a {len(head)}-byte head"


def check_silent_connection(port):
    """A client that sends half a head and goes quiet gets 408 when the head
    deadline passes, and holds only its own slot meanwhile."""
    silent = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S)
    try:
        silent.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        # Meanwhile the other slots serve new connections.
        served = 0
        while time.monotonic() - started < HEAD_TIMEOUT_S * 0.6:
            get_json(port, "/status")
            served += 1
            time.sleep(0.05)  # no need to churn connections (slirp slows down after thousands)
        expect(served >= 1, "no request served while a connection was silent")
        silent.settimeout(HEAD_TIMEOUT_S + IO_TIMEOUT_S)
        raw = read_to_close(silent)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    code, line = status_line(raw)
    expect(code == 408, f"silent connection: answer {line!r}, want 408 then close")
    expect(elapsed >= HEAD_TIMEOUT_S * 0.75, f"408 after {elapsed:.2f} s, before the {HEAD_TIMEOUT_S} s deadline")
    expect(elapsed <= HEAD_TIMEOUT_S + 5, f"408 only after {elapsed:.2f} s")
    # And the slot is back in service.
    get_json(port, "/status")
    return f"408 and closed after {elapsed:.2f} s; {served} requests served meanwhile"


def check_sse(port):
    """GET /events: server-sent status events, pushed as the camera ticks."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        got = b""
        while got.count(b"\ndata:") < 3:
            chunk = s.recv(4096)
            expect(chunk, f"stream ended early: {got[:200]!r}")
            got += chunk
    code, line = status_line(got)
    expect(code == 200, f"answer {line!r}, want 200")
    head, _, stream = got.partition(b"\r\n\r\n")
    expect(b"text/event-stream" in head.lower(), f"head {head!r}")
    events = [json.loads(line[5:]) for line in stream.split(b"\n") if line.startswith(b"data:")]
    frames = [e["frames"] for e in events]
    expect(frames == sorted(frames) and frames[-1] > frames[0], f"frames {frames} do not advance")
    # The light sensor (the page shows it from these events).
    lights = [e["light"] for e in events]
    expect(all(112 <= light <= 912 for light in lights), f"light {lights} outside 112..=912")
    time.sleep(0.3)  # the slot notices the close at its next event
    return f"events with frames {frames[:3]}"


def ws_frame(opcode, payload):
    """A masked client frame (payloads under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def ws_read_frame(s, buf):
    """Read one server frame; returns (opcode, payload, rest of buf)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = s.recv(4096)
            expect(chunk, "connection closed inside a WebSocket frame")
            buf += chunk
    need(2)
    opcode, length = buf[0] & 0x0F, buf[1] & 0x7F
    expect(buf[1] & 0x80 == 0, "server frame is masked")
    at = 2
    if length == 126:
        need(4)
        length, at = int.from_bytes(buf[2:4], "big"), 4
    elif length == 127:
        need(10)
        length, at = int.from_bytes(buf[2:10], "big"), 10
    need(at + length)
    return opcode, buf[at : at + length], buf[at + length :]


def ws_open(s):
    """The WebSocket handshake for /ws on socket `s`; returns the bytes read
    after the 101's head."""
    key = base64.b64encode(os.urandom(16)).decode()
    want_accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    s.sendall(
        (
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        expect(chunk, f"closed during the handshake: {buf!r}")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    code, line = status_line(head)
    expect(code == 101, f"answer {line!r}, want 101")
    fields = dict(
        (name.strip().lower(), value.strip())
        for name, _, value in (line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:])
    )
    accept = fields.get("sec-websocket-accept")
    expect(accept == want_accept, f"Sec-WebSocket-Accept {accept!r}, want {want_accept!r}")
    return buf


def ws_frames(s, buf, n):
    """Read `n` status messages; returns their frame counters and the rest."""
    frames = []
    while len(frames) < n:
        opcode, payload, buf = ws_read_frame(s, buf)
        expect(opcode == 1, f"opcode {opcode}, want a text message")
        frames.append(json.loads(payload)["frames"])
    expect(frames == sorted(frames) and frames[-1] > frames[0], f"frames {frames} do not advance")
    return frames, buf


def ws_close(s, buf):
    """The close handshake, then the server closes the TCP connection."""
    s.sendall(ws_frame(0x8, (1000).to_bytes(2, "big")))
    while True:  # updates may still arrive before the close reply
        opcode, payload, buf = ws_read_frame(s, buf)
        if opcode == 0x8:
            break
    expect(payload[:2] == (1000).to_bytes(2, "big"), f"close reply {payload!r}")
    expect(read_to_close(s) == b"", "data after the close frame")


def check_websocket(port):
    """GET /ws: handshake, live status as text messages, close handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as s:
        buf = ws_open(s)
        frames, buf = ws_frames(s, buf, 3)
        ws_close(s, buf)
    return f"messages with frames {frames}, clean close"


def idle_sockets(port, n):
    """`n` connections that never send a byte, opened one after another
    (QEMU's user networking takes host connections with a backlog of one)."""
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S))
        time.sleep(0.15)
    return socks


def timed_status(port, limit):
    started = time.monotonic()
    get_json(port, "/status")
    took = time.monotonic() - started
    expect(took < limit, f"GET /status took {took:.2f} s with the slots full of idle sockets")
    return took


def check_idle_sockets(port):
    """As many idle sockets as slots (browsers' preconnects): the longest
    idle makes room, so a client is answered within 2 s; then a WebSocket
    that stays open is not evicted by later idle sockets."""
    socks = []
    try:
        socks += idle_sockets(port, 4)
        first = timed_status(port, 2.0)
        with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as ws:
            buf = ws_open(ws)
            _, buf = ws_frames(ws, buf, 2)
            socks += idle_sockets(port, 4)
            second = timed_status(port, 2.0)
            frames, buf = ws_frames(ws, buf, 3)
            ws_close(ws, buf)
    finally:
        for s in socks:
            s.close()
    settle()
    return f"served in {first:.2f} s and {second:.2f} s; WebSocket kept (frames {frames})"


def check_concurrent(port):
    """Three keep-alive connections at once, requests interleaved."""
    conns = [connect(port) for _ in range(3)]
    try:
        # Open them one after another, each with a first request: QEMU's
        # user networking accepts host connections with a backlog of one,
        # so a burst of connects costs a 1 s SYN retry.
        for i, c in enumerate(conns):
            c.request("GET", "/status")
            resp = c.getresponse()
            resp.read()
            expect(resp.status == 200, f"connection {i}, first request: status {resp.status}")
        for round_ in range(1, 4):
            for c in conns:
                c.request("GET", "/status")
            for i, c in enumerate(conns):
                resp = c.getresponse()
                data = resp.read()
                expect(resp.status == 200, f"connection {i}, round {round_}: status {resp.status}")
                json.loads(data)
        return "3 connections open at once, 4 requests each"
    finally:
        for c in conns:
            c.close()


class Ingest(http.server.BaseHTTPRequestHandler):
    """The server the firmware reports to: `POST /ingest` -> 201."""

    protocol_version = "HTTP/1.1"
    bodies = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        Ingest.bodies.append((self.path, self.headers.get("Content-Type"), self.rfile.read(length)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start_ingest():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_garbage():
    """Reads a request, answers bytes that are not HTTP, closes; forever."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        while True:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(IO_TIMEOUT_S)
                try:
                    conn.recv(4096)
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
                except OSError:
                    pass

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The guest's view: 10.0.2.100:PORT -> what it reaches on 127.0.0.1.
INGEST = start_ingest()
GUESTFWD = [("10.0.2.100:8080", INGEST.server_address[1]), ("10.0.2.100:8081", closed_port()), ("10.0.2.100:8082", start_garbage())]


def post_report(port, target):
    resp, body = request(port, "POST", "/report", json.dumps(target).encode(), {"Content-Type": "application/json"})
    try:
        return resp.status, json.loads(body)
    except ValueError:
        raise CheckFailed(f"/report: body is not JSON: {body[:80]!r}")


def check_report(port):
    Ingest.bodies = []
    for i in range(2):
        status, reply = post_report(port, {"host": "10.0.2.100", "port": 8080, "path": "/ingest"})
        expect((status, reply) == (200, {"status": 201}), f"report {i}: {status} {reply}")
    expect(len(Ingest.bodies) == 2, f"the test server got {len(Ingest.bodies)} reports, want 2")
    path, kind, body = Ingest.bodies[-1]
    expect((path, kind) == ("/ingest", "application/json"), f"got {path} {kind}")
    sent = json.loads(body)
    expect(set(sent) == {"frames", "triggers"} and sent["frames"] > 0, f"status sent: {sent}")
    status, reply = post_report(port, {"host": "10.0.2.100", "port": 8081, "path": "/ingest"})
    expect(status == 502 and "error" in reply, f"unreachable server: {status} {reply}")
    status, reply = post_report(port, {"host": "10.0.2.100", "port": 8082, "path": "/ingest"})
    expect(status == 502 and "HTTP" in reply.get("error", ""), f"garbage server: {status} {reply}")
    status, reply = post_report(port, {"host": "example.com", "port": 8080, "path": "/ingest"})
    expect(status == 502 and "IPv4" in reply.get("error", ""), f"a name: {status} {reply}")
    # The device still reports after the failures.
    status, reply = post_report(port, {"host": "10.0.2.100", "port": 8080, "path": "/ingest"})
    expect((status, reply) == (200, {"status": 201}), f"after the failures: {status} {reply}")
    return f"2 reports delivered ({sent}); 502 for a closed port, garbage and a host name"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The firmware's DNS responder (UDP 53) is forwarded from this host port.
DNS_PORT = free_udp_port()


def dns_query(name, qtype, qid=0x1234):
    q = qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + qtype.to_bytes(2, "big") + b"\x00\x01"


def udp_exchange(port, payload, timeout=3.0):
    """One datagram to a forwarded guest port on 127.0.0.1, and its reply (None after `timeout`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recv(2048)
        except socket.timeout:
            return None


def udp_first_reply(port, payload):
    """`udp_exchange`, tried up to five times: QEMU's user network may drop
    the first datagram while it sets up the forward."""
    for _ in range(5):
        reply = udp_exchange(port, payload)
        if reply:
            return reply
    return None


def check_dns(port):
    reply = udp_first_reply(DNS_PORT, dns_query("connectivitycheck.gstatic.com", 1))
    expect(reply is not None, f"no DNS reply on udp 127.0.0.1:{DNS_PORT}")
    expect(reply[:2] == b"\x12\x34" and reply[3] & 0x0F == 0, f"A reply header {reply[:4].hex()}")
    expect(reply[6:8] == b"\x00\x01" and reply[-4:] == bytes([10, 0, 2, 15]), f"A reply {reply.hex()}")
    aaaa = udp_exchange(DNS_PORT, dns_query("captive.apple.com", 28))
    expect(aaaa is not None and aaaa[3] & 0x0F == 0 and aaaa[6:8] == b"\x00\x00", "AAAA: NOERROR, no answer")
    mx = udp_exchange(DNS_PORT, dns_query("example.com", 15))
    expect(mx is not None and mx[3] & 0x0F == 4, "MX: NOTIMP")
    expect(udp_exchange(DNS_PORT, b"\x00\x01\x02", timeout=1) is None, "a 3-byte packet was answered")
    return "A -> 10.0.2.15, AAAA empty NOERROR, MX NOTIMP, garbage dropped"


# The firmware's mDNS responder (UDP 5353) is forwarded from this host port.
MDNS_PORT = free_udp_port()


def check_mdns(port):
    # A unicast query from an ephemeral port (RFC 6762 §5.5, §6.7): the
    # answer comes back to it.
    reply = udp_first_reply(MDNS_PORT, dns_query("camera.local", 1, qid=0x4D44))
    expect(reply is not None, f"no mDNS reply on udp 127.0.0.1:{MDNS_PORT}")
    expect(reply[:2] == b"\x4d\x44" and reply[2] & 0x84 == 0x84, f"header {reply[:4].hex()}: want our id, QR and AA")
    expect(reply[3] & 0x0F == 0 and reply[6:8] == b"\x00\x01", f"A reply {reply.hex()}")
    expect(reply[-4:] == bytes([10, 0, 2, 15]), f"camera.local A: {reply[-4:].hex()}, want 10.0.2.15")
    ptr = udp_exchange(MDNS_PORT, dns_query("_http._tcp.local", 12, qid=0x4D45))
    expect(ptr is not None and ptr[6:8] == b"\x00\x01" and b"camera" in ptr, f"_http._tcp PTR: {ptr!r}")
    expect(udp_exchange(MDNS_PORT, dns_query("printer.local", 1), timeout=1) is None, "printer.local was answered")
    return "camera.local A -> 10.0.2.15, _http._tcp PTR, other names silent"


# The firmware's DHCP server (UDP 67) is forwarded from this host port. The
# test client acts as a relay agent at giaddr = 10.0.2.2, the host as the
# guest sees it (QEMU's forward rewrites 127.0.0.1 to it): the firmware
# sends relayed replies to the relay that sent the request, at its port.
DHCP_PORT = free_udp_port()
DHCP_MAGIC = b"\x63\x82\x53\x63"


def dhcp_packet(kind, mac, xid, options=b""):
    head = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1, 1, 6, 1, xid, 0, 0, bytes(4), bytes(4), bytes(4), bytes([10, 0, 2, 2]),
        mac.ljust(16, b"\0"), b"", b"",
    )
    return head + DHCP_MAGIC + bytes([53, 1, kind]) + options + b"\xff"


def dhcp_options(reply):
    expect(len(reply) >= 240 and reply[236:240] == DHCP_MAGIC, f"not a DHCP reply: {reply[:16].hex()}")
    options, at = {}, 240
    while at < len(reply) and reply[at] != 255:
        if reply[at] == 0:
            at += 1
            continue
        options[reply[at]] = reply[at + 2 : at + 2 + reply[at + 1]]
        at += 2 + reply[at + 1]
    return options


def check_dhcp(port):
    mac = bytes([2, 0, 0, 0, 0, 0x42])
    # Retried like DNS (the same MAC gets the same offer).
    offer = udp_first_reply(DHCP_PORT, dhcp_packet(1, mac, 0xF00D))
    expect(offer is not None, f"no DHCP OFFER on udp 127.0.0.1:{DHCP_PORT}")
    expect(offer[0] == 2 and offer[4:8] == b"\x00\x00\xf0\x0d" and offer[28:34] == mac, f"OFFER header {offer[:34].hex()}")
    expect(offer[24:28] == bytes([10, 0, 2, 2]), f"OFFER giaddr {offer[24:28].hex()}")
    options = dhcp_options(offer)
    yiaddr = offer[16:20]
    expect(options.get(53) == b"\x02", f"not an OFFER: {options.get(53)}")
    expect(yiaddr[:3] == bytes([10, 0, 2]) and 200 <= yiaddr[3] < 208, f"yiaddr {list(yiaddr)}")
    expect(options.get(54) == bytes([10, 0, 2, 15]) and options.get(3) == bytes([10, 0, 2, 15]), "server id, router")
    expect(options.get(6) == bytes([10, 0, 2, 15]), f"DNS server {options.get(6)}")
    expect(options.get(114) == b"http://10.0.2.15/captive-portal", f"option 114 {options.get(114)}")
    request = bytes([50, 4]) + yiaddr + bytes([54, 4, 10, 0, 2, 15])
    ack = udp_exchange(DHCP_PORT, dhcp_packet(3, mac, 0xF00E, request))
    expect(ack is not None, "no DHCP ACK")
    options = dhcp_options(ack)
    expect(options.get(53) == b"\x05" and ack[16:20] == yiaddr, f"ACK {options.get(53)} {list(ack[16:20])}")
    expect(struct.unpack("!I", options.get(51, bytes(4)))[0] == 3600, "lease time")
    expect(udp_exchange(DHCP_PORT, b"\x01\x01\x06", timeout=1) is None, "a 3-byte packet was answered")
    addr = ".".join(map(str, yiaddr))
    return f"OFFER then ACK of {addr} through a relay, option 114 = http://10.0.2.15/captive-portal, garbage dropped"

# ------------------------------------------------------------ HTTPS (443)
#
# The firmware serves the same app over TLS (MbedTLS) on guest port 443,
# forwarded from TLS_PORT. The certificate is the one compiled into the
# image; every client trusts it as its CA (no -k, no unverified context).

CERT = FIRMWARE / "certs" / "cert.pem"
TLS_PORT = None  # set in main()
QEMU = None  # the running Qemu, for its serial log
HANDSHAKE_TIMEOUT_S = 10  # firmware/qemu-virt/src/tls.rs


def tls_context():
    ctx = ssl.create_default_context(cafile=str(CERT))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def tls_connect():
    return http.client.HTTPSConnection("127.0.0.1", TLS_PORT, timeout=IO_TIMEOUT_S, context=tls_context())


def tls_request(method, path, body=None, headers=None):
    conn = tls_connect()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def tls_json(method, path):
    resp, body = tls_request(method, path)
    expect(resp.status == 200, f"https {method} {path}: status {resp.status}, want 200")
    return json.loads(body)


def handshakes_logged():
    return len(re.findall(r"tls: handshake \d+ ms", QEMU.log()))


def curl_https(path, *extra):
    """curl with the firmware's certificate as the only CA; returns (body,
    handshake seconds as curl measured them)."""
    cmd = ["curl", "-sS", "--max-time", str(IO_TIMEOUT_S), "--cacert", str(CERT), *extra,
           "-w", "\n%{time_connect} %{time_appconnect}", f"https://127.0.0.1:{TLS_PORT}{path}"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=IO_TIMEOUT_S + 5)
    expect(proc.returncode == 0, f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}")
    body, _, times = proc.stdout.rpartition("\n")
    connect_s, appconnect_s = (float(t) for t in times.split())
    return body, appconnect_s - connect_s


def check_https_curl(port):
    """curl --cacert (no -k): TLS 1.3 and TLS 1.2, the certificate verified."""
    body, t13 = curl_https("/status")
    status = json.loads(body)
    expect(set(status) == {"frames", "triggers"}, f"https /status: {body!r}")
    body, t12 = curl_https("/status", "--tlsv1.2", "--tls-max", "1.2")
    expect(json.loads(body).keys() == status.keys(), f"https /status over TLS 1.2: {body!r}")
    return f"handshake (curl) TLS 1.3 {t13 * 1000:.0f} ms, TLS 1.2 {t12 * 1000:.0f} ms"


def check_https_keep_alive(port):
    """20 requests over one TLS connection, one handshake for all of them."""
    before = handshakes_logged()
    conn = tls_connect()
    try:
        sock = None
        for i in range(20):
            conn.request("GET", "/status")
            resp = conn.getresponse()
            data = resp.read()
            expect(resp.status == 200, f"request {i}: status {resp.status}")
            expect(json.loads(data).keys() == {"frames", "triggers"}, f"request {i}: body {data!r}")
            expect(not resp.will_close, f"request {i}: server closed the connection")
            if sock is None:
                sock = conn.sock
                expect(sock.version() in ("TLSv1.3", "TLSv1.2"), f"version {sock.version()}")
                expect(sock.selected_alpn_protocol() == "http/1.1", f"ALPN {sock.selected_alpn_protocol()!r}")
            expect(conn.sock is sock, f"request {i}: a new connection was opened")
        version = sock.version()
    finally:
        conn.close()
    time.sleep(0.2)  # the log line comes with the handshake; let it land
    new = handshakes_logged() - before
    expect(new == 1, f"{new} handshakes logged for one connection, want 1")
    return f"20 requests, 1 handshake, {version}, ALPN http/1.1"


def check_https_trigger(port):
    before = tls_json("GET", "/status")["triggers"]
    after = tls_json("POST", "/trigger")["triggers"]
    expect(after == before + 1, f"https POST /trigger: triggers {before} -> {after}")
    seen = get_json(port, "/status")["triggers"]  # the same app on port 80
    expect(seen == after, f"http /status after the https trigger shows {seen}, want {after}")
    return f"triggers {before} -> {after}, seen on port 80 too"


def check_wss(port):
    """wss:// to /ws with Python websockets: live status messages, clean close."""
    from websockets.sync.client import connect as ws_connect

    frames = []
    with ws_connect(f"wss://127.0.0.1:{TLS_PORT}/ws", ssl=tls_context(), open_timeout=IO_TIMEOUT_S,
                    close_timeout=IO_TIMEOUT_S) as ws:
        while len(frames) < 3:
            message = ws.recv(timeout=IO_TIMEOUT_S)
            expect(isinstance(message, str), f"binary message {message!r}")
            frames.append(json.loads(message)["frames"])
    expect(frames == sorted(frames) and frames[-1] > frames[0], f"frames {frames} do not advance")
    return f"messages with frames {frames}, clean close"


def check_tls_connection_limit(port):
    """Two TLS connections at once (the firmware's limit, and what its heap
    is sized for) both work; a third finds no listening socket and is
    refused; once they close, HTTPS is served again."""
    refusals = len(re.findall(r"tls: connection refused", QEMU.log()))
    conns = []
    try:
        for i in range(2):
            conn = tls_connect()
            conn.request("GET", "/status")
            resp = conn.getresponse()
            expect(resp.status == 200, f"connection {i}: status {resp.status}")
            resp.read()
            conns.append(conn)
        try:
            extra = tls_connect()
            extra.request("GET", "/status")
            third = f"served ({extra.getresponse().status})"
            extra.close()
        except (ssl.SSLError, ConnectionError, socket.timeout) as e:
            third = f"refused ({type(e).__name__})"
        expect(third.startswith("refused"), f"a third TLS connection was {third}, want refused")
        for i, conn in enumerate(conns):  # both still work, after the refusal
            conn.request("GET", "/status")
            resp = conn.getresponse()
            expect(resp.status == 200, f"connection {i}, second request: status {resp.status}")
            resp.read()
    finally:
        for conn in conns:
            conn.close()
    settle()
    tls_json("GET", "/status")
    new = len(re.findall(r"tls: connection refused", QEMU.log())) - refusals
    expect(new == 0, f"the firmware refused {new} of the two connections (out of heap?)")
    return f"2 at once served, the third {third}, served again after"


def check_plain_http_on_tls_port(port):
    """A plain HTTP request on the TLS port: nginx's 400 (or a close), and
    HTTPS works afterwards."""
    raw = raw_exchange(TLS_PORT, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
    code, line = status_line(raw)
    expect(raw == b"" or code == 400, f"answer {line!r}, want 400 or a close")
    settle()
    tls_json("GET", "/status")
    return f"{line!r}, then HTTPS served" if raw else "closed, then HTTPS served"


def check_tls_garbage(port):
    """Random bytes, and a handshake record full of garbage, instead of a
    ClientHello: the connection is closed, nothing crashes, HTTPS goes on."""
    rnd = os.urandom(512)
    garbage = [
        b"\x00" + rnd[:300],  # not a TLS record type
        b"\x16\x03\x01\x01\x00" + rnd[:256],  # a handshake record of random bytes
        b"\x16\x03\x01\xff\xff" + rnd,  # a record longer than what is sent (closed by us)
    ]
    for data in garbage:
        with socket.create_connection(("127.0.0.1", TLS_PORT), timeout=IO_TIMEOUT_S) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(IO_TIMEOUT_S)
            read_to_close(s)
        settle()
    tls_json("GET", "/status")
    refused = len(re.findall(r"tls: connection refused", QEMU.log()))
    return f"{len(garbage)} garbage openings closed ({refused} refusals logged), HTTPS still served"


def client_hello():
    """A real ClientHello (Python's, for 127.0.0.1), as bytes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = tls_context().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def closed_within(s, seconds):
    """Whether the server closes `s` within `seconds`; the time it took."""
    start = time.monotonic()
    s.settimeout(seconds)
    try:
        read_to_close(s)
    except socket.timeout:
        return False, time.monotonic() - start
    return True, time.monotonic() - start


def check_tls_stall(port):
    """A client that stops halfway through its ClientHello is closed at the
    handshake time-out (10 s); one that never sends a byte is closed at once
    when it holds the last free TLS slot; HTTP is served meanwhile."""
    hello = client_hello()
    with socket.create_connection(("127.0.0.1", TLS_PORT), timeout=IO_TIMEOUT_S) as silent:
        # QEMU connects to the guest after it has accepted us: let the silent
        # one reach the firmware first, so it is the older of the two.
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", TLS_PORT), timeout=IO_TIMEOUT_S) as stalled:
            stalled.sendall(hello[: len(hello) // 2])
            opened = time.monotonic()
            closed, took = closed_within(silent, 3)
            expect(closed, "the silent client holding a slot was not closed when the other slot was taken")
            served = 0
            while time.monotonic() - opened < HANDSHAKE_TIMEOUT_S - 2:
                get_json(port, "/status")
                served += 1
                time.sleep(0.5)
            closed, _ = closed_within(stalled, HANDSHAKE_TIMEOUT_S + 5)
            held = time.monotonic() - opened
    expect(closed, f"the stalled handshake was still open after {held:.1f} s")
    expect(HANDSHAKE_TIMEOUT_S - 1 <= held <= HANDSHAKE_TIMEOUT_S + 3, f"stalled handshake closed after {held:.1f} s, want about {HANDSHAKE_TIMEOUT_S} s")
    settle()
    tls_json("GET", "/status")
    return (f"half a ClientHello closed after {held:.1f} s, the silent client after {took:.2f} s "
            f"(made room), {served} HTTP requests served meanwhile")


def check_tls_silent_flood(port):
    """50 connections to 443 that never send a byte, all kept open: at most
    one holds a slot at a time, so a real HTTPS client is still served."""
    socks = []
    try:
        for _ in range(50):
            socks.append(socket.create_connection(("127.0.0.1", TLS_PORT), timeout=IO_TIMEOUT_S))
            time.sleep(0.02)  # QEMU's user networking: a backlog of one
        started = time.monotonic()
        tls_json("GET", "/status")
        took = time.monotonic() - started
        open_now = 0
        for s in socks:
            s.setblocking(False)
            try:
                s.recv(1)  # b"": closed by the firmware
            except BlockingIOError:
                open_now += 1  # nothing to read and not closed: still held
            except ConnectionError:
                pass  # reset: refused
    finally:
        for s in socks:
            s.close()
    expect(open_now <= 2, f"{open_now} silent connections still held after the flood")
    settle()
    tls_json("GET", "/status")
    return f"50 silent connections, {open_now} still held, HTTPS served in {took * 1000:.0f} ms"


def tls_figures(log):
    """The firmware's own TLS figures from its serial log."""
    out = []
    shakes = [int(ms) for ms in re.findall(r"tls: handshake (\d+) ms", log)]
    if shakes:
        out.append(f"firmware handshake time: min {min(shakes)} ms, max {max(shakes)} ms over {len(shakes)} handshakes")
    ram = re.findall(r"tls: connection RAM: .*", log)
    if ram:
        out.append(f"firmware {ram[0][5:]}")
    peaks = re.findall(r"tls: handshake .*heap peak \+(\d+) B, held \+(\d+) B", log)
    if peaks:
        out.append(f"firmware heap per TLS connection: handshake peak {max(int(p) for p, _ in peaks)} B, "
                   f"held while open {max(int(h) for _, h in peaks)} B")
    return out


def check_no_entropy(qemu_bin, elf, workdir):
    """Booted without the virtio RNG: the firmware says so, does not start
    TLS, and serves HTTP on port 80 as always."""
    port, tls_port = free_port(), free_port()
    qemu = Qemu(qemu_bin, elf, port, workdir, tls_port=tls_port, rng=False)
    try:
        qemu.wait_ready(READY_TIMEOUT_S)
        log = qemu.log()
        expect("tls: no entropy source" in log, "no 'tls: no entropy source' line on the serial log")
        expect("tls: serving" not in log, "TLS started without an entropy source")
        status = get_json(port, "/status")
        try:
            with socket.create_connection(("127.0.0.1", tls_port), timeout=3) as s:
                s.settimeout(3)
                got = read_to_close(s)
        except (ConnectionError, socket.timeout) as e:
            got = b""
        expect(got == b"", f"port 443 answered without TLS: {got[:60]!r}")
        expect("PANIC" not in qemu.log(), "firmware panicked")
    finally:
        status_code = qemu.stop()
    expect(not status_code, f"QEMU exited with {status_code}")
    return f"'no entropy source' logged, HTTP served ({status}), nothing on 443"


# ------------------------------------------------------------ OTA updates

MIB = 1 << 20


def curl(*args, timeout=120):
    """curl against the firmware; (status, body)."""
    proc = subprocess.run(
        ["curl", "--silent", "--show-error", "--noproxy", "*", "--http1.1", "--max-time", str(timeout),
         "--write-out", "\n%{http_code}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 10,
    )
    expect(proc.returncode == 0, f"curl {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
    body, _, code = proc.stdout.decode(errors="replace").rpartition("\n")
    return int(code), body


# The serial log of the QEMU under test (set in main), for the OTA's progress lines.
SERIAL_LOG = None


def firmware_slots(port):
    return get_json(port, "/firmware")


def ota_image(name):
    path = Path(tempfile.gettempdir()) / f"ferrodot-qemu-{os.getpid()}-{name}.bin"
    image = os.urandom(MIB)
    path.write_bytes(image)
    return path, hashlib.sha256(image).hexdigest()


def check_firmware_curl(port):
    url = f"http://127.0.0.1:{port}/firmware"
    path, digest = ota_image("curl")
    try:
        before = firmware_slots(port)
        expect(before == {"active": "A", "pending": None}, f"GET /firmware at boot: {before}")
        # A wrong digest: 422, and nothing changes.
        status, body = curl("--data-binary", f"@{path}", "-H", f"X-Firmware-SHA256: {'0' * 64}", url)
        expect(status == 422 and "error" in json.loads(body), f"wrong digest: {status} {body}")
        after = firmware_slots(port)
        expect(after == before, f"GET /firmware after the 422: {after}")
        # The right digest as a form field, the image as a form file.
        t0 = time.monotonic()
        status, body = curl("-F", f"firmware=@{path}", "-F", f"sha256={digest}", url)
        seconds = time.monotonic() - t0
        want = {"bytes": MIB, "sha256": digest, "slot": "B", "activated": True}
        expect(status == 200 and json.loads(body) == want, f"form upload: {status} {body}")
        slots = firmware_slots(port)
        expect(slots == {"active": "A", "pending": "B"}, f"GET /firmware after the update: {slots}")
        # The raw body with the header.
        status, body = curl("--data-binary", f"@{path}", "-H", f"X-Firmware-SHA256: {digest}", url)
        expect(status == 200 and json.loads(body) == want, f"raw upload: {status} {body}")
        log = SERIAL_LOG.read_text(errors="replace") if SERIAL_LOG else ""
        expect(f"ota: slot B pending ({MIB} bytes, sha256 {digest})" in log, "no 'pending' line on the serial log")
        expect(f"ota: slot B {MIB} bytes" in log and "ota: slot B 131072 bytes" in log, "no progress lines on the serial log")
        return f"422 for a wrong digest, then 1 MiB activated in slot B ({MIB / seconds / 1024:.0f} KiB/s as a form)"
    finally:
        path.unlink(missing_ok=True)


def check_firmware_refused(port):
    """Too large (413, from the length: nothing erased), then an upload
    cut off halfway: the pending mark goes, the device goes on serving."""
    before = firmware_slots(port)
    expect(before["pending"] == "B", f"GET /firmware before: {before}")
    head = (
        "POST /firmware HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        f"X-Firmware-SHA256: {'a' * 64}\r\nContent-Length: {{}}\r\n\r\n"
    )
    raw = raw_exchange(port, head.format(2 * MIB + 1).encode())
    code, line = status_line(raw)
    expect(code == 413, f"an image larger than a slot: {line}")
    expect(firmware_slots(port) == before, "a refused upload changed GET /firmware")
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(head.format(MIB).encode() + os.urandom(200_000))
        time.sleep(0.5)
    settle()
    deadline = time.monotonic() + 10
    while True:
        after = firmware_slots(port)
        if after == {"active": "A", "pending": None}:
            break
        expect(time.monotonic() < deadline, f"GET /firmware after an aborted upload: {after}")
        time.sleep(0.2)
    return "413 before anything was erased; an aborted upload left slot A running and nothing pending"


def check_firmware_browser(port):
    sys.path.insert(0, str(ROOT / "tests" / "python"))
    from test_browser import upload_firmware  # headless Chromium over DevTools

    path, digest = ota_image("browser")
    # The aborted upload of the check before may still hold the upload slot
    # until the firmware notices its connection is gone (409 meanwhile). A bad
    # digest header is refused (400) right after the slot is taken and before
    # anything is erased: once it answers 400, the slot is free.
    deadline = time.time() + 20
    while True:
        resp, _ = request(port, "POST", "/firmware", body=b"x", headers={"X-Firmware-SHA256": "zz"})
        if resp.status != 409 or time.time() > deadline:
            break
        time.sleep(0.5)
    expect(resp.status == 400, f"the upload slot is still taken ({resp.status})")
    try:
        result, progress = asyncio.run(upload_firmware(f"http://127.0.0.1:{port}/", path, digest, limit=120))
        status, _, body = result.partition(": ")
        want = {"bytes": MIB, "sha256": digest, "slot": "B", "activated": True}
        expect(status == "200" and json.loads(body) == want, f"the page shows {result!r}")
        expect(progress == 100, f"progress bar at {progress}")
        slots = firmware_slots(port)
        expect(slots == {"active": "A", "pending": "B"}, f"GET /firmware after the form: {slots}")
        return "the dashboard's form uploaded 1 MiB, activated in slot B"
    finally:
        path.unlink(missing_ok=True)


def check_portal_routes(port):
    """First boot over HTTP: the probes redirect to the setup page until the
    form is saved, then answer as each OS expects; the password never comes back."""
    password = "lab-pass-4711"
    resp, _ = request(port, "GET", "/generate_204")
    expect(resp.status == 302, f"GET /generate_204 before setup: {resp.status}, want 302")
    expect(resp.getheader("Location", "").endswith("/setup"), f"Location {resp.getheader('Location')!r}")
    resp, _ = request(port, "GET", "/hotspot-detect.html")
    expect(resp.status == 302, f"Apple's probe before setup: {resp.status}, want 302")
    api = json.loads(request(port, "GET", "/captive-portal")[1])
    expect(api.get("captive") is True and api.get("user-portal-url", "").endswith("/setup"), f"/captive-portal {api}")
    with open(os.path.join(ASSETS, "setup.html"), "rb") as f:
        committed = f.read()
    resp, page = request(port, "GET", "/setup")
    expect(resp.status == 200 and page == committed, f"GET /setup: {resp.status}, not assets/setup.html")
    etag = resp.getheader("ETag", "")
    resp, gz = request(port, "GET", "/setup", headers={"Accept-Encoding": "gzip"})
    expect(resp.getheader("Content-Encoding") == "gzip" and gzip.decompress(gz) == committed, "GET /setup: gzip copy")
    resp, _ = request(port, "GET", "/setup", headers={"If-None-Match": etag})
    expect(etag and resp.status == 304, f"GET /setup If-None-Match {etag!r}: {resp.status}, want 304")
    resp, nets = request(port, "GET", "/setup/networks")
    expect(json.loads(nets) == {"networks": ["camera-lab", "Home", "Guest"]}, f"/setup/networks {nets!r}")
    form = f"ssid=camera-lab&password={password}".encode()
    resp, page = request(port, "POST", "/setup", body=form,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect(resp.status == 200, f"POST /setup: {resp.status} {page[:120]!r}")
    expect(password.encode() not in page, "POST /setup sent the password back")
    resp, _ = request(port, "GET", "/generate_204")
    expect(resp.status == 204, f"GET /generate_204 after setup: {resp.status}, want 204")
    resp, body = request(port, "GET", "/hotspot-detect.html")
    expect(resp.status == 200 and b"Success" in body, f"Apple's probe after setup: {resp.status}")
    api = json.loads(request(port, "GET", "/captive-portal")[1])
    expect(api.get("captive") is False, f"/captive-portal after setup {api}")
    resp, page = request(port, "GET", "/setup")
    expect(b"camera-lab" in page and password.encode() not in page, "GET /setup after setup")
    expect(b"<form" not in page, "GET /setup after setup still shows the form")
    expect(json.loads(request(port, "GET", "/setup/networks")[1]) == {"networks": []}, "networks after setup")
    resp, _ = request(port, "POST", "/setup", body=b"ssid=other&password=12345678",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect(resp.status == 403, f"a second POST /setup: {resp.status}, want 403")
    # Saved through FlashBacking: the firmware reads its flash copy back as
    # the next boot would (the RAM NOR partition lasts until QEMU resets).
    want = 'portal: saved network "camera-lab", flash copy ok'
    deadline = time.monotonic() + 2
    while want not in (log := SERIAL_LOG.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.05)
    expect("portal: not provisioned" in log, "no 'not provisioned' line at boot")
    expect(want in log, "the flash copy did not read back")
    expect(password not in log, "the password is on the serial log")
    return "302 before, 204/Success after, setup.html (gzip, 304), networks JSON, password never sent back"


CHECKS = [
    ("GET /status twice, frames advance", check_status_advances),
    ("POST /trigger counts", check_trigger),
    ("keep-alive reuse", check_keep_alive),
    ("throughput: keep-alive GET /status, ferrodot vs hand-written", check_throughput),
    ("GET / dashboard from flash (gzip, 304, 206)", check_index),
    ("GET /openapi.json and /docs from flash", check_openapi),
    ("server-sent events /events", check_sse),
    ("WebSocket /ws", check_websocket),
    ("404 unknown path", check_not_found),
    ("405 with Allow", check_method_not_allowed),
    ("400 malformed request", check_malformed),
    ("431 oversized head", check_oversized_head),
    ("concurrent connections", check_concurrent),
    ("408 silent connection, others served", check_silent_connection),
    ("idle sockets evicted, WebSocket kept", check_idle_sockets),
    ("POST /report: the device as a client", check_report),
    ("captive-portal DNS over UDP", check_dns),
    ("DHCP over UDP through a relay (OFFER, ACK, option 114)", check_dhcp),
    ("mDNS unicast query for camera.local", check_mdns),
    ("captive-portal routes over HTTP (probes, /setup)", check_portal_routes),
    ("OTA: curl upload, 422 for a wrong digest", check_firmware_curl),
    ("OTA: 413 too large, aborted upload", check_firmware_refused),
    ("OTA: headless-Chromium form upload", check_firmware_browser),
    ("https: curl --cacert, TLS 1.3 and 1.2", check_https_curl),
    ("https: keep-alive x20 on one TLS connection", check_https_keep_alive),
    ("https: POST /trigger", check_https_trigger),
    ("https: wss:// /ws (websockets)", check_wss),
    ("https: 2 TLS connections at once, a third refused", check_tls_connection_limit),
    ("https: plain HTTP on the TLS port", check_plain_http_on_tls_port),
    ("https: garbage instead of a ClientHello", check_tls_garbage),
    ("https: stalled handshake time-out, silent client made room", check_tls_stall),
    ("https: 50 silent connections, HTTPS still served", check_tls_silent_flood),
]


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build; use the existing ELF")
    ap.add_argument("--target", default=DEFAULT_TARGET, help=f"firmware target triple (default {DEFAULT_TARGET})")
    ap.add_argument("--elf", type=Path, help="firmware ELF to boot (implies --no-build)")
    ap.add_argument("--qemu", default="qemu-system-riscv32", help="QEMU binary")
    args = ap.parse_args()

    if args.elf:
        elf = args.elf
    elif args.no_build:
        elf = default_elf(args.target)
    else:
        elf = build(args.target)
    if not elf.is_file():
        sys.exit(f"no firmware ELF at {elf} (build it, or pass --elf)")

    results = []  # (name, ok, detail)
    # No figures from an earlier run for footprint/report.sh to print.
    throughput_file().unlink(missing_ok=True)
    workdir = tempfile.mkdtemp(prefix="ferrodot-qemu-")
    port = free_port()
    global TLS_PORT, QEMU, SERIAL_LOG, BENCH_PORT
    TLS_PORT = free_port()
    BENCH_PORT = free_port()
    print(f"booting {elf} on 127.0.0.1:{port}, https on 127.0.0.1:{TLS_PORT} (serial log {workdir}/uart.log)", flush=True)
    qemu = QEMU = Qemu(args.qemu, elf, port, workdir, GUESTFWD, tls_port=TLS_PORT, bench_port=BENCH_PORT)
    SERIAL_LOG = qemu.log_path
    watchdog = threading.Timer(WATCHDOG_S, lambda: (print(f"watchdog: {WATCHDOG_S} s passed, killing QEMU", flush=True), qemu.proc.kill()))
    watchdog.daemon = True
    exit_status = None
    try:
        try:
            ready = qemu.wait_ready(READY_TIMEOUT_S)
            results.append(("boot to 'listening'", True, f"{ready * 1000:.0f} ms after launch"))
        except CheckFailed as e:
            results.append(("boot to 'listening'", False, str(e)))
        else:
            watchdog.start()
            for name, check in CHECKS:
                try:
                    detail = check(port)
                    results.append((name, True, detail))
                except CheckFailed as e:
                    results.append((name, False, str(e)))
                except Exception as e:  # a socket error, a timeout, a bad response
                    results.append((name, False, f"{type(e).__name__}: {e}"))
                    traceback.print_exc()
                settle()
                if qemu.proc.poll() is not None:
                    results.append(("QEMU still running", False, f"QEMU exited with status {qemu.proc.returncode}"))
                    break
    finally:
        watchdog.cancel()
        exit_status = qemu.stop()

    log = qemu.log()
    lines = log.splitlines()
    # A panic message reads "PANIC: panicked at FILE:LINE:COL:" then the message.
    panics = [" ".join(lines[i : i + 2]) for i, line in enumerate(lines) if line.startswith("PANIC")]
    results.append(("no PANIC on the serial log", not panics, "; ".join(panics) or "clean"))
    results.append(("QEMU exit status", not exit_status, "killed by the test" if exit_status is None else f"exited with {exit_status}"))
    stack = re.findall(r"stack high-water: (\d+) bytes", log)
    figures = tls_figures(log)

    # A second boot, without the entropy device.
    workdir2 = tempfile.mkdtemp(prefix="ferrodot-qemu-nornd-")
    try:
        results.append(("boot without entropy: no TLS, HTTP served", True, check_no_entropy(args.qemu, elf, workdir2)))
    except Exception as e:
        results.append(("boot without entropy: no TLS, HTTP served", False, f"{type(e).__name__}: {e}"))

    print()
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    if stack:
        print(f"firmware stack high-water: {stack[-1]} bytes")
    for line in figures:
        print(line)
    if THROUGHPUT:
        print()
        print("\n".join(THROUGHPUT))
    failed = sum(1 for _, ok, _ in results if not ok)
    if failed:
        print(f"\n--- serial log ({qemu.log_path}) ---\n{log}--- QEMU output ---\n{qemu.out_path.read_text(errors='replace')}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

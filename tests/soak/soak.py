#!/usr/bin/env python3
"""Soak test: many clients for a bounded time against examples/echo on
127.0.0.1, mixing valid requests (keep-alive, pipelined, Content-Length
and chunked bodies up to 64 KiB) with invalid ones (malformed heads,
smuggling attempts, over-long lines, too many headers, bad chunk sizes,
unsupported versions and codings, garbage, connections dropped half-way),
and with ``--idle-flood N`` bursts of N sockets that never send a byte,
which push the server past its connection slots so that it evicts idle
connections.

Passes when every valid request got its own body back, in order (zero
lost responses), every invalid one got its expected status, or at least a
clean close where no answer is possible, the server is still answering at
the end, and its resident memory stayed under a bound. Prints the figures.

A keep-alive connection the server closed while it was idle (nothing sent
since the last response) is what eviction does, and what RFC 9112 §9.3.1
lets a client recover from: the request that found it closed, with not one
byte of an answer, is sent again on a new connection, as browsers and
urllib3 do. Such retries are counted; the retried request must be answered.

    python3 tests/soak/soak.py --server target/debug/examples/echo --seconds 20
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time

READ_TIMEOUT = 15.0  # a valid request not answered within this is lost


class Closed(Exception):
    """The server closed the connection before a whole response arrived."""


class Reader:
    """Reads HTTP/1.1 responses from a socket, framing by Content-Length or chunked."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self, head_only=False):
        """Returns (status, headers dict with lower-case names, body)."""
        status_line = self._line()
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise AssertionError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        if head_only:
            return status, headers, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exactly(size)
                self._line()
            return status, headers, body
        return status, headers, self._exactly(int(headers.get("content-length", "0")))

    def at_eof(self):
        """True when the server closes without sending anything more."""
        if self.buf:
            return False
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True


# Invalid requests and the status each must get (None: only a close is
# required, e.g. garbage that may or may not parse as a request line).
HOST = b"Host: soak\r\n"
INVALID = [
    ("no colon in a header", b"GET / HTTP/1.1\r\n" + HOST + b"Bad Header\r\n\r\n", 400),
    ("not a request line", b"BLAH\r\n\r\n", 400),
    ("request line too long", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
    ("too many headers", b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: y\r\n" % i for i in range(40)) + b"\r\n", 431),
    ("head too large", b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"b" * 3000 + b"\r\n\r\n", 431),
    ("Content-Length with chunked", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two different lengths", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("length not a number", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 1x\r\n\r\n", 400),
    ("unknown coding", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("HTTP/2.0 on HTTP/1 framing", b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 505),
    ("bad chunk size", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    ("body over the limit", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 99999999999\r\n\r\n", 413),
    ("space before colon", b"GET / HTTP/1.1\r\n" + HOST + b"X-A : b\r\n\r\n", 400),
    ("obsolete line folding", b"GET / HTTP/1.1\r\n" + HOST + b"X-A: b\r\n c\r\n\r\n", 400),
    ("garbage", None, None),
]


def valid_request(rng, close=False):
    """One valid request and the body the echo must send back."""
    connection = b"Connection: close\r\n" if close else b""
    kind = rng.randrange(3)
    path = b"/soak/%d?q=%d" % (rng.randrange(1000), rng.randrange(1000))
    if kind == 0:
        return b"GET " + path + b" HTTP/1.1\r\n" + HOST + connection + b"\r\n", b""
    body = rng.randbytes(rng.choice([1, 100, 1500, 4096, 20000, 65536]))
    if kind == 1:
        head = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n%s\r\n" % (path, HOST, len(body), connection)
        return head + body, body
    chunks, at = [], 0
    while at < len(body):
        n = rng.randrange(1, 9000)
        chunks.append(b"%x\r\n%s\r\n" % (len(body[at:at + n]), body[at:at + n]))
        at += n
    head = b"PUT %s HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\n%s\r\n" % (path, HOST, connection)
    return head + b"".join(chunks) + b"0\r\n\r\n", body


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {"valid sent": 0, "valid answered": 0, "invalid sent": 0,
                       "invalid answered as expected": 0, "dropped on purpose": 0, "connections": 0,
                       "idle sockets": 0, "retried after an idle close": 0}
        self.failures = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def fail(self, what):
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(what)


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def valid_batch(port, rng, tally, then_invalid):
    """A keep-alive connection: valid requests, some pipelined, maybe ending
    with an invalid one whose error must come after every valid answer."""
    n = rng.randrange(1, 8)
    pipelined = rng.random() < 0.4
    close_last = not then_invalid and rng.random() < 0.3
    requests = [valid_request(rng, close=close_last and i == n - 1) for i in range(n)]
    with connect(port) as sock:
        tally.add("connections")
        reader = Reader(sock)
        if pipelined:
            sock.sendall(b"".join(r for r, _ in requests))
        for i, (raw, want) in enumerate(requests):
            if not pipelined:
                try:
                    sock.sendall(raw)
                except OSError:
                    pass  # found closed: the read below tells
            tally.add("valid sent")
            try:
                status, _, body = reader.response()
            except (Closed, OSError) as e:
                if i > 0 and not pipelined and not reader.buf:
                    # Closed while idle (evicted): retry once, elsewhere.
                    tally.add("retried after an idle close")
                    if retry(port, raw, want, tally):
                        tally.add("valid answered")
                    return
                tally.fail(f"valid request lost ({type(e).__name__}) #{i} of {n}, pipelined={pipelined}")
                return
            if status != 200 or body != want:
                tally.fail(f"valid request got {status} with {len(body)} bytes, want 200 with {len(want)}")
                return
            tally.add("valid answered")
        if close_last and not reader.at_eof():
            tally.fail("Connection: close was not honoured")
        if then_invalid:
            invalid(port, sock, reader, rng, tally, reused=True)


def retry(port, raw, want, tally):
    """Send a request again on a new connection; whether it was answered."""
    try:
        with connect(port) as sock:
            tally.add("connections")
            sock.sendall(raw)
            status, _, body = Reader(sock).response()
    except (Closed, OSError) as e:
        tally.fail(f"retried request lost ({type(e).__name__})")
        return False
    if status != 200 or body != want:
        tally.fail(f"retried request got {status} with {len(body)} bytes")
        return False
    return True


def idle_flood(port, size, deadline, tally):
    """Bursts of `size` sockets that never send a byte, held for a second."""
    while time.monotonic() < deadline:
        socks = []
        try:
            for _ in range(size):
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT))
            tally.add("idle sockets", len(socks))
            time.sleep(1.0)
        except OSError as e:
            tally.fail(f"idle socket could not connect: {e!r}")
        finally:
            for sock in socks:
                sock.close()
        time.sleep(0.5)


def invalid(port, sock, reader, rng, tally, reused=False):
    """An invalid request on `sock`; `reused`: after valid ones, so the
    server may have closed the connection while it was idle."""
    name, raw, want = rng.choice(INVALID)
    if raw is None:
        raw = rng.randbytes(rng.randrange(1, 600))
    tally.add("invalid sent")
    outcome = send_invalid(sock, reader, name, raw, want)
    if outcome == "closed before it was read" and reused:
        tally.add("retried after an idle close")
        with connect(port) as fresh:
            tally.add("connections")
            outcome = send_invalid(fresh, Reader(fresh), name, raw, want)
    if outcome is None:
        tally.add("invalid answered as expected")
    else:
        tally.fail(f"{name}: {outcome}")


def send_invalid(sock, reader, name, raw, want):
    """Send one invalid request and read the answer: None if it was the
    expected one, else what went wrong."""
    try:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        status, _, _ = reader.response()
    except Closed:
        if want is None:
            return None
        return "closed before it was read" if not reader.buf else f"closed without the {want} answer"
    except (ConnectionResetError, BrokenPipeError, OSError) as e:
        if want is None or len(raw) > 2000:
            # The server may close while a large invalid request is still
            # arriving; the reset can then overtake the answer on loopback.
            return None
        if not reader.buf:
            return "closed before it was read"
        return f"{type(e).__name__} instead of {want}"
    except AssertionError as e:
        return str(e)
    if (want is None and status in (400, 414, 431, 501, 505)) or status == want:
        return None
    return f"got {status}, want {want}"


def dropped_halfway(port, rng, tally):
    """A connection closed in the middle of a head or a body."""
    raw, _ = valid_request(rng)
    cut = rng.randrange(1, len(raw)) if len(raw) > 1 else 1
    with connect(port) as sock:
        tally.add("connections")
        try:
            sock.sendall(raw[:cut])
        except OSError:
            pass
    tally.add("dropped on purpose")


def worker(port, seed, deadline, tally):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        roll = rng.random()
        try:
            if roll < 0.55:
                valid_batch(port, rng, tally, then_invalid=False)
            elif roll < 0.75:
                valid_batch(port, rng, tally, then_invalid=True)
            elif roll < 0.9:
                with connect(port) as sock:
                    tally.add("connections")
                    invalid(port, sock, Reader(sock), rng, tally)
            else:
                dropped_halfway(port, rng, tally)
        except OSError as e:
            tally.fail(f"connection failed: {e!r}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="target/debug/examples/echo")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "20")))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max-rss-kb", type=int, default=65536)
    ap.add_argument("--idle-flood", type=int, default=0, metavar="N",
                    help="also open bursts of N sockets that never send a byte")
    args = ap.parse_args()

    port = free_port()
    server = subprocess.Popen([args.server, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        tally = Tally()
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [threading.Thread(target=worker, args=(port, seed, deadline, tally), daemon=True)
                   for seed in range(args.clients)]
        if args.idle_flood:
            threads.append(threading.Thread(target=idle_flood, args=(port, args.idle_flood, deadline, tally), daemon=True))
        for t in threads:
            t.start()
        peak = 0
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_kb(server.pid))
            time.sleep(0.2)
            if time.monotonic() > deadline + 4 * READ_TIMEOUT:
                tally.fail("a client did not finish")
                break
        elapsed = time.monotonic() - start

        # Still serving everyone after all that.
        with connect(port) as sock:
            raw, want = valid_request(random.Random(1), close=True)
            sock.sendall(raw)
            status, _, body = Reader(sock).response()
            if status != 200 or body != want:
                tally.fail("the server did not answer a valid request at the end")
        if server.poll() is not None:
            tally.fail(f"the server exited with {server.returncode}")

        c = tally.counts
        print(f"soak: {elapsed:.0f} s, {args.clients} clients, {c['connections']} connections, "
              f"{c['valid sent'] / elapsed:.0f} valid requests/s, peak RSS {peak} kB")
        for key, value in c.items():
            print(f"  {key}: {value}")
        print(f"  valid responses lost: {c['valid sent'] - c['valid answered']}")
        if peak > args.max_rss_kb:
            tally.fail(f"peak RSS {peak} kB over {args.max_rss_kb} kB")
        if c["valid sent"] < 100 or c["invalid sent"] < 20:
            tally.fail("too few requests were made to mean anything")
        for f in tally.failures:
            print("  FAIL:", f)
        return 1 if tally.failures else 0
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())

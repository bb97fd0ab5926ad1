#!/usr/bin/env python3
"""Keep-alive `GET /status` throughput: ferrodot against a hand-written responder.

The firmware serves the camera app with ferrodot on guest port 80 and, on
guest port 8081 of the same embassy-net stack, a hand-written responder
(firmware/qemu-virt/src/bench.rs) that answers each request head with a
fixed copy of ferrodot's `/status` response. One connection to each, one
request at a time (no pipelining: each response is read in full before the
next request goes out), in alternating rounds of a fixed duration, so both
see the same host load. Prints req/s of each and the ratio; asserts only
that every answer was a correct response, never a timing.

test_firmware.py runs it in the same boot as its checks; standalone, against
a firmware already running with both ports forwarded:

    python3 tests/qemu/throughput.py FERRODOT_PORT HANDWRITTEN_PORT [--rounds N --seconds S]
"""

import argparse
import json
import socket
import sys
import time

REQUEST = b"GET /status HTTP/1.1\r\nHost: 10.0.2.15\r\n\r\n"
ROUNDS = 16  # per server, alternating
ROUND_S = 0.5  # each round's length: 2 x 16 x 0.5 s = 16 s in all
TARGET = 0.9  # issue 17: ferrodot >= 0.9 x the hand-written responder


class BadResponse(Exception):
    pass


def read_response(s, buf):
    """One full response from `s`; returns (head, body, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise BadResponse(f"connection closed mid-head after {len(buf)} bytes")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise BadResponse(f"no Content-Length: {head[:80]!r}")
    while len(buf) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise BadResponse("connection closed mid-body")
        buf += chunk
    return head, buf[:length], buf[length:]


def check(head, body):
    if not head.startswith(b"HTTP/1.1 200 "):
        line = head.partition(b"\r")[0]
        raise BadResponse(f"status line {line!r}")
    try:
        doc = json.loads(body)
    except ValueError:
        raise BadResponse(f"body is not JSON: {body[:80]!r}")
    if not isinstance(doc, dict) or "frames" not in doc:
        raise BadResponse(f"not a /status body: {body[:80]!r}")


def round_trip_rate(port, seconds):
    """Requests per second on one keep-alive connection; (rate, bytes of one response)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        # A warm-up request: the connection is set up and one response checked.
        s.sendall(REQUEST)
        head, body, buf = read_response(s, buf)
        check(head, body)
        size = len(head) + 4 + len(body)
        n = 0
        start = time.monotonic()
        end = start + seconds
        while True:
            s.sendall(REQUEST)
            head, body, buf = read_response(s, buf)
            check(head, body)
            n += 1
            now = time.monotonic()
            if now >= end:
                break
        if buf:
            raise BadResponse(f"{len(buf)} bytes past the last response")
        return n / (now - start), size


def measure(ferrodot_port, hand_port, rounds=ROUNDS, seconds=ROUND_S):
    """Alternating rounds; returns the Markdown report (a list of lines) and the ratio.

    The host is shared (2 cores, CI jobs beside it), so single rounds swing
    by a factor of several. A busy host can only slow a round, never speed
    it: the best round of each server is the nearest to what the firmware
    itself can do, and the ratio is taken between those. The median of the
    ratios of adjacent rounds (same moment, same load) is printed next to it.
    """
    rates = {"ferrodot": [], "hand": []}
    sizes = {}
    for _ in range(rounds):
        for name, port in (("ferrodot", ferrodot_port), ("hand", hand_port)):
            rate, sizes[name] = round_trip_rate(port, seconds)
            rates[name].append(rate)
    median = lambda v: sorted(v)[len(v) // 2]
    best = {k: max(v) for k, v in rates.items()}
    ratio = best["ferrodot"] / best["hand"]
    pair_ratio = median([f / h for f, h in zip(rates["ferrodot"], rates["hand"])])
    return ratio, [
        f"## QEMU riscv32 virt: keep-alive GET /status, 1 connection, {rounds} alternating rounds of {seconds:g} s each",
        "",
        "| server (same embassy-net stack, same boot) | req/s, best round | req/s, median | response bytes |",
        "|---|---:|---:|---:|",
        f"| ferrodot, camera app, port 80 | {best['ferrodot']:.0f} | {median(rates['ferrodot']):.0f} | {sizes['ferrodot']} |",
        f"| hand-written fixed responder, port 8081 | {best['hand']:.0f} | {median(rates['hand']):.0f} | {sizes['hand']} |",
        f"| **ratio ferrodot / hand-written** (target >= {TARGET}) | **{ratio:.2f}** ({'met' if ratio >= TARGET else 'NOT met'}) "
        f"| {pair_ratio:.2f} (of adjacent rounds) | |",
        "",
        "rounds, req/s: ferrodot " + " ".join(f"{r:.0f}" for r in rates["ferrodot"])
        + "; hand-written " + " ".join(f"{r:.0f}" for r in rates["hand"]),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ferrodot_port", type=int)
    ap.add_argument("hand_port", type=int)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--seconds", type=float, default=ROUND_S)
    args = ap.parse_args()
    _, lines = measure(args.ferrodot_port, args.hand_port, args.rounds, args.seconds)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

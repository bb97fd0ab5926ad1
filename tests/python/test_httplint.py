"""Response hygiene: every demo route's response (and the error answers)
passes httplint (the REDbot project's linter) with no BAD notes.

Responses are fetched with http.client (which undoes chunked framing, as
REDbot's own client does) and fed to httplint's response linter.
"""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from httplint import HttpResponseLinter
from httplint.note import levels as Levels

FIRMWARE = bytes(range(256)) * 8

CASES = [
    ("GET", "/", None, {}),
    ("HEAD", "/", None, {}),
    ("GET", "/status", None, {}),
    ("HEAD", "/status", None, {}),
    ("POST", "/trigger", b"", {}),
    ("GET", "/config", None, {}),
    ("PUT", "/config", json.dumps({"interval_ms": 500}).encode(), {"Content-Type": "application/json"}),
    ("GET", "/files/readme.txt", None, {}),
    ("POST", "/firmware", FIRMWARE, {"Content-Type": "application/octet-stream"}),
    ("OPTIONS", "/status", None, {}),
    # Errors the server produces itself: 404, 405, 411, 413, 422, 426.
    ("GET", "/no/such/path", None, {}),
    ("DELETE", "/status", None, {}),
    ("PUT", "/config", None, {"Transfer-Encoding": "chunked"}),
    ("PUT", "/config", b"x" * 1000, {"Content-Type": "application/json"}),
    ("PUT", "/config", b'{"interval_ms": 1}', {"Content-Type": "application/json"}),
    ("GET", "/ws", None, {}),
]


def fetch(base, method, path, body, headers):
    addr = urlsplit(base)
    conn = http.client.HTTPConnection(addr.hostname, addr.port, timeout=10)
    try:
        if headers.get("Transfer-Encoding") == "chunked":
            conn.putrequest(method, path)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        content = resp.read()
        return resp, content
    finally:
        conn.close()


def lint(method, resp, content):
    # A response to HEAD has no content whatever its Content-Length says.
    linter = HttpResponseLinter(no_content=method == "HEAD")
    version = f"{resp.version // 10}.{resp.version % 10}".encode()
    linter.process_response_topline(version, str(resp.status).encode(), resp.reason.encode())
    linter.process_headers([(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.getheaders()])
    if method != "HEAD":
        linter.feed_content(content)
    linter.finish_content(True)
    return linter.notes


@pytest.mark.parametrize("method,path,body,headers", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_no_bad_notes(base, method, path, body, headers):
    resp, content = fetch(base, method, path, body, headers)
    notes = lint(method, resp, content)
    bad = [f"{n.category}: {n.summary}" for n in notes if n.level == Levels.BAD]
    assert not bad, f"{method} {path} -> {resp.status}: {bad}"


def test_event_stream_head_has_no_bad_notes(base):
    # /events never ends; lint its head and the first event, as an
    # incomplete message.
    addr = urlsplit(base)
    conn = http.client.HTTPConnection(addr.hostname, addr.port, timeout=10)
    try:
        conn.request("GET", "/events", headers={"Accept": "text/event-stream"})
        resp = conn.getresponse()
        first = resp.read1(64) if hasattr(resp, "read1") else b""
        linter = HttpResponseLinter()
        linter.process_response_topline(b"1.1", str(resp.status).encode(), resp.reason.encode())
        linter.process_headers([(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.getheaders()])
        linter.feed_content(first)
        linter.finish_content(False)
        bad = [f"{n.category}: {n.summary}" for n in linter.notes if n.level == Levels.BAD]
        assert not bad, bad
    finally:
        conn.close()

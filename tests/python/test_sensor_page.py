"""Seed 002 (MicroPython's tutorial server) through the sensor_page example,
over TCP on 127.0.0.1: every method gets the page, and the server prints
one line per request on stdout, ``<client address> <request line>``, which
these tests read from the process's output.
"""

import http.client
import re
import socket

import pytest
import requests

from conftest import example

TIMEOUT = 5
PAGE = re.compile(rb"Your light sensor value is: <b id=\"value\">\d+</b>")


@pytest.fixture
def sensor():
    server = example("sensor_page", [])
    try:
        yield server
    finally:
        server.stop()


def ask(server, method: str, target: str, body: bytes = None):
    """One request with http.client; returns (response, body, the client's
    own address as the server should print it)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.connect()
        client = "%s:%d" % conn.sock.getsockname()
        conn.request(method, target, body=body)
        resp = conn.getresponse()
        return resp, resp.read(), client
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_every_method_gets_the_page_and_is_printed(sensor, method):
    resp, body, client = ask(sensor, method, "/any/path?x=1", body=b"ignored" if method != "GET" else None)
    assert resp.status == 200, (method, resp.status, body)
    assert resp.getheader("Content-Type").startswith("text/html")
    assert PAGE.search(body), body
    assert sensor.next_line() == f"{client} {method} /any/path?x=1 HTTP/1.1"


def test_head_gets_the_head_without_the_page(sensor):
    resp, body, client = ask(sensor, "HEAD", "/")
    assert resp.status == 200 and body == b""
    assert int(resp.getheader("Content-Length")) > 100
    assert sensor.next_line() == f"{client} HEAD / HTTP/1.1"


def test_requests_client_and_keep_alive(sensor):
    with requests.Session() as s:
        for method in ["GET", "POST", "PUT"]:
            r = s.request(method, sensor.url + "/sensor", json={"a": 1} if method != "GET" else None, timeout=TIMEOUT)
            assert r.status_code == 200 and PAGE.search(r.content), (method, r.status_code)
    lines = [sensor.next_line() for _ in range(3)]
    methods = [line.split(" ")[1] for line in lines]
    assert methods == ["GET", "POST", "PUT"], lines
    # One keep-alive connection: the same client address on every line.
    assert len({line.split(" ")[0] for line in lines}) == 1, lines
    assert all(re.fullmatch(r"127\.0\.0\.1:\d+ \w+ /sensor HTTP/1\.1", line) for line in lines), lines


def test_http10_request_line_and_refused_methods_are_printed(sensor):
    with socket.create_connection(("127.0.0.1", sensor.port), timeout=TIMEOUT) as s:
        client = "%s:%d" % s.getsockname()
        s.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ") and PAGE.search(data), data[:200]
    assert sensor.next_line() == f"{client} GET /old HTTP/1.0"
    # A method the parser does not know: 501 before any route, and a line anyway.
    resp, _, client = ask(sensor, "BREW", "/pot")
    assert resp.status == 501
    assert sensor.next_line() == f"{client} (refused: method not implemented) -> 501"

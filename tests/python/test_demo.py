"""The demo device through Python ``requests``: a real third-party client."""

import hashlib
import http.client
import re
import socket
import time

import pytest
import requests

TIMEOUT = 5  # seconds, for every request


def client() -> requests.Session:
    """A session that ignores proxy settings from the environment: these
    tests only ever talk to 127.0.0.1."""
    s = requests.Session()
    s.trust_env = False
    return s


def get(url, **kw):
    with client() as s:
        return s.get(url, timeout=TIMEOUT, **kw)


def request(method, url, **kw):
    with client() as s:
        return s.request(method, url, timeout=TIMEOUT, **kw)


def status(base):
    r = get(f"{base}/status")
    assert r.status_code == 200
    return r.json()


def assert_short_clear_error(r, status_code):
    """Error bodies: plain text, short, naming the status and the reason."""
    assert r.status_code == status_code, r.text
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    assert len(r.content) < 200, r.text
    assert r.text.startswith(r.reason), (r.reason, r.text)
    assert r.text.endswith("\n")
    lowered = r.text.lower()
    for noise in ("<html", "panicked", "traceback", "unwrap"):
        assert noise not in lowered, r.text


def test_status_is_json(base):
    r = get(f"{base}/status")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"frames", "triggers"}
    assert all(isinstance(v, int) and v >= 0 for v in body.values())
    assert int(r.headers["Content-Length"]) == len(r.content)


def test_frames_advance(base):
    first = status(base)["frames"]
    time.sleep(0.5)  # frames tick every 100 ms by default
    assert status(base)["frames"] > first


def test_trigger_increments(base):
    before = status(base)["triggers"]
    r = request("POST", f"{base}/trigger")
    assert r.status_code == 200
    assert r.json()["triggers"] == before + 1
    r = request("POST", f"{base}/trigger")
    assert r.json()["triggers"] == before + 2
    assert status(base)["triggers"] == before + 2


@pytest.mark.parametrize("path", ["/", "/config", "/files/a/b.txt"])
def test_head_has_length_and_no_body(base, path):
    full = get(f"{base}{path}")
    r = request("HEAD", f"{base}{path}")
    assert r.status_code == 200
    assert r.content == b""
    if path != "/":  # the page comes gzip-compressed; requests inflates it
        assert int(r.headers["Content-Length"]) == len(full.content)
    assert r.headers["Content-Type"] == full.headers["Content-Type"]


def test_unknown_path_is_404(base):
    r = get(f"{base}/no/such/page")
    assert_short_clear_error(r, 404)


def test_wrong_method_is_405_with_allow(base):
    r = get(f"{base}/trigger")
    assert_short_clear_error(r, 405)
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    r = request("DELETE", f"{base}/config")
    assert_short_clear_error(r, 405)
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "PUT", "OPTIONS"}


def test_options_lists_methods(base):
    r = request("OPTIONS", f"{base}/config")
    assert r.status_code == 200
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "PUT", "OPTIONS"}


def test_put_config_roundtrip(base):
    original = get(f"{base}/config").json()
    try:
        r = request("PUT", f"{base}/config", json={"interval_ms": 150})
        assert r.status_code == 200
        assert r.json() == {"interval_ms": 150}
        assert get(f"{base}/config").json() == {"interval_ms": 150}
    finally:
        request("PUT", f"{base}/config", json=original)
    assert get(f"{base}/config").json() == original


def test_put_config_too_large_is_413(base):
    r = request("PUT", f"{base}/config", json={"interval_ms": 200, "pad": "x" * 300})
    assert_short_clear_error(r, 413)
    assert r.headers.get("Connection", "").lower() == "close"
    assert get(f"{base}/config").json()["interval_ms"] != 200


def test_put_config_wrong_media_type_is_415(base):
    r = request("PUT", f"{base}/config", data='{"interval_ms": 200}', headers={"Content-Type": "text/plain"})
    assert_short_clear_error(r, 415)
    assert "application/json" in r.text


def test_put_config_out_of_range_is_422(base):
    r = request("PUT", f"{base}/config", json={"interval_ms": 5})
    assert_short_clear_error(r, 422)
    assert "interval_ms" in r.text


def test_put_config_bad_json_is_400(base):
    r = request("PUT", f"{base}/config", data="{interval_ms: 1", headers={"Content-Type": "application/json"})
    assert_short_clear_error(r, 400)


def test_put_config_without_length_is_411(demo):
    conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=TIMEOUT)
    try:
        conn.putrequest("PUT", "/config")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()  # no Content-Length, no body
        r = conn.getresponse()
        body = r.read().decode()
        assert r.status == 411, body
        assert body.startswith("Length Required"), body
    finally:
        conn.close()


def open_pools(session, base):
    """The connection pools a session's adapter has opened."""
    manager = session.get_adapter(base).poolmanager
    return [manager.pools[key] for key in manager.pools.keys()]


def test_session_keeps_one_connection(base):
    with client() as s:
        for i in range(50):
            r = s.get(f"{base}/status" if i % 2 else f"{base}/config", timeout=TIMEOUT)
            assert r.status_code == 200
            assert r.headers.get("Connection", "").lower() != "close"
        pools = open_pools(s, base)
        assert len(pools) == 1
        assert pools[0].num_connections == 1, "requests opened more than one connection"
        assert pools[0].num_requests == 50


def test_session_survives_errors(base):
    """404/405/422 leave the connection in step: the session keeps it."""
    with client() as s:
        assert s.get(f"{base}/missing", timeout=TIMEOUT).status_code == 404
        assert s.delete(f"{base}/status", timeout=TIMEOUT).status_code == 405
        assert s.put(f"{base}/config", json={"interval_ms": 1}, timeout=TIMEOUT).status_code == 422
        assert s.get(f"{base}/status", timeout=TIMEOUT).status_code == 200
        assert [p.num_connections for p in open_pools(s, base)] == [1]


def test_chunked_upload_from_a_generator(base):
    data = bytes((i * 7 + 3) & 0xFF for i in range(200_000))

    def pieces():
        for i in range(0, len(data), 8192):
            yield data[i:i + 8192]

    r = request("POST", f"{base}/firmware", data=pieces())  # generator: chunked
    assert r.status_code == 200, r.text
    assert r.json() == {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "slot": "B",
        "activated": False,
    }


def test_pipelined_requests_over_a_raw_socket(demo):
    with socket.create_connection(("127.0.0.1", demo.port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"GET /config HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /files/x HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"200", b"404"], data
    assert b"\r\n\r\nx" in data

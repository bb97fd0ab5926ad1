"""The resource store (seed 004, Pycom ``network.HTTP_Server``) through the
pycom_resources example, with Python ``requests`` over TCP on 127.0.0.1.

``/resource1`` is "Hello Client!" (GET only); ``/resource2`` answers all four
methods and its callback prints one line per request, which these tests read
from the server's output to see what the callback was told.
"""

import re
import socket
import subprocess
import time

import requests

TIMEOUT = 5
CALLBACK = re.compile(
    r'resource2: (?P<method>\w+) (?P<uri>\S+) -> (?P<status>\d+) new_uri="(?P<new_uri>[^"]*)" '
    r'content_type="(?P<content_type>[^"]*)" body="(?P<body>[^"]*)" value="(?P<value>[^"]*)"'
)


def told(server) -> dict:
    """The next callback line of ``server``, parsed."""
    line = server.next_line()
    m = CALLBACK.fullmatch(line)
    assert m, f"not a callback line: {line!r}"
    return m.groupdict()


def test_get_serves_the_value_with_its_media_type(pycom):
    r = requests.get(pycom.url + "/resource1", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    assert r.content == b"Hello Client!"
    head = requests.head(pycom.url + "/resource1", timeout=TIMEOUT)
    assert head.status_code == 200 and head.headers["Content-Length"] == "13" and head.content == b""


def test_query_strings_do_not_break_matching(pycom):
    r = requests.get(pycom.url + "/resource1?x=1&y", timeout=TIMEOUT)
    assert (r.status_code, r.content) == (200, b"Hello Client!")
    r = requests.put(pycom.url + "/resource2?debug=1", data=b"q", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 204
    assert told(pycom)["uri"] == "/resource2"


def test_unknown_uri_is_404(pycom):
    for path in ["/nothing", "/resource1/", "/resource", "/resource1/10000"]:
        r = requests.get(pycom.url + path, timeout=TIMEOUT)
        assert r.status_code == 404, path


def test_unregistered_method_is_405_with_allow(pycom):
    for method in ["PUT", "POST", "DELETE"]:
        r = requests.request(method, pycom.url + "/resource1", data=b"x", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
        assert r.status_code == 405, method
        assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    r = requests.options(pycom.url + "/resource2", timeout=TIMEOUT)
    assert r.status_code == 204
    assert r.headers["Allow"] == "GET, HEAD, POST, PUT, DELETE, OPTIONS"
    # The value was not touched by the refused requests.
    assert requests.get(pycom.url + "/resource1", timeout=TIMEOUT).content == b"Hello Client!"


def test_accept_negotiation(pycom):
    url = pycom.url + "/resource1"  # text/html
    cases = {
        "*/*": 200,  # what curl and requests send; Pycom answers 406 here
        "text/*": 200,
        "text/html": 200,
        "application/json, text/html;q=0.1": 200,
        "application/json": 406,
        "image/*": 406,
        "text/html;q=0": 406,
        "text/*;q=0, */*": 406,  # the most specific range decides
        "*/*;q=0": 406,
        "application/json, */*;q=0.5": 200,
    }
    for accept, status in cases.items():
        r = requests.get(url, headers={"Accept": accept}, timeout=TIMEOUT)
        assert r.status_code == status, accept
        if status == 406:
            assert b"Accept" in r.content, r.content


def test_put_replaces_value_and_media_type(pycom):
    r = requests.put(pycom.url + "/resource2", data=b"[1, 2]", headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 204
    assert r.headers["Content-Location"] == "/resource2"
    assert r.content == b""
    e = told(pycom)
    assert e == {
        "method": "PUT",
        "uri": "/resource2",
        "status": "204",
        "new_uri": "",
        "content_type": "application/json",
        "body": "[1, 2]",
        "value": "[1, 2]",
    }
    r = requests.get(pycom.url + "/resource2", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == [1, 2]
    assert told(pycom)["method"] == "GET"
    # Content-Type with parameters and other letter case is understood.
    r = requests.put(pycom.url + "/resource2", data=b"plain", headers={"Content-Type": "Text/Plain; charset=utf-8"}, timeout=TIMEOUT)
    assert r.status_code == 204
    told(pycom)
    r = requests.get(pycom.url + "/resource2", timeout=TIMEOUT)
    assert (r.headers["Content-Type"], r.content) == ("text/plain", b"plain")


def test_post_creates_sub_resources_with_unique_ids(pycom):
    url = pycom.url + "/resource2"
    made = []
    for i in range(3):
        r = requests.post(url, data=f"child {i}".encode(), headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
        assert r.status_code == 201
        location = r.headers["Location"]
        assert re.fullmatch(r"/resource2/\d{5}", location), location
        made.append(location)
        e = told(pycom)
        assert (e["method"], e["status"], e["new_uri"], e["body"]) == ("POST", "201", location, f"child {i}")
    assert len(set(made)) == 3
    for i, location in enumerate(made):
        r = requests.get(pycom.url + location, timeout=TIMEOUT)
        assert (r.status_code, r.content, r.headers["Content-Type"]) == (200, f"child {i}".encode(), "text/plain")
        told(pycom)  # the sub-resource reports through its parent's callback
    # A deleted id is not given again while the parent exists.
    assert requests.delete(pycom.url + made[-1], timeout=TIMEOUT).status_code == 204
    assert told(pycom)["status"] == "204"
    assert requests.get(pycom.url + made[-1], timeout=TIMEOUT).status_code == 404
    r = requests.post(url, data=b"again", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 201
    assert r.headers["Location"] not in made
    told(pycom)


def test_delete_removes_the_resource(pycom):
    r = requests.delete(pycom.url + "/resource2", timeout=TIMEOUT)
    assert r.status_code == 204 and r.content == b""
    e = told(pycom)
    assert (e["method"], e["status"], e["value"]) == ("DELETE", "204", "(gone)")
    assert requests.get(pycom.url + "/resource2", timeout=TIMEOUT).status_code == 404
    assert requests.delete(pycom.url + "/resource2", timeout=TIMEOUT).status_code == 404


def test_unsupported_content_type_is_415(pycom):
    for method in ["PUT", "POST"]:
        r = requests.request(method, pycom.url + "/resource2", data=b"\x89PNG", headers={"Content-Type": "image/png"}, timeout=TIMEOUT)
        assert r.status_code == 415, method
        e = told(pycom)
        assert (e["method"], e["status"], e["content_type"], e["new_uri"]) == (method, "415", "image/png", "")
    assert requests.get(pycom.url + "/resource2", timeout=TIMEOUT).content == b"0"


def test_body_larger_than_a_value_is_413(pycom):
    big = b"x" * 1025  # values hold at most 1024 bytes in the example
    r = requests.put(pycom.url + "/resource2", data=big, headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 413
    e = told(pycom)
    assert (e["status"], e["body"], e["value"]) == ("413", "", "0")
    exact = b"y" * 1024
    r = requests.put(pycom.url + "/resource2", data=exact, headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 204
    told(pycom)
    assert requests.get(pycom.url + "/resource2", timeout=TIMEOUT).content == exact


def test_body_arriving_in_pieces_is_read_whole(pycom):
    """Pycom answers 413 when one read comes short; ferrodot reads on."""
    with socket.create_connection(("127.0.0.1", pycom.port), timeout=TIMEOUT) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"PUT /resource2 HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello")
        time.sleep(0.1)  # let the server see the first half on its own
        s.sendall(b"world")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 204 "), reply
    told(pycom)
    assert requests.get(pycom.url + "/resource2", timeout=TIMEOUT).content == b"helloworld"


def test_store_survives_a_restart(start_pycom, tmp_path):
    store = tmp_path / "store.bin"
    first = start_pycom("--store", str(store))
    r = requests.put(first.url + "/resource2", data=b"kept", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 204
    r = requests.post(first.url + "/resource2", data=b"child", headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    child = r.headers["Location"]
    assert store.read_bytes().startswith(b"FDRS")
    # Written to a temporary file and renamed: none is left behind.
    assert [p.name for p in tmp_path.iterdir()] == ["store.bin"]
    first.stop()

    second = start_pycom("--store", str(store))
    r = requests.get(second.url + "/resource2", timeout=TIMEOUT)
    assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "text/plain", b"kept")
    r = requests.get(second.url + child, timeout=TIMEOUT)
    assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "application/json", b"child")
    assert requests.get(second.url + "/resource1", timeout=TIMEOUT).content == b"Hello Client!"
    # Ids keep counting after the restart.
    r = requests.post(second.url + "/resource2", data=b"next", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 201 and r.headers["Location"] != child
    # The callback is registered again by the program after loading.
    assert told(second)["status"] == "200"


def test_damaged_store_file_is_refused(start_pycom, tmp_path):
    store = tmp_path / "store.bin"
    server = start_pycom("--store", str(store))
    requests.put(server.url + "/resource2", data=b"kept", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    server.stop()
    data = store.read_bytes()
    assert data.count(b"kept") == 1
    store.write_bytes(data.replace(b"kept", b"kEpt"))  # the checksum no longer matches
    proc = subprocess.run([str(server.binary), "--host", "127.0.0.1", "--port", "0", "--store", str(store)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1
    assert "damaged" in proc.stderr

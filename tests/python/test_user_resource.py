"""mpgameserver-style resources (seed 003) through the user_resource
example, with Python ``requests`` (and a raw socket where requests cannot
send the request) over TCP on 127.0.0.1.
"""

import gzip
import os
import subprocess
import socket

import pytest
import requests

TIMEOUT = 5


def raw(server, request: bytes) -> bytes:
    """Send ``request`` on a new connection; the server's first answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
        s.sendall(request)
        return s.recv(65536)


def test_user_get_post_delete(user_resource):
    url = user_resource.url + "/user/bob"
    r = requests.get(url, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (404, {"error": "no such user"})
    r = requests.post(url, json={"score": 10, "team": "red"}, timeout=TIMEOUT)
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json"
    assert r.content.endswith(b"\n")  # JsonResponse: json.dumps plus a newline
    assert r.json() == {"username": "bob", "profile": {"score": 10, "team": "red"}}
    r = requests.get(url, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (200, {"username": "bob", "profile": {"score": 10, "team": "red"}})
    r = requests.post(url, json={}, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (409, {"error": "user already exists"})
    assert requests.delete(url, timeout=TIMEOUT).status_code == 204
    assert requests.get(url, timeout=TIMEOUT).status_code == 404
    r = requests.delete(url, timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (404, {"error": "no such user"})


def test_json_body_is_read_whatever_its_content_type(user_resource):
    r = requests.post(user_resource.url + "/user/ann", data=b'{"a": 1}', headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 201 and r.json()["profile"] == {"a": 1}
    r = requests.post(user_resource.url + "/user/eve", data=b"{not json", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, {"error": "invalid JSON body"})


def test_percent_encoded_capture(user_resource):
    r = requests.post(user_resource.url + "/user/j%C3%BCrgen", json={}, timeout=TIMEOUT)
    assert r.status_code == 201 and r.json()["username"] == "jürgen"


def test_put_and_post_need_a_length_411(user_resource):
    for request in [
        b"POST /user/carl HTTP/1.1\r\nHost: t\r\n\r\n",
        b"PUT /file/a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    ]:
        reply = raw(user_resource, request)
        assert reply.startswith(b"HTTP/1.1 411 "), reply
        assert b'{"error": ' in reply
    # GET and DELETE are not checked.
    assert raw(user_resource, b"DELETE /user/carl HTTP/1.1\r\nHost: t\r\n\r\n").startswith(b"HTTP/1.1 404 ")


def test_max_content_length_per_route_413(user_resource):
    # POST /user takes at most 4 KiB, PUT /file 64 KiB.
    profile = b'{"bio": "' + b"x" * 4096 + b'"}'
    r = requests.post(user_resource.url + "/user/dan", data=profile, timeout=TIMEOUT)
    assert r.status_code == 413
    assert "error" in r.json()
    r = requests.put(user_resource.url + "/file/big.bin", data=b"x" * 20000, timeout=TIMEOUT)
    assert r.status_code == 201, "20 KB is within the file route's own limit"
    r = requests.put(user_resource.url + "/file/huge.bin", data=b"x" * (64 * 1024 + 1), timeout=TIMEOUT)
    assert r.status_code == 413
    assert not (user_resource.dir / "huge.bin").exists()


def test_file_put_get(user_resource):
    url = user_resource.url + "/file/notes.txt"
    r = requests.put(url, data=b"first", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (201, {"name": "notes.txt", "size": 5})
    assert (user_resource.dir / "notes.txt").read_bytes() == b"first"
    r = requests.put(url, data=b"second version", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (200, {"name": "notes.txt", "size": 14})
    r = requests.get(url, timeout=TIMEOUT)
    assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "application/octet-stream", b"second version")
    r = requests.get(user_resource.url + "/file/missing.txt", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (404, {"error": "no file missing.txt"})


@pytest.mark.parametrize(
    "name, reason",
    [
        ("..%2Fescape.txt", "path goes up with '..'"),
        ("%2E%2E", "path goes up with '..'"),
        ("a%5C..%5C..%5Cx", "path goes up with '..'"),  # a\..\..\x
        ("%2Fetc%2Fpasswd", "absolute path"),
        ("%5Cwindows", "absolute path"),
        ("C%3A%5Cboot.ini", "absolute path"),  # C:\boot.ini
        ("c%3Afile", "absolute path"),
        ("%2E", "empty path"),
    ],
)
def test_unsafe_file_names_are_refused(user_resource, name, reason):
    for method in ["PUT", "GET"]:
        r = requests.request(method, f"{user_resource.url}/file/{name}", data=b"x" if method == "PUT" else None, timeout=TIMEOUT)
        assert (r.status_code, r.json()) == (400, {"error": reason}), (method, name)
    assert list(user_resource.dir.iterdir()) == []


def test_symlink_out_of_the_root_is_refused(user_resource, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    os.symlink(outside, user_resource.dir / "linkdir")
    os.symlink(secret, user_resource.dir / "linkfile")
    os.symlink(tmp_path / "nowhere", user_resource.dir / "dangling")
    escape = {"error": "path leads outside the root"}
    r = requests.put(user_resource.url + "/file/linkdir%2Fplanted.txt", data=b"x", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, escape)
    assert not (outside / "planted.txt").exists()
    r = requests.get(user_resource.url + "/file/linkfile", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, escape)
    r = requests.put(user_resource.url + "/file/dangling", data=b"x", timeout=TIMEOUT)
    assert (r.status_code, r.json()) == (400, escape)
    assert not (tmp_path / "nowhere").exists()
    # A link that stays inside the root is fine.
    (user_resource.dir / "sub").mkdir()
    os.symlink(user_resource.dir / "sub", user_resource.dir / "inside")
    r = requests.put(user_resource.url + "/file/inside%2Fok.txt", data=b"ok", timeout=TIMEOUT)
    assert r.status_code == 201
    assert (user_resource.dir / "sub" / "ok.txt").read_bytes() == b"ok"


def test_route_table_keeps_doc_annotations(user_resource):
    r = requests.get(user_resource.url + "/routes", timeout=TIMEOUT)
    assert r.status_code == 200
    table = {row["route"]: row for row in r.json()}
    assert list(table) == [
        "GET /user/:username",
        "POST /user/:username",
        "DELETE /user/:username",
        "GET /users",
        "PUT /file/:name",
        "GET /file/:name",
        "GET /routes",
    ]
    assert table["GET /user/:username"]["headers"] == ["Authorization"]
    assert table["GET /user/:username"]["params"] == ["fields"]
    assert table["POST /user/:username"]["headers"] == ["Content-Type"]
    assert table["POST /user/:username"]["max_content_length"] == 4096
    assert table["PUT /file/:name"]["max_content_length"] == 65536
    assert table["DELETE /user/:username"]["headers"] == []


def test_wrong_method_is_405_json(user_resource):
    r = requests.put(user_resource.url + "/user/bob", data=b"{}", timeout=TIMEOUT)
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST", "DELETE"}
    assert "error" in r.json()


def test_compress_true_gzips_only_for_clients_that_accept_it(user_resource):
    for i in range(200):
        requests.post(user_resource.url + f"/user/gz{i:03}", json={"score": i, "team": "blue"}, timeout=TIMEOUT)
    zipped = requests.get(user_resource.url + "/users", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=TIMEOUT)
    raw = zipped.raw.read(decode_content=False)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    text = gzip.decompress(raw).decode()
    assert "gz000 " in text and "gz199 " in text
    assert len(raw) < len(text) / 3
    plain = requests.get(user_resource.url + "/users", headers={"Accept-Encoding": "identity"}, timeout=TIMEOUT)
    assert "Content-Encoding" not in plain.headers and plain.text == text
    # curl --compressed asks for gzip and inflates it.
    out = subprocess.run(["curl", "-s", "--compressed", user_resource.url + "/users"], capture_output=True, timeout=20)
    assert out.stdout.decode() == text

"""Files from a directory on the host (``examples/file_server``, ``assets::dir``):
curl ranges, ``-z`` (If-Modified-Since) and HEAD, ``requests`` with
If-None-Match, a large file streamed with the server's memory bounded, and
every traversal form refused while the server keeps serving.
"""

import email.utils
import hashlib
import os
import subprocess

import pytest
import requests

from conftest import example


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "hello.txt").write_text("hello, files\n")
    (root / "page").mkdir()
    (root / "page" / "index.html").write_text("<h1>page</h1>\n")
    (root / "data.json").write_text('{"a": 1}\n')
    big = os.urandom(1 << 20) * 24  # 24 MiB, far past any buffer
    (root / "big.bin").write_bytes(big)
    (root / "inside").symlink_to(root / "hello.txt")
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret\n")
    (root / "leak").symlink_to(outside)
    old = root / "old.txt"
    old.write_text("old\n")
    os.utime(old, (784_111_777, 784_111_777))  # Sun, 06 Nov 1994 08:49:37 GMT
    server = example("file_server", ["--root", str(root)])
    try:
        yield server, root, hashlib.sha256(big).hexdigest(), len(big)
    finally:
        server.stop()


def curl(*args):
    out = subprocess.run(["curl", "-s", "--max-time", "20", *args], capture_output=True, timeout=30)
    return out.stdout


def status(url, *args):
    return int(curl("-o", "/dev/null", "-w", "%{http_code}", *args, url))


def test_a_file_with_its_type_and_validators(site):
    server, _, _, _ = site
    r = requests.get(server.url + "/hello.txt", timeout=5)
    assert (r.status_code, r.text) == (200, "hello, files\n")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers["Content-Length"] == "13"
    assert r.headers["ETag"].startswith('"') and r.headers["Accept-Ranges"] == "bytes"
    assert email.utils.parsedate_to_datetime(r.headers["Last-Modified"])
    assert requests.get(server.url + "/data.json", timeout=5).headers["Content-Type"] == "application/json"
    assert requests.get(server.url + "/page/", timeout=5).text == "<h1>page</h1>\n"
    assert requests.get(server.url + "/nothing.txt", timeout=5).status_code == 404


def test_if_none_match_round_trip(site):
    server, _, _, _ = site
    first = requests.get(server.url + "/hello.txt", timeout=5)
    again = requests.get(server.url + "/hello.txt", headers={"If-None-Match": first.headers["ETag"]}, timeout=5)
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    other = requests.get(server.url + "/hello.txt", headers={"If-None-Match": '"nope"'}, timeout=5)
    assert other.status_code == 200


def test_if_modified_since_with_curl_z(site):
    server, _, _, _ = site
    url = server.url + "/old.txt"
    headers = curl("-D", "-", "-o", "/dev/null", url).decode()
    assert "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT" in headers
    assert status(url, "-z", "Sun, 06 Nov 1994 08:49:37 GMT") == 304
    assert status(url, "-z", "Sat, 05 Nov 1994 08:49:37 GMT") == 200  # modified since
    assert status(url, "-z", "garbage") == 200  # an invalid date is ignored
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    # (Sent by hand: curl's `-z` would also judge the 200 by its date itself.)
    both = ["-H", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", "-H", 'If-None-Match: "other"']
    assert curl("-D", "-", "-o", "/dev/null", *both, url).decode().startswith("HTTP/1.1 200")


def test_ranges_with_curl_r(site):
    server, root, _, size = site
    big = (root / "big.bin").read_bytes()
    url = server.url + "/big.bin"
    assert curl("-r", "0-99", url) == big[:100]
    assert curl("-r", "-10", url) == big[-10:]
    assert curl("-r", f"{size - 5}-", url) == big[-5:]
    assert curl("-r", "1000000-1000009", url) == big[1000000:1000010]
    headers = curl("-D", "-", "-o", "/dev/null", "-r", "5-9", url).decode()
    assert "206" in headers.splitlines()[0] and f"Content-Range: bytes 5-9/{size}" in headers
    headers = curl("-D", "-", "-o", "/dev/null", "-r", f"{size + 10}-", url).decode()
    assert "416" in headers.splitlines()[0] and f"Content-Range: bytes */{size}" in headers
    # If-Range with another validator: the whole file.
    assert len(curl("-r", "0-9", "-H", 'If-Range: "old"', url)) == size


def test_head_has_the_length_and_no_body(site):
    server, _, _, size = site
    r = requests.head(server.url + "/big.bin", timeout=5)
    assert r.status_code == 200 and r.content == b""
    assert r.headers.get("Content-Length") == str(size)
    assert r.headers["Content-Type"] == "application/octet-stream"


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def test_a_large_file_is_streamed_with_bounded_memory(site):
    server, _, digest, size = site
    before = vm_hwm_kib(server.proc.pid)
    with requests.get(server.url + "/big.bin", stream=True, timeout=20) as r:
        h = hashlib.sha256()
        got = 0
        for chunk in r.iter_content(1 << 16):
            h.update(chunk)
            got += len(chunk)
    assert (got, h.hexdigest()) == (size, digest)
    after = vm_hwm_kib(server.proc.pid)
    # The 24 MiB file never sits in the server's memory.
    assert after - before < 8 * 1024, f"peak RSS grew by {after - before} KiB"


@pytest.mark.parametrize("path", [
    "/../etc/passwd",
    "/%2e%2e/etc/passwd",
    "/%2E%2E%2Fetc%2Fpasswd",
    "/page/../../etc/passwd",
    "/..%5c..%5cetc%5cpasswd",
    "//etc/passwd",
    "/%2Fetc%2Fpasswd",
    "/hello.txt%00.png",
    "/leak",
])
def test_traversal_is_refused(site, path):
    server, _, _, _ = site
    code = status(server.url + path, "--path-as-is")
    assert code in (400, 403, 404), f"{path}: {code}"
    assert b"secret" not in curl("--path-as-is", server.url + path)
    assert b"root:" not in curl("--path-as-is", server.url + path)
    # The server keeps serving.
    assert requests.get(server.url + "/hello.txt", timeout=5).status_code == 200


def test_a_link_inside_the_root_is_served(site):
    server, _, _, _ = site
    assert requests.get(server.url + "/inside", timeout=5).text == "hello, files\n"

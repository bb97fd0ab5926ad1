"""HTTPS and WSS with real clients: Python ``requests`` verifying against
the test CA, ``websockets`` over ``wss://``, headless Chromium on the demo's
live page over HTTPS, the demo's plain-HTTP redirect port, the seed faces'
HTTPS options (Pycom's ``--keyfile/--certfile``, mpgameserver's
``--privkey/--cert``), and bad certificate files at start-up.

Certificates are made by ``tests/tls/make-certs.sh`` (openssl) in a
temporary directory. Servers listen on 127.0.0.1 only and are stopped by
their handles; every wait is bounded.
"""

import asyncio
import base64
import json
import socket
import ssl
import subprocess

import pytest
import requests
from websockets.asyncio.client import connect

from conftest import example
from servers import ROOT, Server, find_binary
from test_browser import drive

STEP = 10  # seconds for any one network step


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(ROOT / "tests/tls/make-certs.sh"), str(d)], check=True, timeout=120)
    return d


def demo_binary():
    return find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO")


@pytest.fixture(scope="module")
def tls_demo(certs):
    """The demo over HTTPS (ECDSA certificate) with a redirect port."""
    server = Server(demo_binary(), ["--quiet", "--tls-cert", str(certs / "ec.pem"), "--tls-key", str(certs / "ec.key"),
                                    "--redirect-port", "0"], "ferrodot demo listening on https://")
    try:
        line = server.next_line()
        prefix, suffix = "redirecting http://", " to https"
        assert line.startswith(prefix) and line.endswith(suffix), line
        server.redirect = line[len(prefix):-len(suffix)]
        server.url = f"https://{server.addr}"
        yield server
    finally:
        server.stop()


def test_requests_get_post_and_keep_alive(tls_demo, certs):
    ca = str(certs / "ca.pem")
    with requests.Session() as s:
        # REQUESTS_CA_BUNDLE, if set, would override a session's `verify`.
        s.trust_env = False
        s.verify = ca
        first = s.get(tls_demo.url + "/status", timeout=STEP)
        assert first.status_code == 200, first.text
        before = first.json()["triggers"]
        r = s.post(tls_demo.url + "/trigger", timeout=STEP)
        assert r.status_code == 200 and r.json()["triggers"] == before + 1, r.text
        r = s.put(tls_demo.url + "/config", json={"interval_ms": 100}, timeout=STEP)
        assert r.status_code in (200, 204), r.text
        for _ in range(20):
            assert s.get(tls_demo.url + "/status", timeout=STEP).status_code == 200
    # Without the CA the certificate is refused.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_demo.url + "/status", timeout=STEP)


def test_redirect_port_answers_308_to_https(tls_demo, certs):
    r = requests.get(f"http://{tls_demo.redirect}/status?x=1", allow_redirects=False, timeout=STEP)
    assert r.status_code == 308, r.text
    assert r.headers["Location"] == f"https://{tls_demo.addr}/status?x=1"
    r = requests.post(f"http://{tls_demo.redirect}/trigger", allow_redirects=False, timeout=STEP)
    assert r.status_code == 308 and r.headers["Location"] == f"https://{tls_demo.addr}/trigger"
    # Followed (308 keeps the method), with the certificate verified.
    r = requests.post(f"http://{tls_demo.redirect}/trigger", verify=str(certs / "ca.pem"), timeout=STEP)
    assert r.status_code == 200 and r.url == f"https://{tls_demo.addr}/trigger"


def test_plain_http_to_the_https_port(tls_demo):
    r = requests.get(f"http://{tls_demo.addr}/status", timeout=STEP)
    assert r.status_code == 400
    assert r.text.strip() == "plain HTTP request sent to the HTTPS port"


def test_websocket_over_wss(tls_demo, certs):
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))

    async def go():
        url = f"wss://{tls_demo.addr}/ws"
        async with connect(url, ssl=context, open_timeout=STEP, close_timeout=STEP, ping_interval=None) as ws:
            seen = []
            for _ in range(2):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), STEP)))
            assert all("frames" in s for s in seen), seen
            assert seen[1]["frames"] >= seen[0]["frames"]

    asyncio.run(asyncio.wait_for(go(), 60))


def spki_sha256(cert_path):
    """The base64 SHA-256 of a certificate's public key, for Chromium's
    ``--ignore-certificate-errors-spki-list`` (trusts that one key)."""
    der = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-pubkey", "-noout"], capture_output=True, check=True, timeout=10).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=der, capture_output=True, check=True, timeout=10).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, capture_output=True, check=True, timeout=10).stdout
    return base64.b64encode(digest).decode()


def test_chromium_live_page_over_https_and_wss(tls_demo, certs):
    # Chromium on Linux trusts CAs from an NSS database (certutil); instead,
    # the test trusts exactly the server's key, which still checks that the
    # server presents it and completes a real handshake.
    flags = [f"--ignore-certificate-errors-spki-list={spki_sha256(certs / 'ec.pem')}"]
    after = asyncio.run(drive(tls_demo.url + "/", "websocket", flags=flags))
    status = requests.get(tls_demo.url + "/status", verify=str(certs / "ca.pem"), timeout=STEP).json()
    assert status["triggers"] >= after
    asyncio.run(drive(tls_demo.url + "/#sse", "server-sent events", flags=flags))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_memory_per_tls_connection_is_bounded(certs):
    """50 open keep-alive HTTPS connections, each after one request: the
    demo's resident memory grows by the figure the README quotes."""
    server = Server(demo_binary(), ["--quiet", "--tls-cert", str(certs / "ec.pem"), "--tls-key", str(certs / "ec.key")],
                    "ferrodot demo listening on https://")
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    conns = []
    try:
        def one_request():
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=STEP)
            s = context.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n")
            got = b""
            while b"}" not in got:
                chunk = s.recv(4096)
                assert chunk, got
                got += chunk
            assert got.startswith(b"HTTP/1.1 200"), got
            return s

        # Warm up: pools, the session cache, the allocator's arenas.
        for _ in range(5):
            one_request().close()
        before = rss_kib(server.proc.pid)
        for _ in range(50):
            conns.append(one_request())
        per_conn = (rss_kib(server.proc.pid) - before) / 50
        print(f"RSS per open TLS connection: {per_conn:.1f} KiB")
        assert per_conn < 96, per_conn
    finally:
        for c in conns:
            c.close()
        server.stop()


def test_pycom_resources_keyfile_certfile(certs):
    server = example("pycom_resources", ["--keyfile", str(certs / "rsa.key"), "--certfile", str(certs / "rsa.pem")],
                     "listening on https://")
    try:
        r = requests.get(f"https://{server.addr}/resource1", verify=str(certs / "ca.pem"), timeout=STEP)
        assert (r.status_code, r.text) == (200, "Hello Client!")
        r = requests.put(f"https://{server.addr}/resource2", json={"on": True}, verify=str(certs / "ca.pem"), timeout=STEP)
        assert r.status_code in (200, 204), r.text
    finally:
        server.stop()


def test_user_resource_privkey_cert(certs, tmp_path):
    server = example("user_resource", ["--dir", str(tmp_path), "--privkey", str(certs / "ed25519.key"), "--cert", str(certs / "ed25519.pem")],
                     "listening on https://")
    try:
        base = f"https://{server.addr}"
        ca = str(certs / "ca.pem")
        r = requests.post(base + "/user/bob", json={"score": 10}, verify=ca, timeout=STEP)
        assert r.status_code == 201, r.text
        assert requests.get(base + "/user/bob", verify=ca, timeout=STEP).json()["profile"] == {"score": 10}
    finally:
        server.stop()


@pytest.mark.parametrize("cert,key,message", [
    ("expired.pem", "ec.key", "the certificate expired at 2020-02-01 00:00:00 UTC"),
    ("ec.pem", "rsa.key", "the private key does not match the certificate"),
    ("missing.pem", "ec.key", "cannot read the certificate file"),
    ("server.ext", "ec.key", "the certificate file is not PEM"),
    ("ec.key", "ec.key", "the certificate file has no CERTIFICATE section"),
])
def test_bad_certificate_files_at_start_up(certs, cert, key, message):
    runs = [
        (demo_binary(), ["--tls-cert", str(certs / cert), "--tls-key", str(certs / key)]),
        (find_binary("examples/pycom_resources", ["--example", "pycom_resources"], "FERRODOT_PYCOM_RESOURCES"),
         ["--certfile", str(certs / cert), "--keyfile", str(certs / key)]),
        (find_binary("examples/user_resource", ["--example", "user_resource"], "FERRODOT_USER_RESOURCE"),
         ["--cert", str(certs / cert), "--privkey", str(certs / key)]),
    ]
    for binary, args in runs:
        done = subprocess.run([str(binary), "--host", "127.0.0.1", "--port", "0", *args], capture_output=True, text=True, timeout=20)
        assert done.returncode == 1, (binary.name, done.returncode, done.stdout, done.stderr)
        assert message in done.stderr, (binary.name, done.stderr)
        assert "panicked" not in done.stderr, done.stderr
        assert "listening" not in done.stdout, done.stdout

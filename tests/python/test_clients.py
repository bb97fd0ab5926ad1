"""ferrodot's HTTP client as its users run it: the seed-002 ``http_get``
example against a Python HTTP/1.1 server that records which connection each
request came on, and over HTTPS against the demo with a test CA; the
seed-003 ``mpg_client`` example against the demo. Everything on 127.0.0.1,
every step bounded."""

import http.server
import subprocess
import threading

import pytest
import requests

from conftest import Demo
from servers import ROOT, Server, find_binary

STEP = 20  # seconds for any one run


def binary(name):
    return str(find_binary(f"examples/{name}", ["--example", name], f"FERRODOT_{name.upper()}"))


class Recording(http.server.BaseHTTPRequestHandler):
    """Answers `/<word>` with `<word>!` (keep-alive, a length) and records
    the client port of every request."""

    protocol_version = "HTTP/1.1"
    seen = []

    def do_GET(self):
        Recording.seen.append((self.client_address[1], self.path))
        if self.path == "/missing":
            body = b"no such thing"
            self.send_response(404)
        else:
            body = self.path.strip("/").encode() + b"!"
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording():
    Recording.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_get_prints_bodies_in_order_over_one_connection(recording):
    urls = [f"{recording}/{w}" for w in ("one", "two", "three")] + [f"{recording}/missing"]
    run = subprocess.run([binary("http_get"), *urls], capture_output=True, timeout=STEP)
    assert run.returncode == 0, run.stderr
    assert run.stdout == b"one!two!three!no such thing"
    assert run.stderr.decode().count("HTTP/1.1 200 OK") == 3
    assert "HTTP/1.1 404 Not Found" in run.stderr.decode()
    assert "Content-Length: 4" in run.stderr.decode()
    ports = {port for port, _ in Recording.seen}
    assert [path for _, path in Recording.seen] == ["/one", "/two", "/three", "/missing"]
    assert len(ports) == 1, f"expected one kept-alive connection, saw client ports {ports}"


def test_http_get_fails_with_one_line(recording):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    run = subprocess.run([binary("http_get"), f"{recording}/one", f"http://127.0.0.1:{closed_port}/"], capture_output=True, timeout=STEP)
    assert run.returncode == 1
    assert run.stdout == b"one!", "the first URL was still printed"
    last = run.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("http_get: http://127.0.0.1:") and "refused" in last, last
    bad = subprocess.run([binary("http_get"), "ftp://127.0.0.1/"], capture_output=True, timeout=STEP)
    assert bad.returncode == 1 and bad.stderr.decode().count("\n") == 1, bad.stderr


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(ROOT / "tests/tls/make-certs.sh"), str(d)], check=True, timeout=120)
    return d


def test_http_get_over_https_with_a_test_ca(certs):
    demo = Server(find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO"),
                  ["--quiet", "--tls-cert", str(certs / "ec.pem"), "--tls-key", str(certs / "ec.key")],
                  "ferrodot demo listening on https://")
    try:
        url = f"https://{demo.addr}/status"
        run = subprocess.run([binary("http_get"), "--cacert", str(certs / "ca.pem"), url, url], capture_output=True, timeout=STEP)
        assert run.returncode == 0, run.stderr
        assert run.stdout.count(b'"frames"') == 2
        # Without the CA the certificate does not verify: an error, no body.
        untrusted = subprocess.run([binary("http_get"), url], capture_output=True, timeout=STEP)
        assert untrusted.returncode == 1 and untrusted.stdout == b""
        assert "certificate" in untrusted.stderr.decode()
    finally:
        demo.stop()


def test_mpg_client_counts_down_and_fires_every_callback():
    demo = Demo()
    try:
        host, port = demo.addr.rsplit(":", 1)
        before = requests.get(f"{demo.url}/status", timeout=5).json()["triggers"]
        run = subprocess.run([binary("mpg_client"), "--host", host, "--port", port], capture_output=True, timeout=STEP)
        assert run.returncode == 0, run.stderr
        lines = run.stdout.decode().splitlines()
        pendings = [int(l.split()[1]) for l in lines if l.startswith("pending ")]
        assert pendings == [6, 5, 4, 3, 2, 1, 0], lines
        callbacks = [l for l in lines if l.startswith("callback ")]
        assert len(callbacks) == 6
        assert sum(" GET /status -> 200 " in l for l in callbacks) == 5
        assert sum(" POST /trigger -> 200 " in l for l in callbacks) == 1
        after = requests.get(f"{demo.url}/status", timeout=5).json()["triggers"]
        assert after == before + 1, "the POST reached the demo once"
    finally:
        demo.stop()


def test_mpg_client_reports_a_server_that_is_not_there():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    run = subprocess.run([binary("mpg_client"), "--host", "127.0.0.1", "--port", str(closed_port)], capture_output=True, timeout=STEP)
    assert run.returncode == 1
    assert run.stdout.decode().count("-> 418 cannot connect") == 6


class Ingest(http.server.BaseHTTPRequestHandler):
    """Takes `POST /ingest` and answers 201; records each body."""

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


def test_demo_report_posts_its_status_with_the_client(demo, base):
    Ingest.bodies = []
    ingest = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=ingest.serve_forever, daemon=True).start()
    try:
        port = ingest.server_address[1]
        r = requests.post(f"{base}/report", json={"host": "127.0.0.1", "port": port, "path": "/ingest"}, timeout=10)
        assert (r.status_code, r.json()) == (200, {"status": 201})
        path, kind, body = Ingest.bodies[-1]
        assert (path, kind) == ("/ingest", "application/json")
        import json
        status = json.loads(body)
        assert set(status) == {"frames", "triggers"}
    finally:
        ingest.shutdown()
        ingest.server_close()
    # Nothing listens there: 502 with the reason.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    r = requests.post(f"{base}/report", json={"host": "127.0.0.1", "port": closed_port, "path": "/ingest"}, timeout=10)
    assert r.status_code == 502 and "refused" in r.json()["error"], r.text
    r = requests.post(f"{base}/report", json={"host": "127.0.0.1", "port": port, "path": "ingest"}, timeout=10)
    assert r.status_code == 400 and r.json() == {"error": "path must start with /"}
    r = requests.post(f"{base}/report", data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400


def test_demo_report_answers_502_for_garbage():
    import socket
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def garbage():
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    threading.Thread(target=garbage, daemon=True).start()
    demo = Demo()
    try:
        r = requests.post(f"{demo.url}/report", json={"host": "127.0.0.1", "port": listener.getsockname()[1], "path": "/x"}, timeout=10)
        assert r.status_code == 502 and "HTTP" in r.json()["error"], r.text
    finally:
        demo.stop()


NGINX = "/usr/sbin/nginx"


@pytest.fixture
def nginx(tmp_path):
    """nginx on 127.0.0.1 and a free port: `/status` (a `return`), a
    100 KB static file, and an access log of each request's connection
    number."""
    import os
    import socket
    import time
    if not os.path.exists(NGINX):
        pytest.fail("nginx is needed (Debian's nginx-light; .ci/run installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "big.bin").write_bytes(bytes(i % 251 for i in range(100_000)))
    (tmp_path / "logs").mkdir()
    # As root, nginx's worker would run as nobody, who cannot read pytest's
    # temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    log_format conn '$connection $request';
    client_body_temp_path {tmp_path}/body;
    server {{
        listen 127.0.0.1:{port};
        access_log {tmp_path}/logs/access.log conn;
        root {tmp_path}/www;
        location = /status {{ default_type application/json; return 200 '{{"frames":123,"triggers":4}}'; }}
    }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", tmp_path / "logs" / "access.log"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_http_get_against_nginx_keeps_one_connection(nginx):
    base, log = nginx
    run = subprocess.run([binary("http_get"), f"{base}/status", f"{base}/big.bin", f"{base}/status", f"{base}/missing"],
                         capture_output=True, timeout=STEP)
    assert run.returncode == 0, run.stderr
    big = bytes(i % 251 for i in range(100_000))
    status = b'{"frames":123,"triggers":4}'
    assert run.stdout[:len(status)] == status
    assert run.stdout[len(status):len(status) + len(big)] == big
    assert "HTTP/1.1 404 Not Found" in run.stderr.decode()
    import time
    time.sleep(0.2)  # nginx writes the log line after the response
    connections = [line.split()[0] for line in log.read_text().splitlines()]
    assert len(connections) == 4 and len(set(connections)) == 1, connections

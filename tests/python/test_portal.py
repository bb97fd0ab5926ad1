"""The demo's portal mode over real sockets on 127.0.0.1: the captive DNS
with dig and dnspython, mDNS unicast queries, the probe URLs with curl
before and after provisioning, and a restart on the same store file.

Every server is started with ``--port 0 --dns-port 0 --mdns-port 0`` and
stopped by the test that started it; every client call has a time limit.
"""

import re
import shutil
import subprocess
import urllib.request

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from servers import Server, find_binary

PASSWORD = "correct-horse-battery-staple"
PROBES = [
    "/generate_204",
    "/gen_204",
    "/hotspot-detect.html",
    "/library/test/success.html",
    "/connecttest.txt",
    "/ncsi.txt",
    "/redirect",
    "/canonical.html",
    "/success.txt",
]
APPLE = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"


class Portal(Server):
    def __init__(self, store, extra=()):
        binary = find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO")
        args = ["--portal", "--dns-port", "0", "--mdns-port", "0", "--store", str(store), *extra]
        super().__init__(binary, args, "ferrodot demo listening on http://")
        self.url = f"http://{self.addr}"
        self.log = []
        self.dns_port = self.mdns_port = None
        while self.dns_port is None or self.mdns_port is None:
            line = self.next_line()
            self.log.append(line)
            if m := re.match(r"portal: DNS on udp://127\.0\.0\.1:(\d+)", line):
                self.dns_port = int(m.group(1))
            if m := re.match(r"portal: mDNS \(unicast\) on udp://127\.0\.0\.1:(\d+)", line):
                self.mdns_port = int(m.group(1))

    def output(self):
        """Everything printed so far (after a stop: everything)."""
        while True:
            try:
                line = self.lines.get(timeout=0.2)
            except Exception:
                return "\n".join(self.log)
            if line == "":
                return "\n".join(self.log)
            self.log.append(line.rstrip("\n"))


@pytest.fixture
def start_portal():
    started = []

    def start(store, extra=()):
        server = Portal(store, extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def dig(port, *args):
    if shutil.which("dig") is None:
        pytest.fail("dig is not installed (apt-get install bind9-dnsutils)")
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), "+time=2", "+tries=1", *args],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return out.stdout


def curl(url, *args):
    """Status, headers (lower-case names) and body of one curl request."""
    out = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "5", *args, url], capture_output=True, timeout=10
    ).stdout.decode()
    head, _, body = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, headers, body


def udp(message, port):
    return dns.query.udp(message, "127.0.0.1", port=port, timeout=3)


def test_dig_a_aaaa_and_other_types(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    assert dig(server.dns_port, "anything.example", "A", "+short").split() == ["127.0.0.1"]
    for name in ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com"]:
        assert dig(server.dns_port, name, "A", "+short").split() == ["127.0.0.1"], name
    aaaa = dig(server.dns_port, "anything.example", "AAAA")
    assert "status: NOERROR" in aaaa and "ANSWER: 0" in aaaa, aaaa
    mx = dig(server.dns_port, "anything.example", "MX")
    assert "status: NOTIMP" in mx, mx
    # The TTL is short.
    answer = udp(dns.message.make_query("a.example", "A"), server.dns_port)
    assert answer.answer[0].ttl == 10


def test_dnspython_edge_cases(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    port = server.dns_port
    # EDNS with a cookie: answered, with an OPT record back.
    q = dns.message.make_query("captive.apple.com", "A", use_edns=0, options=[dns.edns.GenericOption(10, b"\x01" * 8)])
    r = udp(q, port)
    assert r.rcode() == dns.rcode.NOERROR and r.edns == 0
    assert [rr.address for rr in r.answer[0]] == ["127.0.0.1"]
    assert r.flags & dns.flags.AA and r.id == q.id
    # Upper case is kept, the name compared as DNS does.
    r = udp(dns.message.make_query("CaPtIvE.ApPlE.CoM", "A"), port)
    assert r.question[0].name.to_text() == "CaPtIvE.ApPlE.CoM."
    # An EDNS version above 0: BADVERS.
    r = udp(dns.message.make_query("x.example", "A", use_edns=1), port)
    assert r.rcode() == dns.rcode.BADVERS
    # Other opcodes: NOTIMP.
    q = dns.message.make_query("x.example", "A")
    q.set_opcode(dns.opcode.STATUS)
    assert udp(q, port).rcode() == dns.rcode.NOTIMP
    # Two questions: FORMERR.
    wire = bytearray(dns.message.make_query("x.example", "A").to_wire())
    question = wire[12:]
    wire[5] = 2
    wire += question
    assert dns.message.from_wire(send_raw(bytes(wire), port)).rcode() == dns.rcode.FORMERR
    # A compression loop in the question: FORMERR; garbage and responses: no reply.
    loop = bytes(wire[:4]) + b"\x00\x01\x00\x00\x00\x00\x00\x00" + b"\xc0\x0c\x00\x01\x00\x01"
    assert dns.message.from_wire(send_raw(loop, port)).rcode() == dns.rcode.FORMERR
    assert send_raw(b"\x00\x01\x02", port) is None
    response = dns.message.make_response(dns.message.make_query("x.example", "A")).to_wire()
    assert send_raw(response, port) is None
    # Still serving after all that.
    assert dig(port, "still.example", "A", "+short").split() == ["127.0.0.1"]


def send_raw(payload, port):
    """One datagram; the reply or None after 1 s."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recv(2048)
        except socket.timeout:
            return None


def test_mdns_unicast_queries(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    port = server.mdns_port
    assert dig(port, "camera.local", "A", "+short").split() == ["127.0.0.1"]
    q = dns.message.make_query("_http._tcp.local", "PTR")
    r = udp(q, port)
    assert r.id == q.id and r.question[0].name.to_text() == "_http._tcp.local."
    assert [rr.target.to_text() for rr in r.answer[0]] == ["camera._http._tcp.local."]
    extra = {rrset.rdtype: rrset for rrset in r.additional}
    assert extra[dns.rdatatype.SRV][0].port == server.port
    assert extra[dns.rdatatype.SRV][0].target.to_text() == "camera.local."
    assert extra[dns.rdatatype.A][0].address == "127.0.0.1"
    assert all(rrset.ttl <= 10 for rrset in [*r.answer, *r.additional])  # legacy unicast
    # Not ours: silence.
    assert send_raw(dns.message.make_query("printer.local", "A").to_wire(), port) is None


def test_probes_before_and_after_setup_and_after_a_restart(start_portal, tmp_path):
    store = tmp_path / "creds"
    server = start_portal(store)
    setup = f"{server.url}/setup"
    for path in PROBES:
        status, headers, _ = curl(server.url + path)
        assert (status, headers.get("location")) == (302, setup), path
    status, headers, body = curl(server.url + "/captive-portal")
    assert headers["content-type"] == "application/captive+json"
    assert body == '{"captive": true, "user-portal-url": "%s"}' % setup
    status, _, form = curl(setup)
    assert status == 200 and 'name="ssid"' in form and 'name="password"' in form
    # The setup form, posted as a browser posts it.
    status, _, page = curl(setup, "--data-urlencode", "ssid=Lab Net", "--data-urlencode", f"password={PASSWORD}")
    assert status == 200 and "Saved" in page and "Lab Net" in page
    assert PASSWORD not in page
    assert PASSWORD.encode() in store.read_bytes()

    def provisioned(url):
        assert curl(url + "/generate_204")[0] == 204
        assert curl(url + "/gen_204")[0] == 204
        assert curl(url + "/hotspot-detect.html")[2] == APPLE
        assert curl(url + "/library/test/success.html")[2] == APPLE
        assert curl(url + "/connecttest.txt")[2] == "Microsoft Connect Test"
        assert curl(url + "/ncsi.txt")[2] == "Microsoft NCSI"
        assert "support.mozilla.org/kb/captive-portal" in curl(url + "/canonical.html")[2]
        assert curl(url + "/success.txt")[2] == "success\n"
        assert curl(url + "/captive-portal")[2] == '{"captive": false}'
        status, _, page = curl(url + "/setup")
        assert status == 200 and "Lab Net" in page and PASSWORD not in page
        # Set up once: a second POST is refused.
        assert curl(url + "/setup", "-d", "ssid=evil&password=12345678")[0] == 403

    provisioned(server.url)
    server.stop()
    assert PASSWORD not in server.output()

    again = start_portal(store)
    assert any("provisioned" in line and "not provisioned" not in line for line in again.log), again.log
    provisioned(again.url)
    # The camera's own routes are still there.
    with urllib.request.urlopen(again.url + "/status", timeout=5) as r:
        assert r.status == 200
    again.stop()
    assert PASSWORD not in again.output()


def test_bad_setup_forms_are_refused(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    status, _, page = curl(server.url + "/setup", "-d", "ssid=Home&password=short")
    assert status == 400 and "short" not in page
    assert curl(server.url + "/generate_204")[0] == 302
    assert not (tmp_path / "creds").exists()


def test_setup_form_in_headless_chromium(start_portal, tmp_path):
    """A browser follows a probe to the setup form, fills it in and saves;
    after a restart on the same store the device is still set up."""
    import asyncio

    from test_browser import open_page

    store = tmp_path / "creds"
    server = start_portal(store)

    async def fill_in(url):
        async with open_page(url + "/hotspot-detect.html") as page:
            await page.wait_for("document.getElementById('password') !== null", "the setup form")
            assert await page.js("location.pathname") == "/setup"
            options = await page.js("[...document.querySelectorAll('#networks option')].map(o => o.value)")
            assert "camera-lab" in options
            await page.js("document.getElementById('ssid').value = 'camera-lab'")
            await page.js(f"document.getElementById('password').value = '{PASSWORD}'")
            await page.js("document.getElementById('save').click()")
            await page.wait_for("document.getElementById('saved') !== null", "the saved page")
            html = await page.js("document.documentElement.outerHTML")
            assert "camera-lab" in html and PASSWORD not in html

    asyncio.run(asyncio.wait_for(fill_in(server.url), 60))
    server.stop()
    assert PASSWORD not in server.output()

    again = start_portal(store)

    async def check(url):
        async with open_page(url + "/setup") as page:
            await page.wait_for("document.getElementById('ssid') !== null", "the setup page")
            assert await page.js("document.getElementById('ssid').textContent") == "camera-lab"
            assert await page.js("document.querySelector('form') === null")
            fetched = await page.call(
                "Runtime.evaluate", expression="fetch('/generate_204').then(r => r.status)", awaitPromise=True
            )
            assert fetched["result"]["value"] == 204

    asyncio.run(asyncio.wait_for(check(again.url), 60))


def test_reset_needs_the_admin_and_cross_site_posts_are_refused(start_portal, tmp_path):
    store = tmp_path / "creds"
    server = start_portal(store, ["--admin-password", "s3cret-admin"])
    # A page on another site cannot post the form (the camera's CSRF guard).
    status, _, _ = curl(server.url + "/setup", "-H", "Origin: http://evil.example", "-d", "ssid=X&password=12345678")
    assert status == 403
    assert curl(server.url + "/generate_204")[0] == 302
    assert curl(server.url + "/setup", "-d", f"ssid=Lab&password={PASSWORD}")[0] == 200
    # Reset: 401 without the admin, then 302 to the setup page with it.
    assert curl(server.url + "/setup/reset", "-X", "POST")[0] == 401
    assert curl(server.url + "/generate_204")[0] == 204
    status, headers, _ = curl(server.url + "/setup/reset", "-X", "POST", "-u", "admin:s3cret-admin")
    assert (status, headers.get("location")) == (302, f"{server.url}/setup")
    assert curl(server.url + "/generate_204")[0] == 302
    assert PASSWORD.encode() not in store.read_bytes()

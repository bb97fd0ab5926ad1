"""The demo's portal mode over real sockets on 127.0.0.1: the captive DNS
with dig and dnspython, mDNS unicast queries, the probe URLs with curl
before and after provisioning, and a restart on the same store file.

Every server is started with ``--port 0 --dns-port 0 --mdns-port 0
--dhcp-port 0`` and stopped by the test that started it; every client call
has a time limit. The DHCP client acts as a relay agent (``giaddr`` =
127.0.0.1, its own address), so the replies come back to its own port, by
unicast, never broadcast.
"""

import gzip
import json
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from servers import ROOT, Server, find_binary

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
SETUP_HTML = (ROOT / "apps" / "camera" / "assets" / "setup.html").read_bytes()
APPLE = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"


class Portal(Server):
    def __init__(self, store, extra=()):
        binary = find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO")
        args = ["--portal", "--dns-port", "0", "--mdns-port", "0", "--dhcp-port", "0", "--store", str(store), *extra]
        super().__init__(binary, args, "ferrodot demo listening on http://")
        self.url = f"http://{self.addr}"
        self.log = []
        self.dns_port = self.mdns_port = self.dhcp_port = None
        while None in (self.dns_port, self.mdns_port, self.dhcp_port):
            line = self.next_line()
            self.log.append(line)
            if m := re.match(r"portal: DNS on udp://127\.0\.0\.1:(\d+)", line):
                self.dns_port = int(m.group(1))
            if m := re.match(r"portal: mDNS \(unicast\) on udp://127\.0\.0\.1:(\d+)", line):
                self.mdns_port = int(m.group(1))
            if m := re.match(r"portal: DHCP on udp://127\.0\.0\.1:(\d+)", line):
                self.dhcp_port = int(m.group(1))

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


def get(url, headers=None):
    """Status, headers and raw body bytes (urllib follows no 304)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_the_setup_page_is_the_camera_asset(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    setup = f"{server.url}/setup"
    status, headers, body = get(setup)
    assert status == 200 and body == SETUP_HTML
    assert headers["Content-Type"].startswith("text/html")
    etag = headers["ETag"]
    # A plain form: without JavaScript it posts the fields /setup reads.
    html = body.decode()
    assert '<form method="post" action="/setup">' in html
    assert 'name="ssid"' in html and 'name="password"' in html and "http://" not in html and "https://" not in html
    status, headers, gz = get(setup, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(gz) == SETUP_HTML
    assert headers["ETag"] != etag and "Accept-Encoding" in ", ".join(headers.get_all("Vary"))
    assert get(setup, {"If-None-Match": etag})[0] == 304
    status, headers, nets = get(f"{server.url}/setup/networks")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert json.loads(nets) == {"networks": ["camera-lab", "Home", "Guest"]}
    # The form as the page posts it still stores; then no form, no networks.
    status, _, page = curl(setup, "--data-urlencode", "ssid=Guest", "--data-urlencode", f"password={PASSWORD}")
    assert status == 200 and "Guest" in page and PASSWORD not in page
    status, _, body = get(setup, {"If-None-Match": etag})
    assert status == 200 and b"<form" not in body and b"Guest" in body
    assert json.loads(get(f"{server.url}/setup/networks")[2]) == {"networks": []}


def test_bad_setup_forms_are_refused(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    status, _, page = curl(server.url + "/setup", "-d", "ssid=Home&password=short")
    assert status == 400 and "short" not in page
    assert curl(server.url + "/generate_204")[0] == 302
    assert not (tmp_path / "creds").exists()


async def responses_without_password(page):
    """Checks each response body the tab got since the last call (waiting up
    to 5 s for one to finish loading); how many there were."""

    def unchecked():
        return [e for e in page.events if e["method"] == "Network.loadingFinished" and not e.get("checked")]

    deadline = time.monotonic() + 5
    while not unchecked() and time.monotonic() < deadline:
        await page.js("0")  # DevTools events arrive while a command runs
    checked = 0
    for event in unchecked():
        event["checked"] = True
        body = await page.call("Network.getResponseBody", requestId=event["params"]["requestId"])
        assert PASSWORD not in body["body"], body["body"][:200]
        checked += 1
    return checked


def test_setup_form_in_headless_chromium(start_portal, tmp_path):
    """A browser follows a probe to the setup form, fills it in and saves;
    after a restart on the same store the device is still set up."""
    import asyncio

    from test_browser import open_page

    store = tmp_path / "creds"
    server = start_portal(store)

    async def fill_in(url):
        async with open_page(url + "/hotspot-detect.html", network=True) as page:
            await page.wait_for("document.getElementById('password') !== null", "the setup form")
            assert await page.js("location.pathname") == "/setup"
            assert await page.js("document.title") == "Camera setup"  # the asset, not the built-in form
            # The page's script fills the datalist from GET /setup/networks.
            await page.wait_for("document.getElementById('networks').dataset.loaded", "the network list")
            options = await page.js("[...document.querySelectorAll('#networks option')].map(o => o.value)")
            assert options == ["camera-lab", "Home", "Guest"]
            await page.js("document.getElementById('ssid').value = 'camera-lab'")
            await page.js(f"document.getElementById('password').value = '{PASSWORD}'")
            # The page and the networks JSON, before the form is posted.
            assert await responses_without_password(page) >= 2
            await page.js("document.getElementById('save').click()")
            await page.wait_for("document.getElementById('saved') !== null", "the saved page")
            html = await page.js("document.documentElement.outerHTML")
            assert "camera-lab" in html and PASSWORD not in html
            # Nor any other response the browser got (after the navigation, the
            # saved page is the only one Chromium still holds).
            assert await responses_without_password(page) >= 1

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


# ------------------------------------------------------------------ DHCP

DISCOVER, OFFER, REQUEST, ACK, NAK, RELEASE = 1, 2, 3, 5, 6, 7
MAGIC = b"\x63\x82\x53\x63"


def dhcp_packet(kind, mac, xid, options=b"", giaddr="127.0.0.1", ciaddr="0.0.0.0"):
    """A BOOTREQUEST as a relay agent at ``giaddr`` forwards it (hops = 1)."""
    head = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1, 1, 6, 1, xid, 0, 0,
        socket.inet_aton(ciaddr), b"\0" * 4, b"\0" * 4, socket.inet_aton(giaddr),
        mac.ljust(16, b"\0"), b"", b"",
    )
    return head + MAGIC + bytes([53, 1, kind]) + options + b"\xff"


def parse_dhcp(reply):
    """(op, xid, yiaddr, giaddr, chaddr, {option: value})."""
    op, _, _, _, xid, _, _, _, yiaddr, _, giaddr, chaddr = struct.unpack("!BBBBIHH4s4s4s4s16s", reply[:44])
    assert reply[236:240] == MAGIC
    options, at = {}, 240
    while reply[at] != 255:
        if reply[at] == 0:
            at += 1
            continue
        code, length = reply[at], reply[at + 1]
        options[code] = reply[at + 2 : at + 2 + length]
        at += 2 + length
    return op, xid, socket.inet_ntoa(yiaddr), socket.inet_ntoa(giaddr), chaddr[:6], options


def dhcp_exchange(port, payload, timeout=2.0):
    """Send from 127.0.0.1 (the relay); the reply to our port, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recv(2048)
        except socket.timeout:
            return None


def ip(text):
    return socket.inet_aton(text)


def test_dhcp_through_a_relay(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    port = server.dhcp_port
    assert any("pool 127.0.0.11-127.0.0.42" in line for line in server.log), server.log
    api = f"{server.url}/captive-portal"
    mac1, mac2 = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"

    reply = dhcp_exchange(port, dhcp_packet(DISCOVER, mac1, 0x1111))
    assert reply is not None, "no OFFER"
    assert len(reply) >= 300  # the BOOTP minimum
    op, xid, yiaddr, giaddr, chaddr, options = parse_dhcp(reply)
    assert (op, xid, giaddr, chaddr) == (2, 0x1111, "127.0.0.1", mac1)
    assert options[53] == bytes([OFFER])
    offered = yiaddr
    assert 11 <= int(offered.split(".")[3]) <= 42 and offered.startswith("127.0.0."), offered
    assert options[54] == ip("127.0.0.1")  # server identifier
    assert options[3] == ip("127.0.0.1")  # router
    assert options[6] == ip("127.0.0.1")  # DNS
    assert options[1] == ip("255.255.255.0")
    assert struct.unpack("!I", options[51])[0] == 3600
    assert options[114].decode() == api
    # The captive-portal URL it hands out is the demo's RFC 8908 API.
    assert curl(api)[1]["content-type"] == "application/captive+json"

    request = bytes([50, 4]) + ip(offered) + bytes([54, 4]) + ip("127.0.0.1")
    op, xid, yiaddr, _, chaddr, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(REQUEST, mac1, 0x2222, request)))
    assert (options[53], xid, yiaddr, chaddr) == (bytes([ACK]), 0x2222, offered, mac1)
    assert options[114].decode() == api and struct.unpack("!I", options[51])[0] == 3600

    # A second client gets another address; it cannot take the first one's.
    _, _, second, _, _, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(DISCOVER, mac2, 0x3333)))
    assert options[53] == bytes([OFFER]) and second != offered and second.startswith("127.0.0.")
    taken = bytes([50, 4]) + ip(offered)
    _, _, _, _, _, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(REQUEST, mac2, 0x4444, taken)))
    assert options[53] == bytes([NAK]) and 114 not in options

    # RELEASE: no reply; the address is free for a third client now (the
    # second one keeps the address it was offered: one address per client).
    release = bytes([54, 4]) + ip("127.0.0.1")
    assert dhcp_exchange(port, dhcp_packet(RELEASE, mac1, 0x5555, release, ciaddr=offered), timeout=1) is None
    mac3 = b"\x02\x00\x00\x00\x00\x03"
    wanted = bytes([50, 4]) + ip(offered)
    _, _, yiaddr, _, _, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(DISCOVER, mac3, 0x6666, wanted)))
    assert (options[53], yiaddr) == (bytes([OFFER]), offered)
    _, _, yiaddr, _, _, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(REQUEST, mac3, 0x6667, wanted + release)))
    assert (options[53], yiaddr) == (bytes([ACK]), offered)
    _, _, yiaddr, _, _, options = parse_dhcp(dhcp_exchange(port, dhcp_packet(REQUEST, mac2, 0x6668, bytes([50, 4]) + ip(second))))
    assert (options[53], yiaddr) == (bytes([ACK]), second)


def test_dhcp_garbage_gets_no_reply(start_portal, tmp_path):
    server = start_portal(tmp_path / "creds")
    port = server.dhcp_port
    good = dhcp_packet(DISCOVER, b"\x02\x00\x00\x00\x00\x09", 0x7777)
    as_reply = b"\x02" + good[1:]
    bad_magic = good[:236] + b"\0\0\0\0" + good[240:]
    no_end = good[:-1]
    overlong = good[:-1] + bytes([12, 200, 0x41]) + b"\xff"  # option 12 claims 200 bytes
    no_type = good[:240] + b"\xff"
    for payload in [b"", b"\x01", b"\x00\x01\x02", good[:100], good[:239], no_end, as_reply, bad_magic, overlong, no_type, b"\xff" * 600]:
        assert dhcp_exchange(port, payload, timeout=0.5) is None, payload[:16]
    # Still serving after all that.
    reply = dhcp_exchange(port, good)
    assert reply is not None and parse_dhcp(reply)[5][53] == bytes([OFFER])

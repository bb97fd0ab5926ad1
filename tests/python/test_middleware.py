"""The demo's security flags with real clients: ``requests.Session``
through the login flow and the rate limit, curl preflights, and headless
Chromium on pages of other origins (more demo servers on other ports)
calling the protected demo with ``fetch``, with and without credentials.
"""

import asyncio
import json
import subprocess
import time

import pytest
import requests

from servers import Server, find_binary
from test_browser import open_page

PASSWORD = "pa55 word"  # a space: the form encoding must carry it


def start_demo(*args):
    server = Server(find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO"), ["--quiet", *args],
                    "ferrodot demo listening on http://")
    server.url = f"http://{server.addr}"
    return server


@pytest.fixture
def demos():
    """Start demos with extra arguments; each is stopped at the end."""
    started = []

    def start(*args):
        server = start_demo(*args)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


def test_open_by_default(demos):
    d = demos()
    r = requests.put(f"{d.url}/config", json={"interval_ms": 150}, timeout=5)
    assert r.status_code == 200, r.text
    assert r.json() == {"interval_ms": 150}
    r = requests.post(f"{d.url}/login", data={"username": "admin", "password": "x"}, timeout=5)
    assert r.status_code == 404


def test_login_flow_with_requests_session(demos):
    d = demos("--admin-password", PASSWORD)
    config = f"{d.url}/config"
    anonymous = requests.put(config, json={"interval_ms": 200}, timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="ferrodot camera", charset="UTF-8"'
    assert requests.get(config, timeout=5).status_code == 200  # reading stays open

    with requests.Session() as s:
        wrong = s.post(f"{d.url}/login", data={"username": "admin", "password": "nope"}, timeout=5)
        assert wrong.status_code == 403
        assert not s.cookies

        r = s.post(f"{d.url}/login", data={"username": "admin", "password": PASSWORD},
                   allow_redirects=False, timeout=5)
        assert r.status_code == 303
        assert r.headers["Location"] == "/"
        set_cookie = r.headers["Set-Cookie"]
        assert set_cookie.startswith("session=")
        assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
        assert "session" in s.cookies

        r = s.put(config, json={"interval_ms": 200}, timeout=5)
        assert r.status_code == 200, r.text
        assert requests.get(config, timeout=5).json() == {"interval_ms": 200}
        # The upload route is protected the same way.
        assert s.post(f"{d.url}/firmware", data=b"\x00" * 100, timeout=5).status_code == 200
        assert requests.post(f"{d.url}/firmware", data=b"\x00" * 100, timeout=5).status_code == 401

        # Following the redirect lands on the page.
        r = s.post(f"{d.url}/login", data={"username": "admin", "password": PASSWORD}, timeout=5)
        assert r.status_code == 200 and "ferrodot camera" in r.text

        r = s.post(f"{d.url}/logout", allow_redirects=False, timeout=5)
        assert r.status_code == 303
        assert "Max-Age=0" in r.headers["Set-Cookie"]
        assert "session" not in s.cookies
        assert s.put(config, json={"interval_ms": 300}, timeout=5).status_code == 401

    # HTTP Basic instead of the form.
    assert requests.put(config, json={"interval_ms": 250}, auth=("admin", PASSWORD), timeout=5).status_code == 200
    assert requests.put(config, json={"interval_ms": 250}, auth=("admin", "nope"), timeout=5).status_code == 401
    assert requests.put(config, json={"interval_ms": 250}, auth=("root", PASSWORD), timeout=5).status_code == 401
    # A session cookie signed by another demo (another key) is no session.
    other = demos("--admin-password", PASSWORD)
    with requests.Session() as s:
        s.post(f"{other.url}/login", data={"username": "admin", "password": PASSWORD}, allow_redirects=False, timeout=5)
        foreign = s.cookies["session"]
    r = requests.put(config, json={"interval_ms": 250}, cookies={"session": foreign}, timeout=5)
    assert r.status_code == 401
    # Broken credentials are a 400 that says why.
    for header, why in [("Basic %%%", "base64"), ("Basic YWRtaW4=", "':'")]:
        r = requests.put(config, json={"interval_ms": 250}, headers={"Authorization": header}, timeout=5)
        assert r.status_code == 400 and why in r.text, (header, r.text)


def test_rate_limit_with_requests_session(demos):
    d = demos("--rate-limit", "5")
    with requests.Session() as s:
        codes, retry = [], None
        for _ in range(12):
            r = s.get(f"{d.url}/status", headers={"X-Forwarded-For": "203.0.113.1"}, timeout=5)
            codes.append(r.status_code)
            if r.status_code == 429:
                retry = r.headers.get("Retry-After")
        assert codes[:5] == [200] * 5, codes
        assert codes.count(429) >= 5, codes
        assert retry is not None and int(retry) >= 1
        time.sleep(int(retry))
        assert s.get(f"{d.url}/status", timeout=5).status_code == 200


def curl(*args):
    out = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", "--noproxy", "*",
                          "--include", *args], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    # Text mode turns CRLF into LF.
    head = out.stdout.split("\n\n", 1)[0].split("\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return status, headers


def test_curl_preflights(demos):
    d = demos("--cors-origin", "http://panel.test", "--cors-origin", "http://other.test:8080")
    for origin in ["http://panel.test", "http://other.test:8080"]:
        status, h = curl("-X", "OPTIONS", "-H", f"Origin: {origin}", "-H", "Access-Control-Request-Method: PUT",
                         "-H", "Access-Control-Request-Headers: content-type", f"{d.url}/config")
        assert status == 200
        assert h["access-control-allow-origin"] == origin
        assert h["access-control-allow-credentials"] == "true"
        assert "PUT" in h["access-control-allow-methods"]
        assert h["access-control-allow-headers"] == "content-type"
        assert h["vary"] == "Origin"
    status, h = curl("-X", "OPTIONS", "-H", "Origin: http://evil.test", "-H", "Access-Control-Request-Method: PUT",
                     f"{d.url}/config")
    assert status == 200 and not any(k.startswith("access-control-") for k in h)
    many = ", ".join(f"x-h{i}" for i in range(100))
    status, h = curl("-X", "OPTIONS", "-H", "Origin: http://panel.test", "-H", "Access-Control-Request-Method: PUT",
                     "-H", f"Access-Control-Request-Headers: {many}", f"{d.url}/config")
    assert status == 200 and "access-control-allow-origin" not in h
    # CSRF: a cross-site POST from elsewhere is refused, from the allowed origin served.
    status, _ = curl("-X", "POST", "-H", "Origin: http://evil.test", f"{d.url}/trigger")
    assert status == 403
    status, h = curl("-X", "POST", "-H", "Origin: http://panel.test", f"{d.url}/trigger")
    assert status == 200 and h["access-control-allow-origin"] == "http://panel.test"


async def run_in_page(page_url, scripts):
    """Open ``page_url`` in a fresh headless Chromium and evaluate each
    script (an async function body returning JSON-able data) in order."""
    async with open_page(page_url) as page:
        await page.wait_for("document.readyState === 'complete' && location.href.startsWith('http')", "the page")
        results = []
        for script in scripts:
            result = await page.call("Runtime.evaluate", expression=f"(async () => {{ {script} }})()",
                                     awaitPromise=True, returnByValue=True)
            results.append(result["result"].get("value"))
        return results


FETCH = """
try {{
  const r = await fetch({url!r}, {opts});
  let body = '';
  try {{ body = await r.text(); }} catch (e) {{}}
  return {{ok: true, status: r.status, body}};
}} catch (e) {{
  return {{ok: false, error: String(e)}};
}}
"""


def fetch(url, **opts):
    return FETCH.format(url=url, opts=json.dumps(opts))


def test_browser_from_other_origins(demos):
    allowed = demos()
    refused = demos()
    target = demos("--admin-password", PASSWORD, "--cors-origin", allowed.url)
    api = target.url
    put_config = {"method": "PUT", "headers": {"Content-Type": "application/json"},
                  "body": json.dumps({"interval_ms": 120})}
    login_form = {"method": "POST", "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                  "body": f"username=admin&password={requests.utils.quote(PASSWORD)}"}

    triggers = lambda: requests.get(f"{api}/status", timeout=5).json()["triggers"]
    before = triggers()
    results = asyncio.run(run_in_page(f"{allowed.url}/status", [
        fetch(f"{api}/status"),
        fetch(f"{api}/config", **put_config, credentials="include"),  # preflight passes; not logged in
        fetch(f"{api}/login", **login_form, credentials="include"),
        fetch(f"{api}/config", **put_config, credentials="include"),
        fetch(f"{api}/config", **put_config, credentials="omit"),
        fetch(f"{api}/trigger", method="POST"),
    ]))
    status, put_anon, login, put_in, put_omit, trigger = results
    assert status["ok"] and status["status"] == 200 and "frames" in status["body"], status
    assert put_anon["ok"] and put_anon["status"] == 401, put_anon
    assert login["ok"] and login["status"] == 200, login  # the 303 followed to /
    assert put_in["ok"] and put_in["status"] == 200 and "120" in put_in["body"], put_in
    assert put_omit["ok"] and put_omit["status"] == 401, put_omit
    assert trigger["ok"] and trigger["status"] == 200, trigger
    assert triggers() == before + 1
    assert requests.get(f"{api}/config", timeout=5).json() == {"interval_ms": 120}

    results = asyncio.run(run_in_page(f"{refused.url}/status", [
        fetch(f"{api}/status"),
        fetch(f"{api}/config", **put_config, credentials="include"),
        fetch(f"{api}/trigger", method="POST", mode="no-cors"),
    ]))
    read, put, forged = results
    # The browser keeps the answer from a page of a refused origin...
    assert not read["ok"] and "TypeError" in read["error"], read
    # ...does not send a PUT whose preflight failed...
    assert not put["ok"], put
    # ...and the server refuses the POST that needs no preflight.
    assert forged["ok"] and forged["status"] == 0, forged  # opaque to the page
    assert triggers() == before + 1

"""A real browser on the demo's live page: headless Chromium loads ``/``,
receives live updates (over the WebSocket, then over server-sent events),
clicks the trigger button, and the test reads the new count from the page.

Chromium is driven over the DevTools protocol with the ``websockets``
client, so nothing but Debian's ``chromium`` is needed.
"""

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import websockets

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", "about:blank",
]


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed (apt-get install chromium); the browser test needs it")


class Browser:
    """A headless Chromium started (and ended) by this test only."""

    def __init__(self, flags=()):
        self.profile = tempfile.mkdtemp(prefix="ferrodot-chromium-")
        self.proc = subprocess.Popen(
            [chromium_binary(), f"--user-data-dir={self.profile}", *flags, *CHROMIUM_FLAGS],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.time() + 30
        self.ws_url = None
        while time.time() < deadline and self.ws_url is None:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                self.ws_url = m.group(1)
        if self.ws_url is None:
            self.close()
            pytest.fail("Chromium did not start its DevTools endpoint")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, spoken to with DevTools commands over a flat session."""

    def __init__(self, conn, session):
        self.conn, self.session, self.next_id = conn, session, 0
        self.events = []  # DevTools events received meanwhile (Network.*, …)

    @classmethod
    async def open(cls, conn):
        page = cls(conn, None)
        target = await page.call("Target.createTarget", url="about:blank")
        attached = await page.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page.session = attached["sessionId"]
        return page

    async def call(self, method, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        await self.conn.send(json.dumps(msg))
        while True:
            reply = json.loads(await asyncio.wait_for(self.conn.recv(), 20))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]
            if "method" in reply:
                self.events.append(reply)

    async def js(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression, what, limit=15):
        deadline = time.time() + limit
        while time.time() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; page says: {await self.js('document.body.innerText')}")


@contextlib.asynccontextmanager
async def open_page(url, flags=(), network=False):
    """A fresh headless Chromium with one tab at ``url``; closed on exit.
    With ``network``, the tab's responses are recorded in ``page.events``."""
    browser = Browser(flags)
    try:
        async with websockets.connect(browser.ws_url, max_size=None) as conn:
            page = await Page.open(conn)
            await page.call("Page.enable")
            if network:
                await page.call("Network.enable")
            await page.call("Page.navigate", url=url)
            yield page
    finally:
        browser.close()


def number(page_value):
    return int(page_value)


async def drive(url, mode, screenshot=None, flags=()):
    async with open_page(url, flags) as page:
        await page.wait_for(f"document.getElementById('mode') && document.getElementById('mode').textContent === '{mode}'", f"live mode {mode}")
        # Frames advance on the page without a reload.
        first = number(await page.js("document.getElementById('frames').textContent"))
        await page.wait_for(f"Number(document.getElementById('frames').textContent) > {first}", "frames to advance")
        # Click the button; the count on the page goes up by one.
        before = number(await page.js("document.getElementById('triggers').textContent"))
        await page.js("document.getElementById('trigger').click()")
        await page.wait_for(f"Number(document.getElementById('triggers').textContent) === {before + 1}", "the trigger count")
        light = number(await page.js("document.getElementById('light').textContent"))
        assert 112 <= light <= 912, light
        if screenshot:
            shot = await page.call("Page.captureScreenshot", format="png")
            import base64
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        return before + 1


def test_live_page_over_websocket(demo):
    shot = os.environ.get("FERRODOT_SCREENSHOT")
    after = asyncio.run(drive(demo.url + "/", "websocket", shot))
    # The server agrees with what the page showed.
    import urllib.request
    status = json.load(urllib.request.urlopen(demo.url + "/status", timeout=5))
    assert status["triggers"] >= after


def test_live_page_over_server_sent_events(demo):
    asyncio.run(drive(demo.url + "/#sse", "server-sent events"))


async def dashboard_loads_gzipped_and_charts_live(url, screenshot=None):
    async with open_page(url, ["--window-size=1100,900"], network=True) as page:
        await page.wait_for("document.getElementById('mode').textContent === 'websocket'", "the WebSocket")
        # Every file of the page came from the asset table compressed.
        encodings = {}
        for e in page.events:
            if e["method"] == "Network.responseReceived":
                r = e["params"]["response"]
                headers = {k.lower(): v for k, v in r["headers"].items()}
                encodings[r["url"].removeprefix(url.rstrip("/"))] = (r["status"], headers.get("content-encoding"))
        for path in ("/", "/static/app.js", "/static/style.css", "/static/icon.svg"):
            assert encodings.get(path) == (200, "gzip"), (path, encodings)
        # The page rendered from those bytes: the script ran and styled the chart.
        assert await page.js("getComputedStyle(document.documentElement).getPropertyValue('--fps').trim() !== ''")
        # The chart gains samples from the WebSocket and its pixels change with them.
        points = "Number(document.getElementById('chart').dataset.points || 0)"
        await page.wait_for(f"{points} >= 2", "two samples on the chart")
        before_n = await page.js(points)
        before = await page.js("document.getElementById('chart').toDataURL()")
        await page.wait_for(f"{points} >= {before_n + 2}", "more samples on the chart")
        after = await page.js("document.getElementById('chart').toDataURL()")
        assert after != before, "the chart did not redraw"
        # Drawn lines, not an empty canvas: pixels in the frames/s colour exist.
        drawn = await page.js(
            "(() => { const c = document.getElementById('chart'); const d = c.getContext('2d')"
            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
            " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()"
        )
        assert drawn > 500, drawn
        if screenshot:  # for the README: a desktop window, then a phone's width
            import base64
            await page.wait_for(f"{points} >= 20", "samples for the screenshot", 40)
            for path, width, height in ((screenshot, 1100, 900), (screenshot.replace(".png", "-phone.png"), 390, 1100)):
                await page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 500)
                await asyncio.sleep(1.5)  # a resize redraws the chart; let a sample or two arrive
                shot = await page.call("Page.captureScreenshot", format="png")
                with open(path, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))


def test_dashboard_loads_with_gzip_and_the_chart_updates_live(demo):
    asyncio.run(dashboard_loads_gzipped_and_charts_live(demo.url + "/", os.environ.get("FERRODOT_DASHBOARD_SCREENSHOT")))


async def upload_firmware(url, path, sha256=None, limit=120):
    """Submit the dashboard's firmware form at ``url`` with the file at
    ``path`` (and the digest, if given) as a user would; returns the
    result line the page shows and the progress bar's final value."""
    browser = Browser()
    try:
        async with websockets.connect(browser.ws_url, max_size=None) as conn:
            page = await Page.open(conn)
            await page.call("Page.enable")
            await page.call("Page.navigate", url=url)
            await page.wait_for("document.readyState === 'complete' && !!document.getElementById('firmware-file')", "the upload form")
            doc = await page.call("DOM.getDocument")
            node = await page.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#firmware-file")
            await page.call("DOM.setFileInputFiles", files=[str(path)], nodeId=node["nodeId"])
            if sha256:
                await page.js(f"document.getElementById('firmware-sha256').value = '{sha256}'")
            await page.js("document.querySelector('#firmware button').click()")
            result = await page.wait_for("document.getElementById('firmware-result').textContent", "the upload's result", limit)
            progress = await page.js("document.getElementById('firmware-progress').value")
            return result, progress
    finally:
        browser.close()


def test_firmware_upload_through_the_dashboard_form(demo, tmp_path):
    import hashlib
    image = os.urandom(1 << 20)
    path = tmp_path / "fw.bin"
    path.write_bytes(image)
    digest = hashlib.sha256(image).hexdigest()
    result, progress = asyncio.run(upload_firmware(demo.url + "/", path, digest))
    status, _, body = result.partition(": ")
    assert status == "200", result
    assert json.loads(body) == {"bytes": len(image), "sha256": digest, "slot": "B", "activated": True}
    assert progress == 100
    # Without a digest (the field left blank): stored, not activated.
    result, _ = asyncio.run(upload_firmware(demo.url + "/", path))
    assert result.startswith("200: ") and json.loads(result[5:])["activated"] is False, result

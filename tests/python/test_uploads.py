"""Firmware uploads to the demo through Python ``requests``: a 10 MiB
multipart form streamed through the server's small buffers (its peak RSS
must not grow with the image), the digest as a form field or a header,
and the 422 of a wrong digest."""

import hashlib
import os

import pytest
import requests

from conftest import Demo

TIMEOUT = 60
MIB = 1 << 20


def client() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # 127.0.0.1 only: no proxy from the environment
    return s


def vm_hwm_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    pytest.fail("no VmHWM in /proc/PID/status")


@pytest.fixture
def fresh_demo():
    """A demo of its own, so its peak RSS is this test's alone."""
    d = Demo()
    try:
        yield d
    finally:
        d.stop()


def test_10_mib_multipart_upload_keeps_peak_rss_flat(fresh_demo):
    image = os.urandom(10 * MIB)
    digest = hashlib.sha256(image).hexdigest()
    with client() as s:
        assert s.get(f"{fresh_demo.url}/firmware", timeout=TIMEOUT).json() == {"active": "A", "pending": None}
        before = vm_hwm_kib(fresh_demo.proc.pid)
        r = s.post(
            f"{fresh_demo.url}/firmware",
            data={"sha256": digest},
            files={"firmware": ("fw.bin", image, "application/octet-stream")},
            timeout=TIMEOUT,
        )
        after = vm_hwm_kib(fresh_demo.proc.pid)
        assert r.status_code == 200, r.text
        assert r.json() == {"bytes": len(image), "sha256": digest, "slot": "B", "activated": True}
        assert s.get(f"{fresh_demo.url}/firmware", timeout=TIMEOUT).json() == {"active": "A", "pending": "B"}
    growth = after - before
    print(f"demo peak RSS: {before} KiB before, {after} KiB after a 10 MiB upload (+{growth} KiB)")
    # The image is 10240 KiB: a server that buffered it would grow by that.
    assert growth < 1024, f"peak RSS grew by {growth} KiB during a 10 MiB upload"


def test_digest_header_raw_body_and_mismatch(base):
    image = os.urandom(MIB // 2)
    digest = hashlib.sha256(image).hexdigest()
    with client() as s:
        r = s.post(f"{base}/firmware", data=image, headers={"X-Firmware-SHA256": digest}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["activated"] is True
        assert s.get(f"{base}/firmware", timeout=TIMEOUT).json()["pending"] == "B"
        wrong = hashlib.sha256(b"another image").hexdigest()
        r = s.post(
            f"{base}/firmware",
            files={"firmware": ("fw.bin", image)},
            headers={"X-Firmware-SHA256": wrong},
            timeout=TIMEOUT,
        )
        assert r.status_code == 422, r.text
        assert "error" in r.json()
        # The pending image was overwritten by the refused one: nothing boots next.
        assert s.get(f"{base}/firmware", timeout=TIMEOUT).json() == {"active": "A", "pending": None}
        # The session's connection is still usable after the 422.
        assert s.get(f"{base}/status", timeout=TIMEOUT).status_code == 200
